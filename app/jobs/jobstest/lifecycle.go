package jobstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"transcoder/app/jobs"
)

// The tests in this file check the life of a store rather than of a job:
// cancellation, Close, and what a persistent store keeps across reopening.

func testCanceled(t *testing.T, h *harness) {
	s := h.store(t)
	steps := lifecycle("job-1")
	before := mustApply(t, s, steps[stepSubmit])
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	t.Run("an update to a known job", func(t *testing.T) {
		if c, err := s.Apply(canceled, steps[stepInput]); !errors.Is(err, context.Canceled) {
			t.Errorf("Apply with a canceled context = %s, %v; want an error wrapping context.Canceled", dump(c), err)
		}
		sameJob(t, "the job after a canceled update", mustGet(t, s, "job-1"), before.Job)
	})
	t.Run("an update to an unseen job", func(t *testing.T) {
		if c, err := s.Apply(canceled, lifecycle("job-2")[stepSubmit]); !errors.Is(err, context.Canceled) {
			t.Errorf("Apply with a canceled context = %s, %v; want an error wrapping context.Canceled", dump(c), err)
		}
		if _, err := s.Get(context.Background(), "job-2"); !errors.Is(err, jobs.ErrNotFound) {
			t.Errorf("Get after a canceled update of an unseen job = %v; want jobs.ErrNotFound", err)
		}
	})
	t.Run("a get", func(t *testing.T) {
		if j, err := s.Get(canceled, "job-1"); !errors.Is(err, context.Canceled) {
			t.Errorf("Get with a canceled context = %s, %v; want an error wrapping context.Canceled", dump(j), err)
		}
	})
	t.Run("the store works on afterwards", func(t *testing.T) {
		c := mustApply(t, s, steps[stepInput])
		if !c.Changed || c.Job.Version != 2 || len(c.Recorded) != 1 {
			t.Errorf("the update refused earlier, applied now: changed %v, version %d, recorded %s; want true, 2, one transition",
				c.Changed, c.Job.Version, dump(c.Recorded))
		}
	})
}

func testCanceledMidway(t *testing.T, h *harness) {
	s := h.store(t)
	ids, seq := shuffled(t, 3)

	// Each deliverer cancels its context while one of its calls is under
	// way, at a different point of the sequence, and stops at the first
	// error. Whether the interrupted call took effect is up to the store;
	// what must hold is that nothing is half-applied, nothing is recorded
	// twice, and delivering everything again ends where it should.
	var (
		mu       sync.Mutex
		recorded = map[string][]jobs.Transition{}
		wg       sync.WaitGroup
		errs     = make(chan error, deliverers)
	)
	for d := range deliverers {
		stopAt := d * len(seq) / deliverers
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for i, u := range seq {
				if i == stopAt {
					go cancel()
				}
				c, err := s.Apply(ctx, u)
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						errs <- fmt.Errorf("deliverer %d: Apply after cancel: %w; want an error wrapping context.Canceled", d, err)
					}
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
		t.Error(err)
	}

	for _, u := range seq {
		c := mustApply(t, s, u)
		recorded[u.JobID] = append(recorded[u.JobID], c.Recorded...)
	}
	for _, id := range ids {
		got := mustGet(t, s, id)
		sameJob(t, id+" once everything is delivered", got, replay(id, seq))
		// A call that failed may have recorded a transition the caller never
		// heard of, so recorded may miss some; it may not repeat any.
		seen := map[jobs.Transition]int{}
		for _, tr := range recorded[id] {
			seen[tr]++
		}
		for tr, n := range seen {
			if n > 1 {
				t.Errorf("%s: %s at %s recorded %d times, want at most once", id, tr.State, tr.At, n)
			}
		}
	}
}

func testClosed(t *testing.T, h *harness) {
	s, closeStore := h.storeWithClose(t)
	mustApply(t, s, lifecycle("job-1")[stepSubmit])
	if err := closeStore(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	if c, err := s.Apply(context.Background(), lifecycle("job-1")[stepInput]); err == nil {
		t.Errorf("Apply after Close = %s, nil; want an error", dump(c))
	}
	if j, err := s.Get(context.Background(), "job-1"); err == nil {
		t.Errorf("Get after Close = %s, nil; want an error", dump(j))
	}
}

func testReopen(t *testing.T, h *harness) {
	if h.opts.Reopen == nil {
		t.Skip("the store keeps nothing across Close (Options.Reopen is nil): this test runs for every persistent store, SQLite and DynamoDB among them")
	}
	s, closeStore := h.storeWithClose(t)
	ids, seq := shuffled(t, 3)
	last := map[string]*jobs.Job{}
	for _, u := range seq {
		last[u.JobID] = mustApply(t, s, u).Job
	}
	if err := closeStore(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	r, _ := h.reopen(t, s)
	for _, id := range ids {
		sameJob(t, id+" after reopening", mustGet(t, r, id), last[id])
	}
	if c := mustApply(t, r, seq[0]); c.Changed {
		t.Error("a duplicate of an update made before reopening changed the job, want no change")
	}
	id := ids[0]
	c := mustApply(t, r, &jobs.Update{JobID: id, At: at(9000), Warnings: []jobs.Warning{{Code: "after-reopen"}}})
	if !c.Changed || c.Job.Version != last[id].Version+1 {
		t.Errorf("a new update after reopening: changed %v, version %d; want true, %d", c.Changed, c.Job.Version, last[id].Version+1)
	}
}

func testCloseUnderLoad(t *testing.T, h *harness) {
	if h.opts.Reopen == nil {
		t.Skip("the store keeps nothing across Close (Options.Reopen is nil): this test runs for every persistent store, SQLite and DynamoDB among them")
	}
	const (
		writers   = 8
		perWriter = 100
		closeWhen = 16 // acknowledged updates before Close is called
	)
	s, closeStore := h.storeWithClose(t)

	// Writers add warnings until the store refuses them; Close is called
	// while they are at it. Whatever Apply acknowledged must be there after
	// reopening.
	acked := make(chan *jobs.Update, writers*perWriter)
	refused := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				u := &jobs.Update{
					JobID: fmt.Sprintf("job-%d", w%2), At: at(i),
					Warnings: []jobs.Warning{{Code: fmt.Sprintf("W%d-%03d", w, i)}},
				}
				if _, err := s.Apply(context.Background(), u); err != nil {
					refused <- err
					return
				}
				acked <- u
			}
		})
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()

	var all []*jobs.Update
	for len(all) < closeWhen {
		select {
		case u := <-acked:
			all = append(all, u)
		case <-writersDone:
			t.Fatalf("the writers stopped after %d updates, before Close was called: %v", len(all), <-refused)
		}
	}
	if err := closeStore(); err != nil {
		t.Fatalf("Close under load: %v", err)
	}
	<-writersDone
	close(acked)
	for u := range acked {
		all = append(all, u)
	}
	t.Logf("%d updates acknowledged around Close", len(all))

	r, _ := h.reopen(t, s)
	stored := map[string]map[string]bool{}
	for _, id := range []string{"job-0", "job-1"} {
		stored[id] = map[string]bool{}
		j, err := r.Get(context.Background(), id)
		if errors.Is(err, jobs.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("Get(%s) after reopening: %v", id, err)
		}
		for _, w := range j.Warnings {
			stored[id][w.Code] = true
		}
	}
	for _, u := range all {
		if code := u.Warnings[0].Code; !stored[u.JobID][code] {
			t.Errorf("%s: warning %s was acknowledged but is missing after reopening", u.JobID, code)
		}
	}
}
