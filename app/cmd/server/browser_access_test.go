//go:build !transcoder_lambda

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// These tests drive the page in a real Chromium to show who may get a
// session, and that another page on the same host cannot slip its own
// session under a person's upload.

func TestAStrangerIsToldHowToGetInAndAnInviteLinkSignsAPersonIn(t *testing.T) {
	env := pipelineEnv(t)
	env["SIGN_IN"] = "invite"
	in := start(t, env)
	ctx, pageErrors := tab(t)

	step(t, ctx, "opening the page", chromedp.Navigate(in.url+"/"))
	told := poll[string](t, ctx, "waiting for the page to say how to get in",
		`!document.getElementById('invite-only').hidden && document.getElementById('invite-only').textContent`)
	if !strings.Contains(told, "by invitation") || !strings.Contains(told, "invite link") {
		t.Fatalf("a stranger is told %q", told)
	}
	if !value(t, ctx, "reading the form", chromedp.Evaluate[bool](`document.getElementById('upload-form').hidden`)) {
		t.Fatal("a stranger is shown the upload form")
	}

	link := operatorInvite(t, in.url, `{"owner":"erin","uses":1}`)
	step(t, ctx, "opening the invite link", chromedp.Navigate(link))
	step(t, ctx, "loading the formats", chromedp.WaitVisible(chromedp.ID("preset-mp3")))
	who := poll[string](t, ctx, "asking who the page is signed in as",
		`fetch('/session').then(r => r.json()).then(s => s.owner + ' ' + location.search + '|')`)
	if who != "erin |" {
		t.Fatalf("after the invite link the page is %q, want owner erin and the invite gone from the address", who)
	}
	if value(t, ctx, "reading the form", chromedp.Evaluate[bool](`document.getElementById('upload-form').hidden`)) {
		t.Fatal("the invited person is not shown the upload form")
	}
	// The link was for one use: another browser is turned away.
	other, _ := tab(t)
	step(t, other, "opening the used link elsewhere", chromedp.Navigate(link))
	said := poll[string](t, other, "waiting for the refusal",
		`!document.getElementById('alert').hidden && document.getElementById('alert-text').textContent`)
	if !strings.Contains(said, "used as many times") {
		t.Fatalf("a second browser with a one-use link is told %q", said)
	}
	if errs := pageErrors(); len(errs) > 0 {
		t.Logf("page errors (the 401s are expected): %v", errs)
	}
}

func TestASessionCookieTossedByAnotherPageOnThisHostCannotCaptureAnUpload(t *testing.T) {
	in := start(t, pipelineEnv(t))
	wav := tone(t, 1)

	// The attacker's own, valid session on this service.
	jar, _ := cookiejar.New(nil)
	attacker := &http.Client{Jar: jar}
	resp, err := attacker.Get(in.url + "/session")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(in.url)
	cookies := jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("the attacker holds %d cookies", len(cookies))
	}
	// A page on another port of the same host sets it on a narrower path,
	// where the browser would send it before the person's own.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>x</title><script>document.cookie = %q; document.title = "tossed"</script>`,
			cookies[0].Name+"="+cookies[0].Value+"; path=/uploads")
	}))
	defer evil.Close()

	ctx, _ := tab(t)
	step(t, ctx, "opening the page", chromedp.Navigate(in.url+"/"))
	step(t, ctx, "loading the formats", chromedp.WaitVisible(chromedp.ID("preset-mp3")))
	step(t, ctx, "visiting the other page", chromedp.Navigate(evil.URL+"/"))
	if title := poll[string](t, ctx, "waiting for the other page's script", `document.title === 'tossed' && document.title`); title != "tossed" {
		t.Fatal("the other page did not run")
	}
	step(t, ctx, "coming back", chromedp.Navigate(in.url+"/"))
	step(t, ctx, "loading the formats", chromedp.WaitVisible(chromedp.ID("preset-mp3")))
	step(t, ctx, "choosing the file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{wav}))
	step(t, ctx, "starting", chromedp.Click(chromedp.ID("start")))
	said := poll[string](t, ctx, "waiting for the upload's fate",
		`location.hash.startsWith('#/jobs/') ? 'started ' + location.hash :
		 !document.getElementById('alert').hidden && document.getElementById('alert-text').textContent`)
	if !strings.Contains(said, "two session cookies") {
		t.Fatalf("with a tossed cookie the upload ended %q, want it refused naming the two cookies", said)
	}
	// Nothing reached the attacker's owner.
	var list struct{ Jobs []struct{ Owner string } }
	req, _ := http.NewRequest("GET", in.url+"/jobs", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	json.NewDecoder(r.Body).Decode(&list)
	if len(list.Jobs) != 0 {
		t.Fatalf("jobs were made: %+v", list.Jobs)
	}
}

// operatorInvite makes an invite with the operator's token and returns its
// link.
func operatorInvite(t *testing.T, base, body string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/invites", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var inv struct{ Link string }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &inv) != nil || inv.Link == "" {
		t.Fatalf("POST /invites: %d %s", resp.StatusCode, raw)
	}
	return inv.Link
}

func TestAPersonCancelsARunningJobAndRunsItAgainFromItsPage(t *testing.T) {
	in := start(t, pipelineEnv(t))
	wav := tone(t, 90) // long enough to be running when Cancel is pressed
	ctx, _ := tab(t)
	step(t, ctx, "opening the page", chromedp.Navigate(in.url+"/"))
	step(t, ctx, "loading the formats", chromedp.WaitVisible(chromedp.ID("preset-mp3")))
	step(t, ctx, "choosing the file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{wav}))
	step(t, ctx, "starting", chromedp.Click(chromedp.ID("start")))
	first := poll[string](t, ctx, "waiting for the job page", `location.hash.startsWith('#/jobs/') && location.hash`)
	step(t, ctx, "waiting for the cancel button", chromedp.WaitVisible(chromedp.ID("job-cancel")))
	step(t, ctx, "canceling", chromedp.Click(chromedp.ID("job-cancel")))
	state := poll[string](t, ctx, "waiting for the job to end",
		`(s => ['COMPLETE', 'ERROR', 'CANCELED'].includes(s) && s)(document.getElementById('job-state').dataset.state)`)
	if state != "CANCELED" {
		t.Fatalf("after Cancel the job is %s", state)
	}
	if !value(t, ctx, "reading the cancel button", chromedp.Evaluate[bool](`document.getElementById('job-cancel').hidden`)) {
		t.Error("a canceled job still offers Cancel")
	}
	step(t, ctx, "running it again", chromedp.Click(chromedp.ID("job-retry")))
	second := poll[string](t, ctx, "waiting for the new job's page", `location.hash.startsWith('#/jobs/') && location.hash !== `+fmt.Sprintf("%q", first)+` && location.hash`)
	if second == first {
		t.Fatal("Run it again did not open a new job")
	}
	state = poll[string](t, ctx, "waiting for the new job to run",
		`(s => s && s !== 'CANCELED' && s)(document.getElementById('job-state').dataset.state)`)
	if state != "SUBMITTED" && state != "PROGRESSING" && state != "COMPLETE" {
		t.Fatalf("the job run again is %s", state)
	}
}
