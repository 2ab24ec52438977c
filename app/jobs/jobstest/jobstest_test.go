package jobstest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"transcoder/app/jobs"
	"transcoder/app/jobs/jobdoc"
	"transcoder/app/jobs/jobstest"
)

// TestReferenceStorePassesTheSuite runs the suite against the simplest store
// that keeps the contract, so that a failure in a real store's run points at
// the store and not at the suite.
func TestReferenceStorePassesTheSuite(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Store {
		return &memStore{data: newMemData()}
	}, jobstest.Options{
		Reopen: func(t *testing.T, closed jobs.Store) jobs.Store {
			return &memStore{data: closed.(*memStore).data}
		},
	})
}

// memStore keeps jobs as their stored documents (package jobdoc) in a map shared across reopening.
type memStore struct {
	data   *memData
	mu     sync.RWMutex
	closed bool
}

type memData struct {
	mu      sync.Mutex
	docs    map[string][]byte
	invites map[string]jobs.Invite     // see meminvite_test.go
	tallies map[string]map[string]bool // key: members
}

func newMemData() *memData {
	return &memData{docs: map[string][]byte{}, invites: map[string]jobs.Invite{}, tallies: map[string]map[string]bool{}}
}

var errClosed = errors.New("memstore: closed")

func (s *memStore) Apply(ctx context.Context, u *jobs.Update) (jobs.Change, error) {
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

func (s *memStore) Get(ctx context.Context, id string) (*jobs.Job, error) {
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

func (s *memStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
