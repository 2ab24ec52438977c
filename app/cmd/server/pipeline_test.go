//go:build !transcoder_lambda

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"transcoder/app/failures"

	"transcoder/app/presets"
)

// These tests run the whole one-machine pipeline through run: the service,
// the local S3 server, the local SNS (with duplicates and reordering
// switched on) and the ffmpeg engine, all real.

const (
	aliceKey = "alice-key-0123456789"
	bobKey   = "bob-key-0123456789ab"
)

func pipelineEnv(t *testing.T) map[string]string {
	t.Helper()
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not found: run \"make ci-deps\" (apt-get install ffmpeg)", bin)
		}
	}
	return map[string]string{
		"ADDR":                 "127.0.0.1:0",
		"LOCAL_S3_ADDR":        "127.0.0.1:0",
		"DATA_DIR":             t.TempDir(),
		"API_TOKEN":            token,
		"API_KEYS":             "alice:" + aliceKey + ",bob:" + bobKey,
		"LOCAL_SNS_DUPLICATES": "0.5",
		"LOCAL_SNS_REORDER":    "150ms",
		"LOCAL_CONCURRENCY":    "2",
	}
}

// client is one caller: a bearer key, or a browser with a cookie jar.
type client struct {
	t      *testing.T
	base   string
	bearer string
	csrf   string
	http   *http.Client
}

func bearer(t *testing.T, base, key string) *client {
	return &client{t: t, base: base, bearer: key, http: &http.Client{}}
}

// browser opens a session as a browser does: GET /session sets the cookie.
func browser(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, http: &http.Client{Jar: jar}}
	var s struct{ Owner, CSRFToken string }
	if status := c.call("GET", "/session", nil, &s); status != 200 || s.CSRFToken == "" || !strings.HasPrefix(s.Owner, "s-") {
		t.Fatalf("GET /session: %d %+v", status, s)
	}
	c.csrf = s.CSRFToken
	return c
}

// call sends a JSON request and decodes a JSON answer into out.
func (c *client) call(method, path string, in, out any, header ...string) int {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

type upload struct {
	Key, URL, Method string
	Headers          map[string]string
}

type jobView struct {
	ID, State, Name string
	Progress        int
	Outputs         []struct{ URI, Preset, URL string }
	Error           *struct{ Code, Message string }
	Transitions     []struct{ State string }
	Notices         []struct{ ID, Text string }
}

// upload puts file into storage the way the page does: a presigned PUT.
func (c *client) upload(file, contentType string) string {
	c.t.Helper()
	var u upload
	data, err := os.ReadFile(file)
	if err != nil {
		c.t.Fatal(err)
	}
	if status := c.call("POST", "/uploads", map[string]any{"filename": filepath.Base(file), "contentType": contentType, "size": len(data)}, &u); status != 201 {
		c.t.Fatalf("POST /uploads: %d", status)
	}
	req, _ := http.NewRequest(u.Method, u.URL, bytes.NewReader(data))
	for k, v := range u.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		c.t.Fatalf("presigned PUT: %d", resp.StatusCode)
	}
	return u.Key
}

func (c *client) submit(key string, names ...string) jobView {
	c.t.Helper()
	var j jobView
	if status := c.call("POST", "/jobs", map[string]any{"input": key, "presets": names}, &j); status != 201 {
		c.t.Fatalf("POST /jobs: %d %+v", status, j)
	}
	if j.State != "SUBMITTED" {
		c.t.Fatalf("a new job is %s, want SUBMITTED", j.State)
	}
	return j
}

// await follows the job's event stream until the job is in a terminal state,
// returning the progress values seen and the final view.
func (c *client) await(id string) ([]int, jobView) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/jobs/"+id+"/events", nil)
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		c.t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	var seen []int
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var j jobView
		if err := json.Unmarshal([]byte(data), &j); err != nil {
			c.t.Fatal(err)
		}
		seen = append(seen, j.Progress)
		switch j.State {
		case "COMPLETE", "ERROR", "CANCELED":
			return seen, j
		}
	}
	c.t.Fatalf("the event stream ended before the job did (%v): %v", sc.Err(), seen)
	return nil, jobView{}
}

func tone(t *testing.T, seconds float64) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "tone.wav")
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
		fmt.Sprintf("sine=frequency=440:duration=%g", seconds), "-ac", "2", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	return out
}

// probe returns a downloaded file's container format and duration.
func probe(t *testing.T, data []byte) (string, time.Duration) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "out")
	os.WriteFile(f, data, 0o644)
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=format_name,duration", "-of", "json", f).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var p struct {
		Format struct {
			FormatName string `json:"format_name"`
			Duration   string
		}
	}
	json.Unmarshal(out, &p)
	secs, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return p.Format.FormatName, time.Duration(secs * float64(time.Second))
}

