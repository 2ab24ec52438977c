// Package jobstest is the contract of jobs.Store in executable form: one suite
// that every store runs, so that SQLite on a laptop and DynamoDB behind Lambda
// keep the domain's promises in exactly the same way. A job store keeps
// invites and the quotas' tallies too, so the suite tests jobs.InviteStore
// and jobs.Tallies on the same store, and fails a store that lacks them.
//
// A store's own test calls Run with a function that opens a new, empty store:
//
//	func TestStore(t *testing.T) {
//		jobstest.Run(t, openEmpty, jobstest.Options{Reopen: reopen})
//	}
package jobstest

import (
	"reflect"
	"sync"
	"testing"

	"transcoder/app/jobs"
)

// storeAs returns s as T, the interface of what else a job store keeps
// (jobs.InviteStore, jobs.Tallies), failing t when s does not implement it.
func storeAs[T any](t *testing.T, s jobs.Store) T {
	t.Helper()
	x, ok := s.(T)
	if !ok {
		t.Fatalf("jobstest: the store under test (%T) does not implement %v: every job store keeps invites and the quotas' tallies too", s, reflect.TypeFor[T]())
	}
	return x
}

// Options tells the suite what it may assume of the store under test.
type Options struct {
	// Reopen, when set, declares the store persistent and says how to reach
	// its data again: given a store returned by open that the suite has
	// already closed, it returns a new store over the same data (the same
	// file, the same table). The suite closes that store too. When Reopen is
	// nil, the tests of persistence are skipped.
	Reopen func(t *testing.T, closed jobs.Store) jobs.Store
}

// Run runs the whole suite against stores made by open, each test in a
// subtest of t with a store of its own. open must return a new, empty store
// each time it is called, failing t if it cannot; the suite closes every store
// it is given exactly once, by the end of the subtest that opened it.
//
// The subtests run in parallel with each other.
func Run(t *testing.T, open func(t *testing.T) jobs.Store, opts Options) {
	h := &harness{open: open, opts: opts}
	tests := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		// The merge rules of jobs.Job.Apply, as a store keeps them.
		{"an update for an unseen job creates it in one transition", testCreate},
		{"getting a job never seen returns ErrNotFound", testGetUnknown},
		{"an invalid update is refused and stores nothing", testInvalid},
		{"a duplicate update changes nothing", testDuplicate},
		{"a terminal state never regresses", testTerminal},
		{"attributes arriving after completion are added without leaving COMPLETE", testOutOfOrder},
		{"progress never goes down", testProgress},
		{"a stored job keeps every field, times in UTC to the nanosecond", testRoundTrip},

		// Listing, modifying, and the webhook outbox.
		{"jobs are listed newest first, a page at a time, one owner's or everyone's", testListNewestFirst},
		{"a cursor the store did not give out is refused", testListBadCursor},
		{"a modification is stored, and an unknown job is not found", testModify},
		{"a due webhook call is found, claimed by one of many, and settled", testDueAndClaimedOnce},

		// Concurrency.
		{"every transition is recorded exactly once across concurrent duplicate deliveries", testRecordedOnce},
		{"concurrent updates to one job lose nothing", testNoLostUpdate},

		// Invites (jobs.InviteStore), kept beside the jobs.
		{"an invite is stored whole, read back, and its id is not taken twice", testInviteRoundTrip},
		{"an invalid invite is refused and stores nothing", testInviteInvalid},
		{"invites are listed newest first, revoked ones included", testInviteListNewestFirst},
		{"revoking an invite keeps the first time and is idempotent", testInviteRevoke},
		{"an invite is redeemed one use at a time until it is used up", testInviteRedeemUntilUsedUp},
		{"an expired, revoked, used-up or unknown invite is not redeemed and is left as it was", testInviteRedeemRefused},
		{"concurrent redeemers take exactly the uses an invite has", testInviteConcurrentRedeemers},
		{"a reopened store has every invite and its uses", testInviteReopen},

		// Tallies (jobs.Tallies), what quotas count.
		{"a tally admits up to its limit, counts a member once and frees a released place", testTallyAdmitAndRelease},
		{"tallies under different keys are independent, and a key never seen is empty", testTallyKeysAreIndependent},
		{"an Admit with a limit below 1 or an empty key or member is refused", testTallyInvalid},
		{"concurrent distinct Admits admit exactly the limit", testTallyConcurrentAdmits},
		{"a reopened store has every tally", testTallyReopen},
		{"invites and tallies are never listed, due or found as jobs", testNotJobs},

		// Life of the store.
		{"a canceled call fails and leaves the job as it was", testCanceled},
		{"calls canceled midway leave every job consistent", testCanceledMidway},
		{"a closed store refuses work", testClosed},
		{"a reopened store has every acknowledged update", testReopen},
		{"updates acknowledged while the store closes survive reopening", testCloseUnderLoad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, h)
		})
	}
}

// harness opens stores for one run of the suite and makes sure each is
// closed exactly once.
type harness struct {
	open func(t *testing.T) jobs.Store
	opts Options
}

// store opens a new, empty store that is closed when t ends.
func (h *harness) store(t *testing.T) jobs.Store {
	s, _ := h.storeWithClose(t)
	return s
}

// storeWithClose opens a new, empty store and returns the function that
// closes it; the function may be called any number of times and closes the
// store once, and it is called when t ends if the test did not.
func (h *harness) storeWithClose(t *testing.T) (jobs.Store, func() error) {
	t.Helper()
	s := h.open(t)
	if s == nil {
		t.Fatal("jobstest: open returned a nil store")
	}
	return s, closeOnce(t, s)
}

// reopen closes nothing: it opens a new store over the data of closed,
// which must have been closed already.
func (h *harness) reopen(t *testing.T, closed jobs.Store) (jobs.Store, func() error) {
	t.Helper()
	s := h.opts.Reopen(t, closed)
	if s == nil {
		t.Fatal("jobstest: Options.Reopen returned a nil store")
	}
	return s, closeOnce(t, s)
}

func closeOnce(t *testing.T, s jobs.Store) func() error {
	var once sync.Once
	var err error
	closeFn := func() error {
		once.Do(func() { err = s.Close() })
		return err
	}
	t.Cleanup(func() {
		if err := closeFn(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return closeFn
}
