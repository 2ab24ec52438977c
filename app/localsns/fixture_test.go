package localsns

import (
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"transcoder/app/sns"
)

// request is one delivery a receiver got, parsed.
type request struct {
	header http.Header
	body   []byte
	msg    *sns.Message
}

// receiver is a real HTTP endpoint subscribed to a topic. It checks that
// every delivery is well-formed and signed by cert, confirms subscriptions
// by GETting the SubscribeURL (as the completion endpoint does, inside the
// request), and answers each notification as answer says.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	cert    atomic.Pointer[x509.Certificate]
	confirm atomic.Bool
	// answer returns the status for the n-th notification attempt (from 1);
	// 0 means hold the request until the client gives up, -1 drop the
	// connection without answering.
	answer atomic.Pointer[func(n int) int]
	n      atomic.Int64

	got chan request
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, got: make(chan request, 1000)}
	r.confirm.Store(true)
	r.setAnswer(func(int) int { return http.StatusOK })
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setAnswer(f func(n int) int) { r.answer.Store(&f) }
func (r *receiver) url() string                 { return r.srv.URL + "/transcode-complete" }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	t := r.t
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Errorf("receiver: reading: %v", err)
		return
	}
	m, err := sns.Parse(body)
	if err != nil {
		t.Errorf("receiver: %v\n%s", err, body)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := checkSignature(m, r.cert.Load()); err != nil {
		t.Errorf("receiver: the signature of %s %s does not verify: %v", m.Type, m.MessageID, err)
	}
	if err := m.CheckHeaders(req.Header.Get("x-amz-sns-topic-arn"), req.Header.Get("x-amz-sns-message-type")); err != nil {
		t.Errorf("receiver: %v", err)
	}
	for name, want := range map[string]string{
		"Content-Type":           "text/plain; charset=UTF-8",
		"User-Agent":             "Amazon Simple Notification Service Agent",
		"x-amz-sns-message-type": m.Type,
		"x-amz-sns-message-id":   m.MessageID,
		"x-amz-sns-topic-arn":    m.TopicARN,
	} {
		if got := req.Header.Get(name); got != want {
			t.Errorf("receiver: header %s = %q, want %q", name, got, want)
		}
	}
	if req.Method != http.MethodPost {
		t.Errorf("receiver: method %s, want POST", req.Method)
	}
	r.got <- request{header: req.Header.Clone(), body: body, msg: m}

	if m.Type == sns.TypeSubscriptionConfirmation {
		if r.confirm.Load() {
			resp, err := http.Get(m.SubscribeURL)
			if err != nil {
				t.Errorf("receiver: confirming: %v", err)
			} else {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("receiver: confirming: status %s", resp.Status)
				}
			}
		}
		return
	}
	switch status := (*r.answer.Load())(int(r.n.Add(1))); status {
	case 0:
		<-req.Context().Done()
	case -1:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	default:
		w.WriteHeader(status)
	}
}

// next returns the next delivery the receiver got.
func (r *receiver) next(t *testing.T) request {
	t.Helper()
	select {
	case q := <-r.got:
		return q
	case <-time.After(guard):
		t.Fatal("the receiver got no delivery")
	}
	panic("unreachable")
}

// nextOf returns the next delivery of type typ, failing on any other.
func (r *receiver) nextOf(t *testing.T, typ string) request {
	t.Helper()
	q := r.next(t)
	if q.msg.Type != typ {
		t.Fatalf("got a %s, want a %s", q.msg.Type, typ)
	}
	return q
}

// fixture is a topic whose Handler is served by a real HTTP server, and a
// receiver to subscribe.
type fixture struct {
	dir     string
	srv     *httptest.Server
	handler atomic.Pointer[http.Handler]
	topic   *Topic
	logs    *logSink
	recv    *receiver
}

// newFixture opens a topic on a seeded directory with opts (Dir, BaseURL
// and Logger filled in) and a receiver whose certificate is the topic's.
func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{dir: seededDir(t), logs: newLogSink(), recv: newReceiver(t)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := f.handler.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "no topic", http.StatusServiceUnavailable)
	}))
	t.Cleanup(f.srv.Close)
	f.open(t, opts)
	return f
}

// open opens (or reopens) the topic on the fixture's directory.
func (f *fixture) open(t *testing.T, opts Options) {
	t.Helper()
	opts.Dir = f.dir
	opts.BaseURL = f.srv.URL + "/local-sns"
	opts.Logger = slog.New(f.logs)
	topic, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(topic.Close)
	h := topic.Handler()
	f.handler.Store(&h)
	f.topic = topic
	f.recv.cert.Store(topic.Signer().Certificate())
}

// subscribe subscribes the receiver and waits until the handshake is done.
func (f *fixture) subscribe(t *testing.T) string {
	t.Helper()
	arn, err := f.topic.Subscribe(context.Background(), f.recv.url())
	if err != nil {
		t.Fatal(err)
	}
	f.recv.nextOf(t, sns.TypeSubscriptionConfirmation)
	f.logs.waitFor(t, 1, "localsns: subscription confirmed", "subscription="+arn)
	return arn
}

// publish publishes message and returns its MessageId.
func (f *fixture) publish(t *testing.T, message string) string {
	t.Helper()
	id, err := f.topic.Publish(context.Background(), message)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// pending lists the delivery files on disk.
func (f *fixture) pending(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(f.dir, DeliveriesDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
