package jobstest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// unexpired is an expiry for the sets of a test: a day after the wall
// clock, which a store's sweep of expired sets goes by, so that no set is
// forgotten while a test counts it.
func unexpired() time.Time { return time.Now().Add(24 * time.Hour) }

// admit is one Admit call and what it must answer.
type admit struct {
	member   string
	admitted bool
	size     int
	release  bool // instead of admitting: release member, which must succeed
}

// sameMembers fails t unless the set under key holds exactly want.
func sameMembers(t *testing.T, s jobs.Tallies, key string, want ...string) {
	t.Helper()
	got, err := s.Members(context.Background(), key)
	if err != nil {
		t.Fatalf("Members(%s): %v", key, err)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("Members(%s) = %q, want %q", key, got, want)
	}
}

func testTallyAdmitAndRelease(t *testing.T, h *harness) {
	expires := unexpired()
	tests := []struct {
		name    string
		limit   int
		steps   []admit
		members []string
	}{
		{
			name:  "members are admitted up to the limit, then refused",
			limit: 3,
			steps: []admit{
				{member: "a", admitted: true, size: 1},
				{member: "b", admitted: true, size: 2},
				{member: "c", admitted: true, size: 3},
				{member: "d", admitted: false, size: 3},
				{member: "e", admitted: false, size: 3},
			},
			members: []string{"a", "b", "c"},
		},
		{
			name:  "a member admitted twice counts once, even at the limit",
			limit: 2,
			steps: []admit{
				{member: "a", admitted: true, size: 1},
				{member: "a", admitted: true, size: 1},
				{member: "b", admitted: true, size: 2},
				{member: "a", admitted: true, size: 2},
				{member: "b", admitted: true, size: 2},
				{member: "c", admitted: false, size: 2},
			},
			members: []string{"a", "b"},
		},
		{
			name:  "releasing a member frees its place",
			limit: 2,
			steps: []admit{
				{member: "a", admitted: true, size: 1},
				{member: "b", admitted: true, size: 2},
				{member: "c", admitted: false, size: 2},
				{member: "a", release: true},
				{member: "c", admitted: true, size: 2},
				{member: "a", admitted: false, size: 2},
			},
			members: []string{"b", "c"},
		},
		{
			name:  "releasing a member that is not there, twice, or from a set never seen changes nothing",
			limit: 2,
			steps: []admit{
				{member: "a", release: true},
				{member: "a", admitted: true, size: 1},
				{member: "z", release: true},
				{member: "a", release: true},
				{member: "a", release: true},
				{member: "b", admitted: true, size: 1},
				{member: "c", admitted: true, size: 2},
				{member: "d", admitted: false, size: 2},
			},
			members: []string{"b", "c"},
		},
		{
			name:  "a set emptied by releases admits again",
			limit: 1,
			steps: []admit{
				{member: "a", admitted: true, size: 1},
				{member: "a", release: true},
				{member: "b", admitted: true, size: 1},
				{member: "b", release: true},
			},
		},
		{
			name:  "a limit of one admits one member",
			limit: 1,
			steps: []admit{
				{member: "a", admitted: true, size: 1},
				{member: "b", admitted: false, size: 1},
				{member: "a", admitted: true, size: 1},
			},
			members: []string{"a"},
		},
	}
	s := storeAs[jobs.Tallies](t, h.store(t))
	ctx := context.Background()
	for n, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("tally-%d", n)
			for i, st := range tc.steps {
				if st.release {
					if err := s.Release(ctx, key, st.member); err != nil {
						t.Fatalf("step %d: Release(%s): %v", i, st.member, err)
					}
					continue
				}
				admitted, size, err := s.Admit(ctx, key, st.member, tc.limit, expires)
				if err != nil {
					t.Fatalf("step %d: Admit(%s): %v", i, st.member, err)
				}
				if admitted != st.admitted || size != st.size {
					t.Errorf("step %d: Admit(%s, limit %d) = %v, size %d; want %v, size %d", i, st.member, tc.limit, admitted, size, st.admitted, st.size)
				}
			}
			sameMembers(t, s, key, tc.members...)
		})
	}
}

