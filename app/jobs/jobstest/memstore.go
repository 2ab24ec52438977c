package jobstest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"transcoder/app/jobs"
	"transcoder/app/jobs/jobdoc"
)

// MemStore is the reference store: the simplest store that keeps the
// contract of jobs.Store, jobs.InviteStore and jobs.Tallies, run against the
// suite by this package's own tests, so that a failure in a real store's run
// points at the store and not at the suite, and used by the tests of code
// above the stores (package transcoding) where the store is not the point.
// It keeps jobs as their stored documents (package jobdoc) in memory, under
// one lock that makes every call atomic.
type MemStore struct {
	data   *memData
	mu     sync.RWMutex
	closed bool
}

type memData struct {
	mu      sync.Mutex
	docs    map[string][]byte
	invites map[string]jobs.Invite     // see meminvite.go
	tallies map[string]map[string]bool // key: members
}

func newMemData() *memData {
	return &memData{docs: map[string][]byte{}, invites: map[string]jobs.Invite{}, tallies: map[string]map[string]bool{}}
}

// NewMemStore returns an empty reference store.
func NewMemStore() *MemStore { return &MemStore{data: newMemData()} }

// Reopened returns the store as it would be reopened after s is closed: a
// new handle on the same data.
func (s *MemStore) Reopened() *MemStore { return &MemStore{data: s.data} }

var errClosed = errors.New("memstore: closed")

// Apply is jobs.Store's Apply, kept in memory.
func (s *MemStore) Apply(ctx context.Context, u *jobs.Update) (jobs.Change, error) {
	if err := u.Validate(); err != nil {
		return jobs.Change{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return jobs.Change{}, errClosed
	}
	if err := ctx.Err(); err != nil {
		return jobs.Change{}, err
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	j := jobs.New(u.JobID)
	if doc, ok := s.data.docs[u.JobID]; ok {
		var err error
		if j, err = jobdoc.Decode(doc); err != nil {
			return jobs.Change{}, err
		}
	}
	recorded, changed := j.Apply(u)
	if changed {
		doc, err := jobdoc.Encode(j)
		if err != nil {
			return jobs.Change{}, err
		}
		s.data.docs[u.JobID] = doc
	}
	return jobs.Change{Job: j, Recorded: recorded, Changed: changed}, nil
}

// Get is jobs.Store's Get, kept in memory.
func (s *MemStore) Get(ctx context.Context, id string) (*jobs.Job, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.data.mu.Lock()
	doc, ok := s.data.docs[id]
	s.data.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memstore: %q: %w", id, jobs.ErrNotFound)
	}
	return jobdoc.Decode(doc)
}

// Close is jobs.Store's Close, kept in memory.
func (s *MemStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
