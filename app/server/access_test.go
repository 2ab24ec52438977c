package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/server"
)

// inviteOnly is the harness with SignIn invite and its store's invites.
func inviteOnly(d *server.Deps) {
	d.SignIn = server.SignInInvite
	d.Invites = d.Store.(jobs.InviteStore)
	d.APIKeys = map[string]string{"alice-key-0123456789": "alice"}
}

// browser is a client with a cookie jar that sends its page's Origin, as a
// browser does.
type browser struct {
	h      *harness
	client *http.Client
	csrf   string
}

func newBrowser(h *harness) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, client: &http.Client{Jar: jar}}
}

func (b *browser) do(method, path string, body any, header map[string]string) answer {
	b.h.t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, b.h.url+path, r)
	req.Header.Set("Origin", b.h.url)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &a.body)
	if tok, ok := a.body["csrfToken"].(string); ok {
		b.csrf = tok
	}
	return a
}

func (h *harness) operator(method, path string, body any) answer {
	h.t.Helper()
	raw, _ := json.Marshal(body)
	if body == nil {
		raw = nil
	}
	return h.do(method, path, raw, map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"})
}

// invite makes an invite as the operator and returns it with its token.
func (h *harness) invite(body map[string]any) (map[string]any, string) {
	h.t.Helper()
	a := h.operator(http.MethodPost, "/invites", body)
	if a.status != http.StatusCreated {
		h.t.Fatalf("POST /invites: %d %v", a.status, a.body)
	}
	link, err := url.Parse(a.body["link"].(string))
	if err != nil || link.Query().Get("invite") == "" {
		h.t.Fatalf("the invite's link %q carries no invite", a.body["link"])
	}
	return a.body, link.Query().Get("invite")
}

func TestWithoutAnInviteABrowserGetsNoSessionAndIsToldHowToGetOne(t *testing.T) {
	h := newHarness(t, inviteOnly)
	b := newBrowser(h)
	a := b.do(http.MethodGet, "/session", nil, nil)
	if a.status != http.StatusUnauthorized || a.body["signIn"] != "invite" || !strings.Contains(a.body["error"].(string), "invite link") {
		t.Fatalf("GET /session without an invite: %d %v", a.status, a.body)
	}
	if a := b.do(http.MethodGet, "/jobs", nil, nil); a.status != http.StatusUnauthorized || !strings.Contains(a.body["error"].(string), "by invitation") {
		t.Errorf("GET /jobs without a session: %d %v, want 401 saying the service is by invitation", a.status, a.body)
	}
	// API keys keep working.
	if a := h.do(http.MethodGet, "/jobs", nil, map[string]string{"Authorization": "Bearer alice-key-0123456789"}); a.status != http.StatusOK {
		t.Fatalf("GET /jobs with an API key: %d %v", a.status, a.body)
	}
}

func TestAnInviteLinkSignsInAsManyBrowsersAsItHasUses(t *testing.T) {
	h := newHarness(t, inviteOnly)
	inv, tok := h.invite(map[string]any{"owner": "alice", "uses": 2, "expiresIn": "24h"})
	if inv["owner"] != "alice" || inv["uses"] != 2.0 || inv["used"] != 0.0 {
		t.Fatalf("invite: %v", inv)
	}
	for i := range 2 {
		b := newBrowser(h)
		a := b.do(http.MethodPost, "/session", map[string]string{"invite": tok}, nil)
		if a.status != http.StatusOK || a.body["owner"] != "alice" {
			t.Fatalf("browser %d opening the invite: %d %v", i, a.status, a.body)
		}
		if a := b.do(http.MethodGet, "/session", nil, nil); a.status != http.StatusOK || a.body["owner"] != "alice" {
			t.Fatalf("browser %d's session: %d %v", i, a.status, a.body)
		}
		if a := b.do(http.MethodGet, "/jobs", nil, nil); a.status != http.StatusOK {
			t.Fatalf("browser %d listing its jobs: %d %v", i, a.status, a.body)
		}
	}
	a := newBrowser(h).do(http.MethodPost, "/session", map[string]string{"invite": tok}, nil)
	if a.status != http.StatusUnauthorized || !strings.Contains(a.body["error"].(string), "used as many times") {
		t.Fatalf("a third browser: %d %v, want 401 saying the invite is used up", a.status, a.body)
	}
	list := h.operator(http.MethodGet, "/invites", nil)
	invites, _ := list.body["invites"].([]any)
	if list.status != http.StatusOK || len(invites) != 1 || invites[0].(map[string]any)["used"] != 2.0 {
		t.Fatalf("GET /invites: %d %v", list.status, list.body)
	}
}

func TestRevokingAnInviteEndsTheSessionsItGave(t *testing.T) {
	h := newHarness(t, inviteOnly)
	inv, tok := h.invite(map[string]any{"uses": 3})
	b := newBrowser(h)
	if a := b.do(http.MethodPost, "/session", map[string]string{"invite": tok}, nil); a.status != http.StatusOK {
		t.Fatalf("opening the invite: %d %v", a.status, a.body)
	}
	if owner, _ := b.do(http.MethodGet, "/session", nil, nil).body["owner"].(string); owner != inv["id"] {
		t.Fatalf("an invite without an owner gives a new owner named after it; got %q, want %q", owner, inv["id"])
	}
	if a := h.operator(http.MethodDelete, "/invites/"+inv["id"].(string), nil); a.status != http.StatusOK || a.body["revoked"] != true {
		t.Fatalf("DELETE /invites/:id: %d %v", a.status, a.body)
	}
	if a := b.do(http.MethodGet, "/jobs", nil, nil); a.status != http.StatusUnauthorized || !strings.Contains(a.body["error"].(string), "revoked") {
		t.Fatalf("the revoked invite's session: %d %v, want 401 saying it was revoked", a.status, a.body)
	}
	if a := newBrowser(h).do(http.MethodPost, "/session", map[string]string{"invite": tok}, nil); a.status != http.StatusUnauthorized {
		t.Fatalf("opening a revoked invite: %d %v", a.status, a.body)
	}
	if a := h.operator(http.MethodDelete, "/invites/i-unknown", nil); a.status != http.StatusNotFound {
		t.Fatalf("revoking an unknown invite: %d %v", a.status, a.body)
	}
}

func TestInvitesAreTheOperatorsAndTheirLinksCannotBeForged(t *testing.T) {
	h := newHarness(t, inviteOnly)
	_, tok := h.invite(map[string]any{"owner": "bob"})
	id, _, _ := strings.Cut(tok, ".")
	tests := []struct {
		name   string
		do     func() answer
		status int
		want   string
	}{
		{"an API key cannot make invites", func() answer {
			return h.do(http.MethodPost, "/invites", []byte(`{}`), map[string]string{"Authorization": "Bearer alice-key-0123456789"})
		}, 401, "operator's token"},
		{"a browser cannot list invites", func() answer { return newBrowser(h).do(http.MethodGet, "/invites", nil, nil) }, 401, "operator's token"},
		{"an invite id without its signature", func() answer {
			return newBrowser(h).do(http.MethodPost, "/session", map[string]string{"invite": id}, nil)
		}, 401, "not one this service made"},
		{"an invite id with another's signature", func() answer {
			return newBrowser(h).do(http.MethodPost, "/session", map[string]string{"invite": "i-forged." + strings.SplitN(tok, ".", 2)[1]}, nil)
		}, 401, "not one this service made"},
		{"an invite opened from another site", func() answer {
			return newBrowser(h).do(http.MethodPost, "/session", map[string]string{"invite": tok}, map[string]string{"Origin": "https://evil.example"})
		}, 403, "another site"},
		{"an owner name that is not one", func() answer { return h.operator(http.MethodPost, "/invites", map[string]any{"owner": "Bob Smith"}) }, 400, "owner:"},
		{"an owner name of an anonymous session", func() answer { return h.operator(http.MethodPost, "/invites", map[string]any{"owner": "s-abc"}) }, 400, "anonymous"},
		{"too many uses", func() answer { return h.operator(http.MethodPost, "/invites", map[string]any{"uses": 5000}) }, 400, "uses:"},
		{"an expiry that is not a duration", func() answer { return h.operator(http.MethodPost, "/invites", map[string]any{"expiresIn": "a week"}) }, 400, "expiresIn:"},
		{"an expiry past 90 days", func() answer { return h.operator(http.MethodPost, "/invites", map[string]any{"expiresIn": "9000h"}) }, 400, "expiresIn:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.do()
			msg, _ := a.body["error"].(string)
			if a.status != tt.status || !strings.Contains(msg, tt.want) {
				t.Fatalf("%d %v, want %d with %q", a.status, a.body, tt.status, tt.want)
			}
		})
	}
}

