package jobs

import (
	"context"
	"errors"
	"time"
)

// Store keeps jobs durably. Every implementation passes the suite in package
// jobstest, which is the contract in executable form.
type Store interface {
	// Apply merges u into its job (see Job.Apply), creating the job when its
	// id has never been seen, and returns only once the result is durable.
	// Concurrent calls for one job are serialised: no update is lost.
	Apply(ctx context.Context, u *Update) (Change, error)
	// Get returns the job with the given id, or ErrNotFound.
	Get(ctx context.Context, id string) (*Job, error)
	// Modify changes a stored job with fn, which reports whether it changed
	// anything and increments Version when it does (Job's methods do).
	// Concurrent calls for one job are serialised, so a change made by fn
	// after checking the job (claiming a webhook call) is made by one caller
	// only. A store may run fn more than once (DynamoDB does after a
	// conflicting write), each time on a fresh copy: only the last run is
	// stored. It returns the job as stored afterwards, or ErrNotFound.
	Modify(ctx context.Context, id string, fn func(*Job) bool) (*Job, error)
	// List returns a page of jobs, newest first (by CreatedAt, then ID).
	List(ctx context.Context, q Query) (Page, error)
	// Due returns up to limit jobs with a webhook call due at now.
	Due(ctx context.Context, now time.Time, limit int) ([]*Job, error)
	// Close releases the store; in-flight calls finish first.
	Close() error
}

// Change is the outcome of Store.Apply.
type Change struct {
	// Job is the job as stored after the update.
	Job *Job
	// Recorded lists the transitions this call recorded; a transition is
	// recorded by exactly one call however often its event is delivered.
	Recorded []Transition
	// Changed is false when the update was already known: a duplicate.
	Changed bool
}

// Query selects a page of jobs, newest first.
type Query struct {
	// Owner's jobs are listed; with All, everyone's (the operator's view).
	Owner string
	All   bool
	// Limit is the most jobs a page holds.
	Limit int
	// Cursor continues a listing where the previous page's Next left off.
	Cursor string
}

// Page is one page of a listing.
type Page struct {
	Jobs []*Job
	// Next is the cursor of the following page, or empty after the last.
	Next string
}

// ErrBadCursor is returned by List for a cursor it did not give out.
var ErrBadCursor = errors.New("jobs: bad cursor")
