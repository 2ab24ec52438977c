package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/webhooks"
)

// hangingReceivers starts n receivers that never answer a call, until the
// test ends or release is called.
func hangingReceivers(t *testing.T, n int) (urls []string, release func()) {
	t.Helper()
	ch := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	for range n {
		rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-ch:
			}
		})
		urls = append(urls, rc.URL+"/hook")
	}
	t.Cleanup(release) // before the receivers close, which waits for their calls
	return urls, release
}

// deliverDueBefore runs d.DeliverDue(ctx) and fails the test when it has not
// returned within bound, a wait far past what the test expects (so not a
// measurement) and far short of the calls' timeout.
func deliverDueBefore(t *testing.T, ctx context.Context, d *webhooks.Dispatcher, bound time.Duration, release func()) (int, error) {
	t.Helper()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := d.DeliverDue(ctx)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-time.After(bound):
		release() // let the calls end, so that the pass does too
		<-done
		t.Fatalf("DeliverDue did not return within %s of a context that ends sooner", bound)
		return 0, nil
	}
}

func TestAPassEndsByItsDeadlineAndLeavesTheCallsItDidNotMakeDue(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
	hooks, release := hangingReceivers(t, 3)
	ids := []string{"a", "b", "c"}
	for i, id := range ids {
		apply(t, s, &jobs.Update{JobID: id, Owner: "owner-" + id, At: t0.Add(time.Duration(i) * time.Second), State: jobs.Complete, CallbackURL: hooks[i]})
	}
	// Two calls at once and three due: the third waits for a slot that
	// frees only when the calls time out, at the deadline.
	d := newDispatcher(t, webhooks.Options{Store: s, Now: newClock(t0.Add(time.Minute)).Now, Backoff: minute,
		Concurrency: 2, Timeout: 30 * time.Second, Lease: time.Minute})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := deliverDueBefore(t, ctx, d, 15*time.Second, release)
	if n != 2 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("DeliverDue = %d, %v; want the 2 calls claimed before the deadline, and the deadline", n, err)
	}
	for _, id := range ids[:2] {
		if w := delivery(t, s, id, id+"-COMPLETE"); w.Attempts != 1 || !w.Pending() || w.LastError != "timed out" || !w.LeaseUntil.IsZero() {
			t.Errorf("call %s, made: %+v; want its timeout recorded, to retry", id, w)
		}
	}
	if w := delivery(t, s, "c", "c-COMPLETE"); w.Attempts != 0 || !w.Pending() || !w.LeaseUntil.IsZero() || !w.NextAttempt.Equal(t0.Add(2*time.Second)) {
		t.Errorf("call c, not made: %+v; want it still due as before, unclaimed", w)
	}
}

func TestAPassWithoutTimeForACallClaimsNone(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"a deadline nearer than the shortest call", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 500*time.Millisecond)
		}},
		{"a context already canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			hooks, release := hangingReceivers(t, 1)
			apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Complete, CallbackURL: hooks[0]})
			d := newDispatcher(t, webhooks.Options{Store: s, Now: newClock(t0).Now, Timeout: 30 * time.Second, Lease: time.Minute})

			ctx, cancel := tt.ctx()
			defer cancel()
			if n, _ := deliverDueBefore(t, ctx, d, 15*time.Second, release); n != 0 {
				t.Fatalf("DeliverDue made %d calls, want none", n)
			}
			if w := delivery(t, s, "j", "j-COMPLETE"); w.Attempts != 0 || !w.Pending() || !w.LeaseUntil.IsZero() {
				t.Fatalf("the call: %+v; want it still due, unclaimed", w)
			}
		})
	}
}