func TestAnonymousModeStillGivesEveryNewBrowserAnOwner(t *testing.T) {
	h := newHarness(t, func(d *server.Deps) { d.Invites = d.Store.(jobs.InviteStore) })
	b := newBrowser(h)
	a := b.do(http.MethodGet, "/session", nil, nil)
	if a.status != http.StatusOK || !strings.HasPrefix(a.body["owner"].(string), "s-") || a.body["signIn"] != "anonymous" {
		t.Fatalf("GET /session: %d %v", a.status, a.body)
	}
	// An invite works here too, and moves the browser to its owner.
	_, tok := h.invite(map[string]any{"owner": "carol"})
	if a := b.do(http.MethodPost, "/session", map[string]string{"invite": tok}, nil); a.status != http.StatusOK || a.body["owner"] != "carol" {
		t.Fatalf("opening an invite in anonymous mode: %d %v", a.status, a.body)
	}
}

func TestTwoSessionCookiesAreRefusedNotGuessedBetween(t *testing.T) {
	h := newHarness(t)
	b1, b2 := newBrowser(h), newBrowser(h)
	b1.do(http.MethodGet, "/session", nil, nil)
	b2.do(http.MethodGet, "/session", nil, nil)
	u, _ := url.Parse(h.url)
	c1, c2 := b1.client.Jar.Cookies(u), b2.client.Jar.Cookies(u)
	if len(c1) != 1 || len(c2) != 1 || c1[0].Name != c2[0].Name {
		t.Fatalf("each browser should hold one session cookie: %v %v", c1, c2)
	}
	if !strings.HasPrefix(c1[0].Name, "transcoder_session_") {
		t.Fatalf("a plain-HTTP session cookie is named after the port: %q", c1[0].Name)
	}
	// Another page on this host tossed its own session onto a path.
	a := h.do(http.MethodGet, "/jobs", nil, map[string]string{"Cookie": c1[0].Name + "=" + c2[0].Value + "; " + c1[0].Name + "=" + c1[0].Value})
	if a.status != http.StatusUnauthorized || !strings.Contains(a.body["error"].(string), "two session cookies") {
		t.Fatalf("two session cookies: %d %v", a.status, a.body)
	}
}

