package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/webhooks"
)

func TestATransitionIsDeliveredSignedWithItsPayload(t *testing.T) {
	tests := []struct {
		name      string
		view      func(*jobs.Job) any
		checkView func(t *testing.T, view map[string]any)
	}{
		{"the tests' own view is sent", nil, func(t *testing.T, view map[string]any) {
			if view["id"] != "job-1" || view["state"] != "COMPLETE" || view["name"] != "song.wav" {
				t.Errorf("view = %v, want the job", view)
			}
		}},
		{"the view given in the options is sent", func(j *jobs.Job) any {
			return map[string]any{"id": j.ID, "download": "https://dl.example.com/" + j.ID}
		}, func(t *testing.T, view map[string]any) {
			if view["download"] != "https://dl.example.com/job-1" {
				t.Errorf("view = %v, want the view from the options", view)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			rc := newReceiver(t, answering(204))
			clk := newClock(t0.Add(time.Second))
			d := newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now, View: tt.view})
			apply(t, s, &jobs.Update{JobID: "job-1", Name: "song.wav", At: t0, State: jobs.Complete, CallbackURL: rc.URL + "/hook"})

			deliverDue(t, d, 1)
			c := rc.Calls()[0]
			if c.method != http.MethodPost || c.path != "/hook" {
				t.Errorf("call = %s %s, want POST /hook", c.method, c.path)
			}
			for h, want := range map[string]string{
				webhooks.DeliveryHeader: "job-1-COMPLETE",
				"Content-Type":          "application/json",
				"User-Agent":            "transcoder-webhooks/1",
			} {
				if got := c.header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			sig := c.header.Get(webhooks.SignatureHeader)
			if err := webhooks.Verify(webhooks.OwnerSecret(secret, ""), sig, c.body, clk.Now(), time.Minute); err != nil {
				t.Errorf("Verify with the operator's secret: %v", err)
			}
			if err := webhooks.Verify([]byte("some other secret value"), sig, c.body, clk.Now(), time.Minute); !errors.Is(err, webhooks.ErrBadSignature) {
				t.Errorf("Verify with another secret = %v, want ErrBadSignature", err)
			}

			p, view := c.payload(t)
			if p.Job != "job-1" || p.State != jobs.Complete || p.Delivery != "job-1-COMPLETE" || p.Attempt != 1 || !p.At.Equal(t0) {
				t.Errorf("payload = %+v", p)
			}
			if !strings.Contains(string(c.body), `"at":"2025-03-01T12:00:00Z"`) {
				t.Errorf("at is not RFC 3339 UTC in %s", c.body)
			}
			tt.checkView(t, view)
		})
	}
}

func TestACallIsSignedWithItsOwnersSecretAlone(t *testing.T) {
	tests := []struct {
		name  string
		owner string
		other string // another owner, whose secret must not verify the call
	}{
		{"alice's call", "alice", "bob"},
		{"the operator's call (no owner)", "", "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			rc := newReceiver(t, answering(204))
			clk := newClock(t0)
			d := newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now})
			apply(t, s, &jobs.Update{JobID: "j", Owner: tt.owner, At: t0, State: jobs.Complete, CallbackURL: rc.URL})

			deliverDue(t, d, 1)
			c := rc.Calls()[0]
			sig := c.header.Get(webhooks.SignatureHeader)
			if err := webhooks.Verify(webhooks.OwnerSecret(secret, tt.owner), sig, c.body, clk.Now(), time.Minute); err != nil {
				t.Errorf("Verify with the owner's secret: %v", err)
			}
			for what, key := range map[string][]byte{
				"another owner's secret":  webhooks.OwnerSecret(secret, tt.other),
				"the dispatcher's secret": secret,
			} {
				if err := webhooks.Verify(key, sig, c.body, clk.Now(), time.Minute); !errors.Is(err, webhooks.ErrBadSignature) {
					t.Errorf("Verify with %s = %v, want ErrBadSignature", what, err)
				}
			}
		})
	}
}

