package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Tallies keeps bounded sets of members under keys: what quotas count. A
// quota admits a job by adding its id to a set ("jobs of owner o on day d",
// "jobs running for owner o", "jobs of upload u"), on condition that the set
// is below the limit, in one single-item conditional write. Because members
// are ids, not increments, admitting or releasing the same job twice (a
// retried request, a duplicated event) counts once. Every implementation
// passes the tally tests of package jobstest.
type Tallies interface {
	// Admit adds member to the set under key unless the set already has
	// limit members; a member already there is admitted again without
	// counting twice. It reports whether member is in the set afterwards and
	// the set's size (after the call; for a refusal, as it stood). limit
	// must be at least 1 (a quota of zero admits nobody: its caller refuses
	// without calling), and key and member must not be empty: Admit returns
	// an error otherwise (see ValidateAdmit).
	//
	// expires is when the set may be forgotten: an Admit with a non-zero
	// expires sets it (callers pass the same time, or a later one, for a
	// key), the zero time leaves it as it is, and a set that never had one
	// is kept. Expiry only frees storage, at the store's leisure: a set past
	// it may still be counted, so a quota over a period puts the period in
	// the key ("day 2026-12-03") rather than relying on expiry.
	Admit(ctx context.Context, key, member string, limit int, expires time.Time) (admitted bool, size int, err error)
	// Release removes member from the set under key; releasing a member
	// that is not there, or from a set never seen, does nothing.
	Release(ctx context.Context, key, member string) error
	// Members lists the set under key (empty for a key never seen), in no
	// particular order.
	Members(ctx context.Context, key string) ([]string, error)
}

// ValidateAdmit reports what makes Admit's arguments unusable, or nil, so
// that every store refuses the same calls.
func ValidateAdmit(key, member string, limit int) error {
	if err := ValidateMember(key, member); err != nil {
		return err
	}
	if limit < 1 {
		return fmt.Errorf("jobs: admitting %q to %q with limit %d: a limit is at least 1 (a quota of 0 admits nobody and needs no Admit)", member, key, limit)
	}
	return nil
}

// ValidateMember reports what makes a key and member unusable for Admit or
// Release, or nil: neither may be empty.
func ValidateMember(key, member string) error {
	switch {
	case key == "":
		return errors.New("jobs: a tally needs a key naming what it counts")
	case member == "":
		return fmt.Errorf("jobs: tally %q: a member needs an id", key)
	}
	return nil
}
