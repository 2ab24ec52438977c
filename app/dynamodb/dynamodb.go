// Package dynamodb is the job store of the serverless deployment: one
// DynamoDB table shared by every Lambda instance, on aws-sdk-go-v2.
//
// The table (declared by the Pulumi program; CreateTable makes the same for
// tests and local development) has partition key pk and sort key sk, both
// strings, a TTL attribute expiresAt, on-demand billing, and two global
// secondary indexes with string keys: byOwner on gsi1pk/gsi1sk, all
// attributes projected, and byDue on gsi2pk/gsi2sk, keys only. A job is one
// item:
//
//	pk      = "JOB#<id>"            sk      = "JOB"
//	doc     = the job as JSON (S)   version = its Version (N)
//	gsi1pk  = "OWNER#<owner>"       gsi1sk  = "<createdAt, fixed-width UTC>#<id>"
//	gsi2pk  = "DUE"                 gsi2sk  = "<its next webhook call's due time, fixed-width UTC>"
//	expiresAt = when DynamoDB may delete it (N, Unix seconds), with WithRetention
//
// doc is the job's stored document (package jobdoc), the same that the
// SQLite store keeps. gsi2pk and gsi2sk are there only while a webhook call
// is owed (see jobs.Job.NextWebhookCall), so byDue is sparse: it holds the jobs
// with calls to make, and nothing else. The fixed-width UTC form is RFC 3339
// with all nine fractional digits, so that the strings sort as the times do.
//
// Invites (jobs.InviteStore) and the quotas' tallies (jobs.Tallies) are
// items of the same table, keyed "INVITES"/"INVITE#<id>" and
// "TALLY#<key>"/"TALLY" (see invites.go and tallies.go); they carry no
// index keys, so neither index lists them, and the scan of all jobs takes
// only items with sk "JOB".
//
// List for one owner queries byOwner, newest first; Due queries byDue, most
// overdue first. List for everyone has no index of its own in this table
// design and scans it (see List).
//
// Apply and Modify are a read-modify-write: a consistent GetItem, the change
// in memory, and a PutItem on condition that the item is still the version
// that was read. Another instance's write in between makes the condition fail;
// Apply then reads again and retries, a bounded number of times. Calls for
// one job within one Store wait for each other, so that retries are needed
// only between processes. Only single-item conditional writes are used, which
// DynamoDB and the dynalite emulator alike support.
//
// The store takes a client; where that client sends its requests is the
// caller's choice. config.LoadDefaultConfig honours the SDK's standard
// AWS_ENDPOINT_URL_DYNAMODB environment variable, which points the client at
// a local emulator (e.g. AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:4567 for
// dynalite) without any code of ours knowing.
//
// A job item carries expiresAt (N, Unix seconds) when the store is opened
// WithRetention: jobs.Job.ExpiresAt decides it (a retention after the job
// ended; after its last change while it is open; never before a webhook
// call it still owes), and every write brings it up to date, so an open
// job's expiry moves with it and an ended job's stays put. DynamoDB deletes
// an item some time after expiresAt has passed (usually within days), and
// until then reads still return it. The other items of the table keep
// their own rules: a tally sets expiresAt itself, and an invite keeps its
// validity in validUntil, not expiresAt, so that an expired invite stays
// listed until the operator deletes it.
package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transcoder/app/internal/gate"
	"transcoder/app/jobs"
)