func TestEveryKindOfFailedCallIsRetriedAfterTheBackoff(t *testing.T) {
	tests := []struct {
		name       string
		respond    func(int, http.ResponseWriter, *http.Request) // nil: nothing listens
		tls        bool                                          // the receiver serves https, with a certificate nobody trusts
		wantStatus int
		wantError  string
	}{
		{"a server error", answering(500), false, 500, "HTTP 500"},
		{"a client error", answering(404), false, 404, "HTTP 404"},
		{"an answer with a reason phrase of the receiver's own", func(_ int, w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 503 ssh-2.0-openssh on 10.0.0.5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			buf.Flush()
		}, false, 503, "HTTP 503"},
		{"a redirect, which is not followed", func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, false, 302, "HTTP 302 (redirects are not followed)"},
		{"no answer within the timeout", func(_ int, _ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, false, 0, "timed out"},
		{"a refused connection", nil, false, 0, "could not connect"},
		{"a connection reset", func(_ int, w http.ResponseWriter, _ *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.(*net.TCPConn).SetLinger(0) // close with a reset
			conn.Close()
		}, false, 0, "the connection was reset"},
		{"a connection closed without an answer", func(_ int, w http.ResponseWriter, _ *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
		}, false, 0, "the connection closed without an answer"},
		{"an answer that is not HTTP", func(_ int, w http.ResponseWriter, _ *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			buf.WriteString("SSH-2.0-OpenSSH_9.6 internal-build-host\r\n")
			buf.Flush()
		}, false, 0, "no valid answer"},
		{"a certificate that is not trusted", answering(204), true, 0, "the receiver's certificate was not accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			var rc *receiver
			hook := closedURL(t)
			// Long enough that a loaded machine finishes every handshake in
			// time; only the hanging receiver waits it out.
			opts := webhooks.Options{Store: s, Backoff: minute, Timeout: 2 * time.Second}
			switch {
			case tt.tls:
				rc = newTLSReceiver(t, tt.respond)
				opts.HTTPClient = &http.Client{} // the default one would not dial loopback for https
			case tt.respond != nil:
				rc = newReceiver(t, tt.respond)
			}
			if rc != nil {
				hook = rc.URL + "/hook"
			}
			clk := newClock(t0)
			opts.Now = clk.Now
			d := newDispatcher(t, opts)
			apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Submitted, CallbackURL: hook})

			deliverDue(t, d, 1)
			w := delivery(t, s, "j", "j-SUBMITTED")
			if w.Attempts != 1 || !w.Pending() || w.LastStatus != tt.wantStatus || w.LastError != tt.wantError ||
				!w.NextAttempt.Equal(t0.Add(time.Minute)) || !w.LeaseUntil.IsZero() {
				t.Fatalf("after the failed call: %+v; want status %d, error %q, retry at %v", w, tt.wantStatus, tt.wantError, t0.Add(time.Minute))
			}
			if rc != nil && !tt.tls && len(rc.Calls()) != 1 {
				t.Fatalf("the receiver got %d calls, want 1 (a redirect is not followed)", len(rc.Calls()))
			}
			clk.Set(t0.Add(time.Minute - time.Second))
			deliverDue(t, d, 0)
			clk.Set(t0.Add(time.Minute))
			deliverDue(t, d, 1)
		})
	}
}

func TestACallAnsweredWith500Then200IsDeliveredOnTheSecondAttempt(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	rc := newReceiver(t, answering(500, 200))
	clk := newClock(t0)
	d := newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now, Backoff: minute})
	apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Complete, CallbackURL: rc.URL})

	deliverDue(t, d, 1)
	clk.Set(t0.Add(time.Minute))
	deliverDue(t, d, 1)
	clk.Set(t0.Add(time.Hour))
	deliverDue(t, d, 0)

	calls := rc.Calls()
	if len(calls) != 2 || calls[0].header.Get(webhooks.DeliveryHeader) != calls[1].header.Get(webhooks.DeliveryHeader) {
		t.Fatalf("calls = %d, want 2 of one delivery", len(calls))
	}
	if p, _ := calls[1].payload(t); p.Attempt != 2 {
		t.Errorf("the retry says attempt %d, want 2", p.Attempt)
	}
	stored := storedCalls(t, s, "j")
	w := stored[0]
	if len(stored) != 1 || w.Attempts != 2 || w.LastStatus != 200 || !w.DeliveredAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("webhook calls of the stored job = %+v; want attempts 2, lastStatus 200, deliveredAt the second call", stored)
	}
	if !w.NextAttempt.IsZero() || !w.LeaseUntil.IsZero() || w.LastError != "" || w.GaveUp {
		t.Errorf("a delivered call still has a next attempt, a lease, an error or gave up: %+v", w)
	}
}

