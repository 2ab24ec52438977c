//go:build !transcoder_lambda

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// This test drives the user's page in a real Chromium against the whole
// program started through run: the page uploads a file straight to the local
// S3 server, the local ffmpeg engine transcodes it, the page follows the job
// over Server-Sent Events, and the inbox tells of it.

// wait bounds every step that waits for the page.
const wait = 60 * time.Second

// chromiumPath finds Debian's Chromium.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal(`chromium not found: run "make ci-deps" (apt-get install chromium)`)
	return ""
}

// tab starts a fresh headless Chromium for the test and returns its tab; the
// browser is stopped when the test ends. Every page error (an uncaught
// exception, a blocked resource, a refused request) is collected for
// pageErrors.
func tab(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // the CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })

	if err := chromedp.Do(ctx); err != nil { // start the browser on the tab's own context
		t.Fatalf("starting chromium: %v", err)
	}
	bounded, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if _, err := chromedp.Call(bounded, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enabling the network domain: %v", err)
	}

	var mu sync.Mutex
	var errs []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				mu.Lock()
				errs = append(errs, m.String())
				mu.Unlock()
			}
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

// recorder is installed in the page by the test: it records every value each
// progress bar (by id) and the job's state badge show, as the DOM changes,
// so that the test sees what a person would have seen.
const recorder = `(() => {
  const seen = window.__seen = {};
  const push = (key, v) => {
    if (v == null) return;
    const list = seen[key] || (seen[key] = []);
    if (list[list.length - 1] !== v) list.push(v);
  };
  const current = (el) => el.localName === 'progress' ? String(el.value) : el.dataset.state;
  const watched = (el) => el instanceof Element && el.id &&
    (el.localName === 'progress' || el.id === 'job-state');
  new MutationObserver((records) => {
    const touched = new Set();
    for (const r of records) {
      if (r.type === 'attributes' && watched(r.target)) {
        push(r.target.id, r.oldValue);
        touched.add(r.target);
      }
      for (const n of r.addedNodes || []) {
        if (!(n instanceof Element)) continue;
        for (const el of [n, ...n.querySelectorAll('progress')]) if (watched(el)) touched.add(el);
      }
    }
    for (const el of touched) push(el.id, current(el));
  }).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeOldValue: true,
    attributeFilter: ['value', 'data-state'],
  });
  document.querySelectorAll('progress[id], #job-state').forEach((el) => push(el.id, current(el)));
  return true;
})()`