// Retry policy for conditional-write conflicts: full jitter over an
// exponential ceiling. Sixteen attempts ride out any realistic burst of
// events for one job from several instances at once.
const (
	defaultAttempts   = 16
	defaultBackoff    = 2 * time.Millisecond
	defaultMaxBackoff = 100 * time.Millisecond
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("dynamodb: store is closed")

// ErrContention is returned by Apply when other writers changed the job
// every time it tried to write; the update was not applied and may be
// retried (SNS redelivers it).
var ErrContention = errors.New("dynamodb: the job kept changing under the update")

// Store is the DynamoDB job store. It is safe for concurrent use.
type Store struct {
	client *ddb.Client
	table  string
	locks  keyLocks

	gate gate.Gate // refuses calls once Close begins

	conflicts atomic.Uint64

	fresh freshDue // jobs just written with a call due, for Due

	// Retry policy and a test hook; see export_test.go.
	attempts            int
	backoff, maxBackoff time.Duration
	beforePut           func()

	retention time.Duration // see WithRetention
}

// Option changes how a Store keeps jobs.
type Option func(*Store)

// WithRetention makes every job item the store writes carry expiresAt, so
// that DynamoDB deletes the job once jobs.Job.ExpiresAt under retention r
// has passed: r after the job ended, or after its last change while it is
// open. Zero, the default, writes no expiresAt: jobs are kept for ever.
func WithRetention(r time.Duration) Option {
	return func(s *Store) { s.retention = max(r, 0) }
}

// New returns a store on the given table, which must exist (see
// CreateTable). The client's configuration decides where requests go.
func New(client *ddb.Client, table string, opts ...Option) *Store {
	s := &Store{
		client:     client,
		table:      table,
		locks:      keyLocks{m: map[string]*keyLock{}},
		attempts:   defaultAttempts,
		backoff:    defaultBackoff,
		maxBackoff: defaultMaxBackoff,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Retention returns how long the store keeps a job (see WithRetention);
// zero means for ever.
func (s *Store) Retention() time.Duration { return s.retention }

// Table returns the name of the store's table, for logs and for opening
// another store on it.
func (s *Store) Table() string { return s.table }

// Stats counts what the store has met since New.
type Stats struct {
	// Conflicts is how many conditional writes failed because another
	// writer changed the job first, each followed by a retry or, after the
	// last attempt, ErrContention.
	Conflicts uint64
}

// Stats returns the store's counters, for metrics.
func (s *Store) Stats() Stats { return Stats{Conflicts: s.conflicts.Load()} }

// Apply merges u into its job and returns once DynamoDB has acknowledged
// the write, which makes it durable.
func (s *Store) Apply(ctx context.Context, u *jobs.Update) (jobs.Change, error) {
	if err := u.Validate(); err != nil {
		return jobs.Change{}, fmt.Errorf("dynamodb: refusing update: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return jobs.Change{}, fmt.Errorf("dynamodb: apply update to job %q: %w", u.JobID, err)
	}
	if !s.gate.Enter() {
		return jobs.Change{}, ErrClosed
	}
	defer s.gate.Leave()

	return s.change(ctx, u.JobID, true, u.ApplyTo)
}

// Modify changes a stored job with fn, which reports whether it changed
// anything and must increment the job's Version when it does (the jobs.Job
// methods do). fn may run more than once: when another writer changes the
// job first, fn runs again on the job as that writer left it, so a claim
// made by fn after checking the job is made by one caller only.
func (s *Store) Modify(ctx context.Context, id string, fn func(*jobs.Job) bool) (*jobs.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dynamodb: modify job %q: %w", id, err)
	}
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	c, err := s.change(ctx, id, false, func(j *jobs.Job) ([]jobs.Transition, bool) { return nil, fn(j) })
	return c.Job, err
}

// change is the read-modify-write of Apply and Modify: it runs fn on the
// job id (on a new job, when create is set and the id has never been seen)
// and writes the result on condition that nobody wrote in between, reading
// again and rerunning fn when somebody did.
func (s *Store) change(ctx context.Context, id string, create bool, fn func(*jobs.Job) ([]jobs.Transition, bool)) (jobs.Change, error) {
	unlock, err := s.locks.lock(ctx, id)
	if err != nil {
		return jobs.Change{}, fmt.Errorf("dynamodb: change job %q: %w", id, err)
	}
	defer unlock()

	for attempt := 1; ; attempt++ {
		j, version, err := s.load(ctx, id)
		if err != nil {
			return jobs.Change{}, err
		}
		if j == nil {
			if !create {
				return jobs.Change{}, fmt.Errorf("dynamodb: job %q: %w", id, jobs.ErrNotFound)
			}
			j = jobs.New(id)
		}
		recorded, changed := fn(j)
		if !changed {
			return jobs.Change{Job: j, Changed: false}, nil
		}
		if j.Version <= version {
			return jobs.Change{}, fmt.Errorf("dynamodb: a change to job %q left its version at %d: the change must increment Job.Version, which the conditional write depends on", id, j.Version)
		}
		if s.beforePut != nil {
			s.beforePut()
		}
		err = s.put(ctx, j, version)
		if err == nil {
			if at, owed := j.NextWebhookCall(); owed {
				if wrote := time.Now(); !at.After(wrote) {
					s.fresh.add(j.ID, wrote)
				}
			}
			return jobs.Change{Job: j, Recorded: recorded, Changed: true}, nil
		}
		var conflict *types.ConditionalCheckFailedException
		if !errors.As(err, &conflict) {
			return jobs.Change{}, err
		}
		s.conflicts.Add(1)
		if attempt == s.attempts {
			return jobs.Change{}, fmt.Errorf("dynamodb: job %q in table %q changed under the update %d times in a row: %w",
				id, s.table, attempt, ErrContention)
		}
		if err := s.sleep(ctx, attempt); err != nil {
			return jobs.Change{}, fmt.Errorf("dynamodb: change job %q: %w", id, err)
		}
	}
}

// sleep waits before retry number attempt: a random time up to an
// exponentially growing ceiling, so that racing writers spread out.
func (s *Store) sleep(ctx context.Context, attempt int) error {
	ceiling := min(s.maxBackoff, s.backoff<<min(attempt-1, 20))
	t := time.NewTimer(rand.N(ceiling) + 1)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Get returns the job with the given id, or an error wrapping
// jobs.ErrNotFound when the id has never been seen. The read is strongly
// consistent: it sees every acknowledged Apply.
func (s *Store) Get(ctx context.Context, id string) (*jobs.Job, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	j, _, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, fmt.Errorf("dynamodb: job %q: %w", id, jobs.ErrNotFound)
	}
	return j, nil
}

// Close stops accepting calls and waits for those under way. It does not
// touch the client, which belongs to the caller.
func (s *Store) Close() error {
	s.gate.Close()
	return nil
}
