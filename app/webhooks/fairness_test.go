package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/webhooks"
)

func TestOneOwnerHoldsAtMostHalfTheCallsInFlight(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		others      int // jobs of other owners, due after mallory's
		wantMallory int // of the first calls in flight, as many as the concurrency
	}{
		{"four slots leave two to other owners", 4, 2, 2},
		{"five slots leave three to other owners", 5, 3, 2},
		{"one slot is a cap of one", 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			arrived := make(chan string, 100) // job ids, as their calls arrive
			release := make(chan struct{})
			rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
				arrived <- strings.TrimSuffix(r.Header.Get(webhooks.DeliveryHeader), "-COMPLETE")
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
			stop := sync.OnceFunc(func() { close(release) })
			t.Cleanup(stop)    // before the receiver closes, which waits for its calls
			const mallorys = 6 // never-answering callbacks, all due first
			for i := range mallorys + tt.others {
				owner, id := "mallory", fmt.Sprintf("mallory-%d", i)
				if i >= mallorys {
					owner, id = fmt.Sprintf("owner-%d", i), fmt.Sprintf("other-%d", i)
				}
				apply(t, s, &jobs.Update{JobID: id, Owner: owner, At: t0.Add(time.Duration(i) * time.Second), State: jobs.Complete, CallbackURL: rc.URL})
			}
			d := newDispatcher(t, webhooks.Options{Store: s, Now: newClock(t0.Add(time.Minute)).Now,
				Concurrency: tt.concurrency, Timeout: time.Minute, Lease: 2 * time.Minute})

			done := make(chan int, 1)
			go func() {
				n, err := d.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
				}
				done <- n
			}()
			// The receiver holds every call, so the first calls to arrive,
			// as many as the slots, are the calls in flight at once.
			mallory := 0
			for range tt.concurrency {
				select {
				case id := <-arrived:
					if strings.HasPrefix(id, "mallory-") {
						mallory++
					}
				case <-time.After(time.Minute):
					t.Fatal("the calls in flight did not all arrive")
				}
			}
			stop()
			if mallory != tt.wantMallory {
				t.Errorf("of the first %d calls in flight, %d were mallory's; want %d", tt.concurrency, mallory, tt.wantMallory)
			}
			if n := <-done; n != mallorys+tt.others {
				t.Fatalf("DeliverDue made %d calls, want every due call, %d", n, mallorys+tt.others)
			}
		})
	}
}

func TestOwnersTakeTurnsForTheSlotsWhateverTheirCallsDue(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		// due is how many jobs with a call due each owner has, all of an
		// owner's due before the next owner's.
		due []int
		// want is how many of the first calls in flight, as many as the
		// slots, are each owner's.
		want []int
	}{
		{"an owner with one call due last is among the first in flight behind two with many", 4, []int{10, 10, 1}, []int{2, 1, 1}},
		{"every owner gets a call in flight before any gets a second", 6, []int{10, 10, 10, 1}, []int{2, 2, 1, 1}},
		{"an owner alone beside a flood gets its call in flight at once", 2, []int{30, 1}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "jobs.db"))
			arrived := make(chan string, 100) // owners, as their calls arrive
			release := make(chan struct{})
			rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
				owner, _, _ := strings.Cut(r.Header.Get(webhooks.DeliveryHeader), "-")
				arrived <- owner
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
			stop := sync.OnceFunc(func() { close(release) })
			t.Cleanup(stop) // before the receiver closes, which waits for its calls
			total, at := 0, t0
			for o, n := range tt.due {
				for i := range n {
					// The job id starts with the owner, so that the
					// receiver tells whose call it got.
					owner := fmt.Sprintf("owner%d", o)
					apply(t, s, &jobs.Update{JobID: fmt.Sprintf("%s-%d", owner, i), Owner: owner, At: at, State: jobs.Complete, CallbackURL: rc.URL})
					at = at.Add(time.Second)
					total++
				}
			}
			d := newDispatcher(t, webhooks.Options{Store: s, Now: newClock(at.Add(time.Minute)).Now,
				Concurrency: tt.concurrency, Timeout: time.Minute, Lease: 2 * time.Minute})

			done := make(chan int, 1)
			go func() {
				n, err := d.DeliverDue(context.Background())
				if err != nil {
					t.Error(err)
				}
				done <- n
			}()
			// The receiver holds every call, so the first calls to arrive,
			// as many as the slots, are the calls in flight at once.
			got := make([]int, len(tt.due))
			for range tt.concurrency {
				select {
				case owner := <-arrived:
					var o int
					fmt.Sscanf(owner, "owner%d", &o)
					got[o]++
				case <-time.After(time.Minute):
					t.Fatal("the calls in flight did not all arrive")
				}
			}
			stop()
			if !slices.Equal(got, tt.want) {
				t.Errorf("of the first %d calls in flight, each owner's were %v; want %v", tt.concurrency, got, tt.want)
			}
			if n := <-done; n != total {
				t.Fatalf("DeliverDue made %d calls, want every due call, %d", n, total)
			}
		})
	}
}