func TestACallNeverAnswered2xxIsGivenUpAfterMaxAttempts(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	rc := newReceiver(t, answering(503))
	clk := newClock(t0)
	d := newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now, Backoff: minute, MaxAttempts: 3})
	apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Failed, CallbackURL: rc.URL})

	for i := range 3 {
		clk.Set(t0.Add(time.Duration(i) * time.Minute))
		deliverDue(t, d, 1)
	}
	clk.Set(t0.Add(24 * time.Hour))
	deliverDue(t, d, 0)
	if n := len(rc.Calls()); n != 3 {
		t.Fatalf("the receiver got %d calls, want 3", n)
	}
	w := storedCalls(t, s, "j")[0]
	if !w.GaveUp || w.Attempts != 3 || w.LastStatus != 503 {
		t.Fatalf("webhook call of the stored job = %+v; want gaveUp after 3 attempts", w)
	}
	if !w.NextAttempt.IsZero() {
		t.Errorf("a call given up on still has a next attempt: %+v", w)
	}
}

func TestAFailedCallIsRetriedAfterARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	s := openStore(t, path)
	rc := newReceiver(t, answering(500, 200))
	clk := newClock(t0)
	apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Complete, CallbackURL: rc.URL})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d := newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now, Backoff: minute, Poll: time.Hour})
	go func() { defer close(done); d.Run(ctx) }()
	rc.await(t, "the first call")
	cancel()
	<-done // Run returns once the call in flight is recorded
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	if w := delivery(t, s, "j", "j-COMPLETE"); w.Attempts != 1 || !w.Pending() || !w.LeaseUntil.IsZero() || !w.NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the restart: %+v; want one failed attempt, unclaimed, retry in a minute", w)
	}
	clk.Set(t0.Add(time.Minute))
	deliverDue(t, newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now, Backoff: minute}), 1)
	if w := delivery(t, s, "j", "j-COMPLETE"); w.DeliveredAt.IsZero() || w.Attempts != 2 {
		t.Fatalf("after the retry: %+v; want delivered on the second attempt", w)
	}
	if calls := rc.Calls(); len(calls) != 2 || calls[1].header.Get(webhooks.DeliveryHeader) != "j-COMPLETE" {
		t.Fatalf("the receiver got %d calls, want 2 of j-COMPLETE", len(calls))
	}
}

func TestACallClaimedByADispatcherThatDiedIsMadeWhenItsLeaseEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	s := openStore(t, path)
	rc := newReceiver(t, answering(200))
	apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Complete, CallbackURL: rc.URL})
	// The dead dispatcher's claim, made a second before it died.
	if _, err := s.Modify(context.Background(), "j", func(j *jobs.Job) bool {
		return j.ClaimWebhookCall("j-COMPLETE", t0, t0.Add(30*time.Second))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, path)
	clk := newClock(t0.Add(29 * time.Second))
	d := newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now})
	deliverDue(t, d, 0)
	clk.Set(t0.Add(30 * time.Second))
	deliverDue(t, d, 1)
	if w := delivery(t, s, "j", "j-COMPLETE"); w.DeliveredAt.IsZero() || w.Attempts != 1 {
		t.Fatalf("after the lease ended: %+v; want delivered", w)
	}
}

func TestTwoDispatchersOnOneStoreDeliverEachTransitionOnce(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	rc := newReceiver(t, answering(204))
	const jobCount = 10
	for i := range jobCount {
		id := "job-" + string(rune('a'+i))
		for k, st := range []jobs.State{jobs.Submitted, jobs.Progressing, jobs.Complete} {
			apply(t, s, &jobs.Update{JobID: id, At: t0.Add(time.Duration(k) * time.Second), State: st, CallbackURL: rc.URL})
		}
	}
	clk := newClock(t0.Add(time.Minute))
	ds := []*webhooks.Dispatcher{
		newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now}),
		newDispatcher(t, webhooks.Options{Store: s, Now: clk.Now}),
	}
	var mu sync.Mutex
	made := 0
	for range 2 { // the second round finds nothing left
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Go(func() {
				n, err := d.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				made += n
				mu.Unlock()
			})
		}
		wg.Wait()
	}

	perDelivery := map[string]int{}
	for _, c := range rc.Calls() {
		perDelivery[c.header.Get(webhooks.DeliveryHeader)]++
	}
	if len(perDelivery) != 3*jobCount || made != 3*jobCount {
		t.Fatalf("%d distinct deliveries in %d calls (dispatchers counted %d), want %d", len(perDelivery), len(rc.Calls()), made, 3*jobCount)
	}
	for id, n := range perDelivery {
		if n != 1 {
			t.Errorf("%s was delivered %d times", id, n)
		}
	}
}