func TestAnUploadIsTranscodedToEveryPresetThroughTheLocalPipeline(t *testing.T) {
	env := pipelineEnv(t)
	env["LOCAL_SNS_DUPLICATES"] = "1" // every notification twice
	in := start(t, env)
	alice := bearer(t, in.url, aliceKey)
	job := alice.submit(alice.upload(tone(t, 3), "audio/wav"), presets.Names()...)
	seen, done := alice.await(job.ID)
	if done.State != "COMPLETE" || done.Progress != 100 {
		t.Fatalf("the job ended %s at %d%%: %+v", done.State, done.Progress, done.Error)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("progress went down: %v", seen)
		}
	}
	var states []string
	for _, tr := range done.Transitions {
		states = append(states, tr.State)
	}
	if strings.Join(states, ",") != "SUBMITTED,PROGRESSING,COMPLETE" {
		t.Fatalf("transitions %v: each state once, in order", states)
	}
	containers := map[string]string{"wav": "wav", "flac": "flac", "aac": "mov,mp4,m4a,3gp,3g2,mj2", "mp3": "mp3"}
	if len(done.Outputs) != len(containers) {
		t.Fatalf("%d outputs, want %d", len(done.Outputs), len(containers))
	}
	for _, o := range done.Outputs {
		resp, err := http.Get(o.URL)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p, _ := presets.Lookup(o.Preset)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != p.ContentType {
			t.Fatalf("%s: %d %s, want %s", o.Preset, resp.StatusCode, resp.Header.Get("Content-Type"), p.ContentType)
		}
		format, d := probe(t, data)
		if format != containers[o.Preset] || d < 2900*time.Millisecond || d > 3100*time.Millisecond {
			t.Errorf("%s: %s of %v, want %s of 3s", o.Preset, format, d, containers[o.Preset])
		}
	}
	if len(done.Notices) != 1 || done.Notices[0].Text != "Your file tone.wav has been transcoded." {
		t.Fatalf("notices %+v", done.Notices)
	}
	req, _ := http.NewRequest("GET", in.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `transcoder_sns_deliveries_total{outcome="duplicate"}`) {
		t.Fatal("no duplicate delivery reached the endpoint: the test did not exercise idempotency")
	}
}

func TestACorruptUploadEndsInErrorWithAReasonInPlainWords(t *testing.T) {
	in := start(t, pipelineEnv(t))
	alice := bearer(t, in.url, aliceKey)
	junk := filepath.Join(t.TempDir(), "junk.wav")
	os.WriteFile(junk, bytes.Repeat([]byte("not audio "), 500), 0o644)
	id := alice.submit(alice.upload(junk, "audio/wav"), "mp3").ID
	_, done := alice.await(id)
	if done.State != "ERROR" || done.Error == nil || done.Error.Code == "" || done.Error.Message != failures.Unreadable.Sentence() {
		t.Fatalf("a corrupt input ended %s with %+v, want the plain sentence %q", done.State, done.Error, failures.Unreadable.Sentence())
	}
	for _, internal := range []string{"s3://", "junk.wav", "0x", "uploads/"} {
		if strings.Contains(done.Error.Message, internal) {
			t.Errorf("the owner is told %q, which shows %q", done.Error.Message, internal)
		}
	}
	// The operator sees what the engine said.
	var op struct{ Error struct{ Detail string } }
	if status := bearer(t, in.url, token).call("GET", "/jobs/"+id, nil, &op); status != 200 || op.Error.Detail == "" {
		t.Fatalf("the operator's view: %d, detail %q", status, op.Error.Detail)
	}
}

func TestSubmissionsAreCheckedBeforeAnythingRuns(t *testing.T) {
	in := start(t, pipelineEnv(t))
	alice := bearer(t, in.url, aliceKey)
	key := alice.upload(tone(t, 0.5), "audio/wav")
	tests := []struct {
		name   string
		body   map[string]any
		status int
		reason string
	}{
		{"an unknown preset", map[string]any{"input": key, "presets": []string{"ogg"}}, 400, "unknown preset"},
		{"no presets", map[string]any{"input": key}, 400, "no presets"},
		{"an input that was never uploaded", map[string]any{"input": "uploads/alice/nope/x.wav", "presets": []string{"mp3"}}, 404, "does not exist"},
		{"an input key that is not a key", map[string]any{"input": "uploads/alice/a/../b.wav", "presets": []string{"mp3"}}, 400, "not one of your uploads"},
		{"a callback that is not https", map[string]any{"input": key, "presets": []string{"mp3"}, "callbackUrl": "http://example.com/hook"}, 400, "callbackUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct{ Error string }
			if status := alice.call("POST", "/jobs", tt.body, &out); status != tt.status || !strings.Contains(out.Error, tt.reason) {
				t.Fatalf("got %d %q, want %d mentioning %q", status, out.Error, tt.status, tt.reason)
			}
		})
	}
	var up struct{ Error string }
	for _, bad := range []map[string]any{
		{"filename": "../../etc/passwd", "contentType": "audio/wav", "size": 10},
		{"filename": "notes.txt", "contentType": "text/plain", "size": 10},
		{"filename": "list.m3u8", "contentType": "audio/x-mpegurl", "size": 10},
		{"filename": "list.m3u8", "contentType": "application/vnd.apple.mpegurl", "size": 10},
		{"filename": "empty.wav", "contentType": "audio/wav", "size": 0},
	} {
		if status := alice.call("POST", "/uploads", bad, &up); status != 400 || up.Error == "" {
			t.Fatalf("POST /uploads %v: %d %q", bad, status, up.Error)
		}
	}
}

