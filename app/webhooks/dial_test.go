package webhooks_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"transcoder/app/jobs"
	"transcoder/app/webhooks"
)

// The URL policy reads the URL only; these tests let every URL through it
// (as a DNS name that resolves to an internal address gets through), so
// that what they see is the check of the address actually dialled.
func TestTheDefaultClientConnectsOnlyToAddressesTheDialPolicyAllows(t *testing.T) {
	anyURL := func(*url.URL) error { return nil }
	tests := []struct {
		name      string
		local     bool   // Options.AllowLoopbackHTTP
		url       string // with HOST for the receiver's port on loopback
		delivered bool
	}{
		{"outside local mode, a name that resolves to loopback is not called", false, "http://localhost:PORT/hook", false},
		{"outside local mode, an https name that resolves to loopback is not called", false, "https://localhost:PORT/hook", false},
		{"outside local mode, a loopback address is not called", false, "http://127.0.0.1:PORT/hook", false},
		{"in local mode, plain http to a name that resolves to loopback is called", true, "http://localhost:PORT/hook", true},
		{"in local mode, https to a name that resolves to loopback is not called", true, "https://localhost:PORT/hook", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			rc := newReceiver(t, answering(204))
			u, err := url.Parse(rc.URL)
			if err != nil {
				t.Fatal(err)
			}
			hook := strings.Replace(tt.url, "PORT", u.Port(), 1)
			d := newDispatcher(t, webhooks.Options{Store: s, Now: newClock(t0).Now, Backoff: minute,
				AllowURL: anyURL, AllowLoopbackHTTP: tt.local})
			apply(t, s, &jobs.Update{JobID: "j", At: t0, State: jobs.Complete, CallbackURL: hook})

			deliverDue(t, d, 1)
			w := delivery(t, s, "j", "j-COMPLETE")
			if tt.delivered {
				if w.DeliveredAt.IsZero() || len(rc.Calls()) != 1 {
					t.Fatalf("delivery %+v after %d calls; want delivered", w, len(rc.Calls()))
				}
				return
			}
			if n := len(rc.Calls()); n != 0 {
				t.Fatalf("the receiver got %d calls through a refused address", n)
			}
			if !w.GaveUp || w.Attempts != 1 || w.LastError != "the address is not allowed" {
				t.Fatalf("delivery %+v; want given up at once, the address not allowed", w)
			}
		})
	}
}