func TestThreeTransitionsAreThreeDeliveriesInOrder(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	rc := newReceiver(t, answering(200))
	updates := []*jobs.Update{
		{JobID: "j", At: t0, State: jobs.Submitted, CallbackURL: rc.URL},
		{JobID: "j", At: t0.Add(time.Second), State: jobs.Progressing, Progress: 10},
		{JobID: "j", At: t0.Add(2 * time.Second), State: jobs.Progressing, Progress: 50},
		{JobID: "j", At: t0.Add(3 * time.Second), State: jobs.Complete},
		{JobID: "j", At: t0.Add(3 * time.Second), State: jobs.Complete}, // a duplicate event
	}
	for _, u := range updates {
		apply(t, s, u)
	}
	d := newDispatcher(t, webhooks.Options{Store: s, Now: newClock(t0.Add(time.Minute)).Now})
	deliverDue(t, d, 3)
	deliverDue(t, d, 0)

	var got []string
	ids := map[string]bool{}
	for _, c := range rc.Calls() {
		p, _ := c.payload(t)
		got = append(got, fmt.Sprintf("%d:%s", p.Sequence, p.State))
		ids[c.header.Get(webhooks.DeliveryHeader)] = true
	}
	if strings.Join(got, ",") != "1:SUBMITTED,2:PROGRESSING,3:COMPLETE" || len(ids) != 3 {
		t.Fatalf("calls for %v with %d distinct delivery ids; want SUBMITTED, PROGRESSING, COMPLETE numbered 1 to 3, each its own", got, len(ids))
	}
}

func TestACallCarriesItsTransitionsPlaceSoALateRetryCanBeToldApart(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	// PROGRESSING's first call fails; by its retry the job has completed.
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	clock := newClock(t0.Add(time.Minute))
	d := newDispatcher(t, webhooks.Options{Store: s, Now: clock.Now, Backoff: minute})
	apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Progressing, CallbackURL: rc.URL})
	deliverDue(t, d, 1)
	apply(t, s, &jobs.Update{JobID: "j", At: t0.Add(time.Second), State: jobs.Complete})
	deliverDue(t, d, 1)
	clock.Set(t0.Add(3 * time.Minute))
	deliverDue(t, d, 1)
	var got []string
	for _, c := range rc.Calls() {
		p, _ := c.payload(t)
		got = append(got, fmt.Sprintf("%d:%s", p.Sequence, p.State))
	}
	// The receiver sees PROGRESSING after COMPLETE, and its lower sequence
	// says it is the older news.
	if strings.Join(got, ",") != "1:PROGRESSING,2:COMPLETE,1:PROGRESSING" {
		t.Fatalf("calls %v, want the failed PROGRESSING, COMPLETE, then PROGRESSING's retry, numbered by their place", got)
	}
}

func TestKickDeliversWithoutWaitingForThePoll(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	rc := newReceiver(t, answering(204))
	d := newDispatcher(t, webhooks.Options{Store: s, Poll: time.Hour})
	apply(t, s, &jobs.Update{JobID: "before", At: time.Now(), State: jobs.Submitted, CallbackURL: rc.URL})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// Run's first pass delivers what was owed before it started; once that
	// call arrives, the pass has read the store, and only a poll an hour
	// away, or a kick, makes another.
	rc.await(t, "the call owed before Run started")

	apply(t, s, &jobs.Update{JobID: "after", At: time.Now(), State: jobs.Submitted, CallbackURL: rc.URL})
	d.Kick()
	c := rc.await(t, "the kick did not wake the dispatcher")
	if id := c.header.Get(webhooks.DeliveryHeader); id != "after-SUBMITTED" {
		t.Fatalf("the kick delivered %s, want after-SUBMITTED", id)
	}
}

// rivalStore is a store whose Modify, the first time, runs fn once on the
// job as it is and then lets a rival dispatcher claim the call before
// running fn again for real: a store that retries fn after a conflicting
// write, as the DynamoDB store does.
type rivalStore struct {
	jobs.Store
	once  sync.Once
	rival func()
}

func (s *rivalStore) Modify(ctx context.Context, id string, fn func(*jobs.Job) bool) (*jobs.Job, error) {
	s.once.Do(func() {
		j, err := s.Store.Get(ctx, id)
		if err == nil {
			fn(j) // its write conflicted with the rival's
		}
		s.rival()
	})
	return s.Store.Modify(ctx, id, fn)
}