func TestNobodySeesAnotherOwnersJobsThroughAnyRoute(t *testing.T) {
	in := start(t, pipelineEnv(t))
	alice := bearer(t, in.url, aliceKey)
	key := alice.upload(tone(t, 0.5), "audio/wav")
	job := alice.submit(key, "mp3")
	alice.await(job.ID)
	notice := job.ID + "-COMPLETE"

	for name, other := range map[string]*client{"an API key": bearer(t, in.url, bobKey), "a browser session": browser(t, in.url)} {
		t.Run(name, func(t *testing.T) {
			for _, r := range []struct{ method, path string }{
				{"GET", "/jobs/" + job.ID},
				{"GET", "/jobs/" + job.ID + "/events"},
				{"POST", "/inbox/" + notice + "/read"},
				{"POST", "/inbox/" + notice + "/dismiss"},
			} {
				if status := other.call(r.method, r.path, nil, nil); status != 404 {
					t.Errorf("%s %s: %d, want 404", r.method, r.path, status)
				}
			}
			var list struct{ Jobs []jobView }
			if other.call("GET", "/jobs", nil, &list); len(list.Jobs) != 0 {
				t.Errorf("GET /jobs shows %d of alice's jobs", len(list.Jobs))
			}
			var inbox struct{ Notices []struct{ ID string } }
			if other.call("GET", "/inbox", nil, &inbox); len(inbox.Notices) != 0 {
				t.Errorf("GET /inbox shows alice's notices: %+v", inbox.Notices)
			}
			var out struct{ Error string }
			if status := other.call("POST", "/jobs", map[string]any{"input": key, "presets": []string{"mp3"}}, &out); status != 400 {
				t.Errorf("submitting alice's upload: %d %q, want 400", status, out.Error)
			}
		})
	}
	var inbox struct {
		Notices []struct{ ID string }
		Unread  int
	}
	if alice.call("GET", "/inbox", nil, &inbox); len(inbox.Notices) != 1 || inbox.Notices[0].ID != notice || inbox.Unread != 1 {
		t.Fatalf("alice's inbox: %+v", inbox)
	}
	if status := alice.call("POST", "/inbox/"+notice+"/dismiss", nil, nil); status != 204 {
		t.Fatalf("dismiss: %d", status)
	}
	if alice.call("GET", "/inbox", nil, &inbox); len(inbox.Notices) != 0 {
		t.Fatalf("a dismissed notice stayed: %+v", inbox)
	}
	var all struct{ Jobs []jobView }
	if bearer(t, in.url, token).call("GET", "/jobs", nil, &all); len(all.Jobs) != 1 {
		t.Fatalf("the operator sees %d jobs, want alice's one", len(all.Jobs))
	}
}

func TestABrowserSessionChangesStateOnlyWithItsCSRFToken(t *testing.T) {
	in := start(t, pipelineEnv(t))
	b := browser(t, in.url)
	body := map[string]any{"filename": "a.wav", "contentType": "audio/wav", "size": 10}
	csrf := b.csrf
	b.csrf = ""
	if status := b.call("POST", "/uploads", body, nil); status != 403 {
		t.Fatalf("without the token: %d, want 403", status)
	}
	b.csrf = "forged"
	if status := b.call("POST", "/uploads", body, nil); status != 403 {
		t.Fatalf("with a forged token: %d, want 403", status)
	}
	b.csrf = csrf
	if status := b.call("POST", "/uploads", body, nil, "Origin", "https://evil.example"); status != 403 {
		t.Fatalf("from another site: %d, want 403", status)
	}
	var u upload
	if status := b.call("POST", "/uploads", body, &u); status != 201 || !strings.HasPrefix(u.Key, "uploads/s-") {
		t.Fatalf("with the token: %d %q", status, u.Key)
	}
	anon := &client{t: t, base: in.url, http: &http.Client{}}
	if status := anon.call("GET", "/jobs", nil, nil); status != 401 {
		t.Fatalf("without a session: %d, want 401", status)
	}
}