func testTallyKeysAreIndependent(t *testing.T, h *harness) {
	s := storeAs[jobs.Tallies](t, h.store(t))
	ctx := context.Background()
	sameMembers(t, s, "never-seen")
	for _, key := range []string{"day 1", "day 2"} {
		if ok, size, err := s.Admit(ctx, key, "job-1", 1, time.Time{}); err != nil || !ok || size != 1 {
			t.Fatalf("Admit(%s, job-1) = %v, %d, %v; want admitted, size 1", key, ok, size, err)
		}
	}
	if ok, _, err := s.Admit(ctx, "day 1", "job-2", 1, time.Time{}); err != nil || ok {
		t.Errorf("Admit(day 1, job-2) past a limit of 1 = %v, %v; want refused", ok, err)
	}
	if err := s.Release(ctx, "day 2", "job-1"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	sameMembers(t, s, "day 1", "job-1")
	sameMembers(t, s, "day 2")
	sameMembers(t, s, "day") // a key is not a prefix
}

func testTallyInvalid(t *testing.T, h *harness) {
	s := storeAs[jobs.Tallies](t, h.store(t))
	ctx := context.Background()
	tests := []struct {
		name        string
		key, member string
		limit       int
	}{
		{"an Admit with a limit of 0 is refused", "k", "m", 0},
		{"an Admit with a negative limit is refused", "k", "m", -1},
		{"an Admit without a key is refused", "", "m", 3},
		{"an Admit without a member is refused", "k", "", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if admitted, _, err := s.Admit(ctx, tc.key, tc.member, tc.limit, time.Time{}); err == nil || admitted {
				t.Errorf("Admit(%q, %q, %d) = admitted %v, err %v; want an error", tc.key, tc.member, tc.limit, admitted, err)
			}
		})
	}
	if err := s.Release(ctx, "k", ""); err == nil {
		t.Error("Release of an empty member = nil, want an error")
	}
	sameMembers(t, s, "k")
}

func testTallyConcurrentAdmits(t *testing.T, h *harness) {
	const (
		callers = 50
		limit   = 7
	)
	s := storeAs[jobs.Tallies](t, h.store(t))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted []string
		errs     = make(chan error, callers)
	)
	start := make(chan struct{})
	for i := range callers {
		wg.Go(func() {
			<-start
			member := fmt.Sprintf("job-%02d", i)
			ok, size, err := s.Admit(context.Background(), "running for user-7", member, limit, unexpired())
			if err != nil {
				errs <- fmt.Errorf("caller %d: Admit: %w", i, err)
				return
			}
			if size < 1 || size > limit {
				errs <- fmt.Errorf("caller %d: Admit reported size %d, want 1 to %d", i, size, limit)
			}
			if ok {
				mu.Lock()
				admitted = append(admitted, member)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(admitted) != limit {
		t.Errorf("%d of %d concurrent Admits were admitted with limit %d: %v", len(admitted), callers, limit, admitted)
	}
	sameMembers(t, s, "running for user-7", admitted...)
}

func testTallyReopen(t *testing.T, h *harness) {
	if h.opts.Reopen == nil {
		t.Skip("the store keeps nothing across Close (Options.Reopen is nil): this test runs for every persistent store, SQLite and DynamoDB among them")
	}
	s, closeStore := h.storeWithClose(t)
	ts := storeAs[jobs.Tallies](t, s)
	ctx := context.Background()
	expires := unexpired()
	for _, m := range []string{"job-1", "job-2", "job-3"} {
		if ok, _, err := ts.Admit(ctx, "jobs of upload u", m, 3, expires); err != nil || !ok {
			t.Fatalf("Admit(%s) = %v, %v; want admitted", m, ok, err)
		}
	}
	if err := ts.Release(ctx, "jobs of upload u", "job-2"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := closeStore(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	r, _ := h.reopen(t, s)
	rt := storeAs[jobs.Tallies](t, r)
	sameMembers(t, rt, "jobs of upload u", "job-1", "job-3")
	if ok, size, err := rt.Admit(ctx, "jobs of upload u", "job-4", 3, expires); err != nil || !ok || size != 3 {
		t.Errorf("Admit(job-4) after reopening = %v, size %d, %v; want admitted, size 3", ok, size, err)
	}
	if ok, size, err := rt.Admit(ctx, "jobs of upload u", "job-5", 3, expires); err != nil || ok || size != 3 {
		t.Errorf("Admit(job-5) past the limit after reopening = %v, size %d, %v; want refused, size 3", ok, size, err)
	}
}