func TestAClaimLostToARivalIsNotCalled(t *testing.T) {
	tests := []struct {
		name  string
		lease time.Time // the rival's
	}{
		{"the rival's lease ends when ours would", t0.Add(30 * time.Second)},
		{"the rival's lease ends at another time", t0.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			rc := newReceiver(t, answering(200))
			apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Complete, CallbackURL: rc.URL})
			rs := &rivalStore{Store: s, rival: func() {
				if _, err := s.Modify(context.Background(), "j", func(j *jobs.Job) bool {
					return j.ClaimWebhookCall("j-COMPLETE", t0, tt.lease)
				}); err != nil {
					t.Error(err)
				}
			}}
			d := newDispatcher(t, webhooks.Options{Store: rs, Now: newClock(t0).Now})

			deliverDue(t, d, 0)
			if n := len(rc.Calls()); n != 0 {
				t.Fatalf("the receiver got %d calls from a lost claim", n)
			}
			if w := delivery(t, s, "j", "j-COMPLETE"); !w.LeaseUntil.Equal(tt.lease) || w.Attempts != 0 {
				t.Fatalf("delivery %+v; want the rival's claim untouched", w)
			}
		})
	}
}

func TestAnOutcomeIsNotRecordedOverAClaimThatPassedToAnotherDispatcher(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	rival := t0.Add(time.Minute)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		// Our claim ends during the call, and another dispatcher claims.
		if _, err := s.Modify(context.Background(), "j", func(j *jobs.Job) bool {
			return j.ClaimWebhookCall("j-COMPLETE", t0.Add(30*time.Second), rival)
		}); err != nil {
			t.Error(err)
		}
	})
	apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Complete, CallbackURL: rc.URL})
	d := newDispatcher(t, webhooks.Options{Store: s, Now: newClock(t0).Now})

	deliverDue(t, d, 1)
	if w := delivery(t, s, "j", "j-COMPLETE"); !w.LeaseUntil.Equal(rival) || w.Attempts != 0 || !w.DeliveredAt.IsZero() {
		t.Fatalf("delivery %+v; want the other dispatcher's claim untouched", w)
	}
}

func TestACallbackURLRefusedAtDispatchIsGivenUpWithoutACall(t *testing.T) {
	tests := []struct {
		name      string
		allow     func(*url.URL) error
		wantError string
	}{
		{"the default policy refuses http", nil, "scheme must be https"},
		{"the policy in the options is applied", func(u *url.URL) error {
			return errors.New(u.Hostname() + " is not on the allowlist")
		}, "127.0.0.1 is not on the allowlist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			rc := newReceiver(t, answering(200))
			apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Complete, CallbackURL: rc.URL})
			d, err := webhooks.New(webhooks.Options{Store: s, Secret: secret, Now: newClock(t0).Now, AllowURL: tt.allow, View: testView})
			if err != nil {
				t.Fatal(err)
			}

			deliverDue(t, d, 0)
			if n := len(rc.Calls()); n != 0 {
				t.Fatalf("the receiver got %d calls to a refused URL", n)
			}
			if w := delivery(t, s, "j", "j-COMPLETE"); !w.GaveUp || !strings.Contains(w.LastError, tt.wantError) {
				t.Fatalf("delivery %+v; want given up with %q", w, tt.wantError)
			}
		})
	}
}

func TestNewRefusesOptionsThatCannotWork(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	tests := []struct {
		name string
		opts webhooks.Options
		want string
	}{
		{"no store", webhooks.Options{Secret: secret}, "Store"},
		{"no secret", webhooks.Options{Store: s}, "Secret"},
		{"a short secret", webhooks.Options{Store: s, Secret: []byte("fifteen bytes!!")}, "Secret"},
		{"a negative poll", webhooks.Options{Store: s, Secret: secret, Poll: -time.Second}, "Poll"},
		{"a lease no longer than the default timeout", webhooks.Options{Store: s, Secret: secret, Lease: 5 * time.Second}, "Lease"},
		{"a timeout past the default lease", webhooks.Options{Store: s, Secret: secret, Timeout: time.Minute}, "Lease"},
		{"negative attempts", webhooks.Options{Store: s, Secret: secret, MaxAttempts: -1}, "MaxAttempts"},
		{"negative concurrency", webhooks.Options{Store: s, Secret: secret, Concurrency: -1}, "Concurrency"},
		{"no view", webhooks.Options{Store: s, Secret: secret}, "View is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := webhooks.New(tt.opts); err == nil || !strings.Contains(err.Error(), "Options."+tt.want) {
				t.Fatalf("New = %v, want an error naming Options.%s", err, tt.want)
			}
		})
	}
}
