package jobstest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// deliverers is how many goroutines deliver the same events at once, as
// SNS's at-least-once delivery and several server instances may.
const deliverers = 8

// shuffled returns the lifecycles of n jobs, interleaved and shuffled with a
// seed that t logs, so that a failing order can be replayed.
func shuffled(t *testing.T, n int) (ids []string, seq []*jobs.Update) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("events shuffled with seed %d", seed)
	for i := range n {
		id := fmt.Sprintf("job-%d", i)
		ids = append(ids, id)
		seq = append(seq, lifecycle(id)...)
	}
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	rng.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
	return ids, seq
}

func testRecordedOnce(t *testing.T, h *harness) {
	s := h.store(t)
	ids, seq := shuffled(t, 4)

	// Every deliverer applies the whole sequence in the same order, so each
	// event's first delivery comes after the first delivery of the events
	// before it: however the deliverers interleave, the store must end where
	// applying the sequence once would, and record each transition once.
	var (
		mu       sync.Mutex
		recorded = map[string][]jobs.Transition{}
		wg       sync.WaitGroup
		errs     = make(chan error, deliverers)
	)
	for range deliverers {
		wg.Go(func() {
			for _, u := range seq {
				c, err := s.Apply(context.Background(), u)
				if err != nil {
					errs <- fmt.Errorf("Apply(%s at %s): %w", u.JobID, u.At.Format(time.RFC3339Nano), err)
					return
				}
				mu.Lock()
				recorded[u.JobID] = append(recorded[u.JobID], c.Recorded...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for _, id := range ids {
		got := mustGet(t, s, id)
		sameJob(t, id, got, replay(id, seq))
		sameOnce(t, id+": transitions recorded by all calls", recorded[id], got.Transitions)
	}
}

func testNoLostUpdate(t *testing.T, h *harness) {
	const writers = 50
	s := h.store(t)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		recorded []jobs.Transition
		errs     = make(chan error, writers)
	)
	for i := range writers {
		wg.Go(func() {
			u := &jobs.Update{
				JobID: "job-1", At: at(i),
				Warnings: []jobs.Warning{{Code: fmt.Sprintf("W%02d", i), Message: "warning from writer", Count: 1}},
			}
			c, err := s.Apply(context.Background(), u)
			if err != nil {
				errs <- fmt.Errorf("writer %d: Apply: %w", i, err)
				return
			}
			if !c.Changed {
				errs <- fmt.Errorf("writer %d: Changed = false for a new warning", i)
			}
			mu.Lock()
			recorded = append(recorded, c.Recorded...)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	got := mustGet(t, s, "job-1")
	var codes []string
	for _, w := range got.Warnings {
		codes = append(codes, w.Code)
	}
	slices.Sort(codes)
	var want []string
	for i := range writers {
		want = append(want, fmt.Sprintf("W%02d", i))
	}
	if !slices.Equal(codes, want) {
		t.Errorf("stored warnings %v, want all %d: %v", codes, writers, want)
	}
	if got.Version != writers {
		t.Errorf("version = %d after %d changes, want %d", got.Version, writers, writers)
	}
	if len(got.Transitions) != 1 || got.State != jobs.Submitted {
		t.Errorf("transitions %s, want SUBMITTED alone", dump(got.Transitions))
	}
	sameOnce(t, "transitions recorded by all calls", recorded, got.Transitions)
	if !got.UpdatedAt.Equal(at(writers - 1)) {
		t.Errorf("updatedAt = %s, want the latest event's time %s", got.UpdatedAt, at(writers-1))
	}
}