func TestAJobViewIsAnsweredNotModifiedWhileItHasNotChanged(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	h.deliver(h.signer.Notification(mcEvent("j1", "PROGRESSING", now, ""), now))
	auth := map[string]string{"Authorization": "Bearer " + token}
	first := h.do(http.MethodGet, "/jobs/j1", nil, auth)
	tag := first.header.Get("ETag")
	if first.status != http.StatusOK || !strings.HasPrefix(tag, `W/"`) {
		t.Fatalf("GET /jobs/j1: %d, ETag %q", first.status, tag)
	}
	again := h.do(http.MethodGet, "/jobs/j1", nil, map[string]string{"Authorization": "Bearer " + token, "If-None-Match": tag})
	if again.status != http.StatusNotModified || again.body != nil {
		t.Fatalf("GET with If-None-Match of the current view: %d %v, want 304 with no body", again.status, again.body)
	}
	h.deliver(h.signer.Notification(complete("j1", now.Add(time.Second)), now))
	changed := h.do(http.MethodGet, "/jobs/j1", nil, map[string]string{"Authorization": "Bearer " + token, "If-None-Match": tag})
	if changed.status != http.StatusOK || changed.body["state"] != "COMPLETE" || changed.header.Get("ETag") == tag {
		t.Fatalf("GET after a change: %d %v (ETag %q)", changed.status, changed.body, changed.header.Get("ETag"))
	}
}

func TestTheSessionSaysHowThePageFollowsJobs(t *testing.T) {
	for _, poll := range []bool{false, true} {
		h := newHarness(t, func(d *server.Deps) { d.Poll = poll })
		a := newBrowser(h).do(http.MethodGet, "/session", nil, nil)
		want := map[bool]string{false: "stream", true: "poll"}[poll]
		if a.body["live"] != want {
			t.Errorf("Poll=%v: live = %v, want %q", poll, a.body["live"], want)
		}
	}
}
