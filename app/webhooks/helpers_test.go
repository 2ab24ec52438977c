package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/sqlite"
	"transcoder/app/webhooks"
)

// t0 is when the jobs of the tests begin.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// call is one request a receiver got.
type call struct {
	path   string
	method string
	header http.Header
	body   []byte
}

// payload decodes the call's body.
func (c call) payload(t *testing.T) (p webhooks.Payload, view map[string]any) {
	t.Helper()
	var raw struct {
		webhooks.Payload
		View map[string]any `json:"view"`
	}
	if err := json.Unmarshal(c.body, &raw); err != nil {
		t.Fatalf("the body %s is not a payload: %v", c.body, err)
	}
	return raw.Payload, raw.View
}

// receiver is a webhook receiver on loopback that keeps every call.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
	got   chan call // every call, as it arrives
}

// newReceiver starts a receiver that answers the nth call (from 1) with
// respond, which has the request's body already read.
func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	return startReceiver(t, respond, httptest.NewServer)
}

// newTLSReceiver is newReceiver serving https, with a certificate that
// nobody trusts.
func newTLSReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	return startReceiver(t, respond, httptest.NewTLSServer)
}

func startReceiver(t *testing.T, respond func(int, http.ResponseWriter, *http.Request), start func(http.Handler) *httptest.Server) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan call, 1000)}
	rc.Server = start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := call{path: r.URL.Path, method: r.Method, header: r.Header.Clone(), body: body}
		rc.mu.Lock()
		rc.calls = append(rc.calls, c)
		n := len(rc.calls)
		rc.mu.Unlock()
		respond(n, w, r)
		rc.got <- c
	}))
	t.Cleanup(rc.Close)
	return rc
}

// answering answers the nth call with codes[n-1], and every call after the
// last code with the last.
func answering(codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(codes[min(n, len(codes))-1])
	}
}

// Calls returns the calls so far.
func (rc *receiver) Calls() []call {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]call(nil), rc.calls...)
}

// await returns the next call. It fails the test after a minute, which no
// working dispatcher comes near: the wait is a guard, not a measurement.
func (rc *receiver) await(t *testing.T, what string) call {
	t.Helper()
	select {
	case c := <-rc.got:
		return c
	case <-time.After(time.Minute):
		t.Fatalf("no call came: %s", what)
		return call{}
	}
}

// closedURL is a loopback URL where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/hook"
}

// openStore opens the SQLite store at path and closes it when t ends
// (closing it earlier is fine).
func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func apply(t *testing.T, s jobs.Store, u *jobs.Update) {
	t.Helper()
	if _, err := s.Apply(context.Background(), u); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// newDispatcher makes a dispatcher with the test secret, a logger into the
// test's output and the local URL and dial policies (the receivers are on
// loopback), over opts.
func newDispatcher(t *testing.T, opts webhooks.Options) *webhooks.Dispatcher {
	t.Helper()
	if opts.Secret == nil {
		opts.Secret = secret
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.View == nil {
		opts.View = testView
	}
	if opts.AllowURL == nil {
		opts.AllowURL = webhooks.URLPolicy(true)
		opts.AllowLoopbackHTTP = true
	}
	d, err := webhooks.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// minute is a back-off that waits a minute after every failed call.
func minute(int) time.Duration { return time.Minute }

// deliverDue runs one pass and checks it made want calls without error.
func deliverDue(t *testing.T, d *webhooks.Dispatcher, want int) {
	t.Helper()
	n, err := d.DeliverDue(context.Background())
	if err != nil || n != want {
		t.Fatalf("DeliverDue = %d, %v; want %d calls", n, err, want)
	}
}

// testView is the job view the tests' dispatchers send: what a receiver
// needs to tell one job and transition from another.
func testView(j *jobs.Job) any {
	return map[string]any{"id": j.ID, "state": j.State, "name": j.Name}
}

// storedCalls returns the webhook calls the stored job keeps.
func storedCalls(t *testing.T, s jobs.Store, id string) []jobs.WebhookCall {
	t.Helper()
	j, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j.Webhooks
}

// delivery returns the job's delivery with id, as stored.
func delivery(t *testing.T, s jobs.Store, jobID, id string) jobs.WebhookCall {
	t.Helper()
	j, err := s.Get(context.Background(), jobID)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range j.Webhooks {
		if w.ID == id {
			return w
		}
	}
	t.Fatalf("job %s owes no call %s: %+v", jobID, id, j.Webhooks)
	return jobs.WebhookCall{}
}