// step runs actions with the test's bound on waiting.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one action that answers, with the test's bound on waiting.
func value[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// poll waits until the page expression is truthy and returns its value.
func poll[T any](t *testing.T, ctx context.Context, what, expression string) T {
	t.Helper()
	return value(t, ctx, what, chromedp.Poll[T](expression,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(wait)))
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	file := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
}

// rising reports whether values never go down, start below 100 and end at it.
func rising(values []float64) bool {
	if len(values) < 2 || values[0] >= 100 || values[len(values)-1] != 100 {
		return false
	}
	for i := 1; i < len(values); i++ {
		if values[i] < values[i-1] {
			return false
		}
	}
	return true
}

func TestAPersonTranscodesAFileInTheBrowserDownloadsItAndDismissesTheMessage(t *testing.T) {
	in := start(t, pipelineEnv(t))
	wav := tone(t, 3)
	ctx, pageErrors := tab(t)

	resp := value(t, ctx, "opening the page", chromedp.NavigateResponse(in.url+"/"))
	if resp.Status != http.StatusOK {
		t.Fatalf("GET / answered %d: the service serves no page (newService gives server.Deps.Assets web.Assets())", resp.Status)
	}
	// Send uploads at 256 KiB/s, so that the 3 s tone (about 520 KiB) takes
	// long enough for the upload bar to show the way, not only the end.
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: 256 << 10}},
	}); err != nil {
		t.Fatalf("throttling uploads: %v", err)
	}
	step(t, ctx, "loading the formats", chromedp.WaitVisible(chromedp.ID("preset-mp3")))
	step(t, ctx, "installing the recorder", chromedp.Evaluate[chromedp.Void](recorder))

	// Upload: choose the file, keep the name it suggests, ask for every format.
	step(t, ctx, "choosing the file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{wav}))
	if name := value(t, ctx, "reading the name", chromedp.Value(chromedp.ID("name"))); name != "tone.wav" {
		t.Fatalf("the name is %q, want the file's name tone.wav", name)
	}
	want := map[string]struct{ label, file, contentType string }{
		"wav":  {"WAV", "tone.wav", "audio/wav"},
		"flac": {"FLAC", "tone.flac", "audio/flac"},
		"aac":  {"AAC", "tone.m4a", "audio/mp4"},
		"mp3":  {"MP3", "tone.mp3", "audio/mpeg"},
	}
	for name := range want {
		box := "preset-" + name
		if !value(t, ctx, "reading "+box, chromedp.Evaluate[bool](`document.getElementById("`+box+`").checked`)) {
			step(t, ctx, "ticking "+box, chromedp.Click(chromedp.ID(box)))
		}
	}
	step(t, ctx, "starting", chromedp.Click(chromedp.ID("start")))

	// The page moves to the job, or says why it could not.
	moved := poll[string](t, ctx, "waiting for the job page",
		`location.hash.startsWith('#/jobs/') ? location.hash :
		 !document.getElementById('alert').hidden ? 'alert: ' + document.getElementById('alert-text').textContent : null`)
	if !strings.HasPrefix(moved, "#/jobs/") {
		t.Fatalf("the upload did not start a job: %s", moved)
	}
	state := poll[string](t, ctx, "waiting for the job to end",
		`(s => ['COMPLETE', 'ERROR', 'CANCELED'].includes(s) && s)(document.getElementById('job-state').dataset.state)`)
	if state != "COMPLETE" {
		t.Fatalf("the job ended %s: %q", state, value(t, ctx, "reading the error", chromedp.Text(chromedp.ID("job-error-text"))))
	}
	if words := value(t, ctx, "reading the state", chromedp.Text(chromedp.ID("job-state"))); words != "Done" {
		t.Errorf("the finished job's state reads %q, want Done", words)
	}

	seen := value(t, ctx, "reading what the page showed", chromedp.Evaluate[map[string][]string](`window.__seen`))
	t.Logf("the page showed: %v", seen)
	for _, bar := range []string{"upload-bar", "job-bar"} {
		var values []float64
		for _, v := range seen[bar] {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s showed %q, not a number", bar, v)
			}
			values = append(values, f)
		}
		if !rising(values) {
			t.Errorf("%s showed %v: want values that never go down, from below 100 to 100", bar, seen[bar])
		}
		if bar == "upload-bar" && !hasBetween(values, 0, 100) {
			t.Errorf("the upload bar showed no value between 0 and 100 (%v): it is not fed by upload progress", seen[bar])
		}
	}
	if states := seen["job-state"]; !followed(states) {
		t.Errorf("the job page showed the states %v: want it to follow the job from an open state to COMPLETE", states)
	}

	// Downloads: one link per preset, each the file the preset makes.
	type link struct {
		Preset   string `json:"preset"`
		Href     string `json:"href"`
		Text     string `json:"text"`
		Download string `json:"download"`
	}
	links := value(t, ctx, "reading the download links", chromedp.Evaluate[[]link](
		`[...document.querySelectorAll('#job-downloads a')].map(a => ({preset: a.dataset.preset, href: a.href, text: a.textContent, download: a.getAttribute('download')}))`))
	if len(links) != len(want) {
		t.Fatalf("%d download links, want %d: %+v", len(links), len(want), links)
	}
	for _, l := range links {
		w, ok := want[l.Preset]
		if !ok {
			t.Errorf("a link for an unknown preset: %+v", l)
			continue
		}
		if text := fmt.Sprintf("Download %s (%s)", w.label, w.file); l.Text != text || l.Download != w.file {
			t.Errorf("the %s link reads %q (download %q), want %q (download %q)", l.Preset, l.Text, l.Download, text, w.file)
		}
		resp, err := http.Get(l.Href)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != w.contentType || n == 0 {
			t.Errorf("%s: %d %s, %d bytes; want 200 %s", l.Preset, resp.StatusCode, resp.Header.Get("Content-Type"), n, w.contentType)
		}
	}
	screenshot(t, ctx, "job-desktop.png")
	step(t, ctx, "turning into a phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	screenshot(t, ctx, "job-phone.png")

	// Inbox: the message is there, unread and counted, until dismissed.
	poll[bool](t, ctx, "waiting for the unread count", `!document.getElementById('unread').hidden`)
	step(t, ctx, "opening the inbox", chromedp.Click(chromedp.ID("nav-inbox")))
	text := "Your file tone.wav has been transcoded."
	notice := poll[map[string]string](t, ctx, "waiting for the message",
		`(() => {
		  const li = [...document.querySelectorAll('#inbox-list li')].find(li => li.textContent.includes(`+"`"+text+"`"+`));
		  return li && {id: li.dataset.id, read: li.dataset.read, badge: document.getElementById('unread').textContent};
		})()`)
	if notice["read"] != "false" || !strings.HasPrefix(notice["badge"], "1") {
		t.Errorf("the new message shows read=%s with the badge %q; want it unread and counted", notice["read"], notice["badge"])
	}
	screenshot(t, ctx, "inbox-phone.png")
	item := fmt.Sprintf(`#inbox-list li[data-id=%q]`, notice["id"])
	step(t, ctx, "dismissing the message", chromedp.Click(chromedp.CSS(item+` button[data-act="dismiss"]`)))
	poll[bool](t, ctx, "waiting for the message to go", `!document.querySelector(`+"`"+item+"`"+`)`)

	step(t, ctx, "reloading", chromedp.Reload())
	poll[bool](t, ctx, "waiting for the inbox after the reload", `document.getElementById('inbox-list').getAttribute('aria-busy') === 'false'`)
	after := value(t, ctx, "reading the inbox", chromedp.Evaluate[map[string]any](
		`({text: document.getElementById('inbox-list').textContent, badge: !document.getElementById('unread').hidden})`))
	if strings.Contains(after["text"].(string), text) || after["badge"] != false {
		t.Errorf("after dismissing and reloading, the inbox reads %q and the badge shows: %v", after["text"], after["badge"])
	}
	step(t, ctx, "going home", chromedp.Click(chromedp.ID("nav-home")))
	poll[bool](t, ctx, "waiting for my jobs", `document.getElementById('jobs-list').getAttribute('aria-busy') === 'false'`)
	screenshot(t, ctx, "home-phone.png")

	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(errs, "\n"))
	}
}

// followed reports whether the states shown end at COMPLETE after an open
// one: the page showed the job while it ran, not only its end.
func followed(states []string) bool {
	n := len(states)
	return n >= 2 && states[n-1] == "COMPLETE" && slices.ContainsFunc(states[:n-1], func(s string) bool {
		return s == "SUBMITTED" || s == "PROGRESSING"
	})
}

// hasBetween reports whether some value lies strictly between lo and hi.
func hasBetween(values []float64, lo, hi float64) bool {
	for _, v := range values {
		if v > lo && v < hi {
			return true
		}
	}
	return false
}
