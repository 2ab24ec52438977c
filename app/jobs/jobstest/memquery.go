package jobstest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/jobs/jobdoc"
)

// The reference store's listing, modification and outbox: a scan of every
// document, which is all a reference needs.

// Modify is jobs.Store's Modify, kept in memory.
func (s *MemStore) Modify(ctx context.Context, id string, fn func(*jobs.Job) bool) (*jobs.Job, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	doc, ok := s.data.docs[id]
	if !ok {
		return nil, fmt.Errorf("memstore: %q: %w", id, jobs.ErrNotFound)
	}
	j, err := jobdoc.Decode(doc)
	if err != nil {
		return nil, err
	}
	if fn(j) {
		doc, err := jobdoc.Encode(j)
		if err != nil {
			return nil, err
		}
		s.data.docs[id] = doc
	}
	return j, nil
}

func (s *MemStore) all() ([]*jobs.Job, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	var out []*jobs.Job
	for _, doc := range s.data.docs {
		j, err := jobdoc.Decode(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// List is jobs.Store's List, kept in memory.
func (s *MemStore) List(ctx context.Context, q jobs.Query) (jobs.Page, error) {
	all, err := s.all()
	if err != nil {
		return jobs.Page{}, err
	}
	newer := func(a, b *jobs.Job) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	}
	slices.SortFunc(all, newer)
	start := 0
	if q.Cursor != "" {
		i := slices.IndexFunc(all, func(j *jobs.Job) bool { return "after:"+j.ID == q.Cursor })
		if i < 0 {
			return jobs.Page{}, jobs.ErrBadCursor
		}
		start = i + 1
	}
	var page jobs.Page
	for _, j := range all[start:] {
		if !q.All && j.Owner != q.Owner {
			continue
		}
		if len(page.Jobs) == q.Limit {
			page.Next = "after:" + page.Jobs[len(page.Jobs)-1].ID
			break
		}
		page.Jobs = append(page.Jobs, j)
	}
	return page, nil
}

// Due is jobs.Store's Due, kept in memory.
func (s *MemStore) Due(ctx context.Context, now time.Time, limit int) ([]*jobs.Job, error) {
	all, err := s.all()
	if err != nil {
		return nil, err
	}
	var out []*jobs.Job
	for _, j := range all {
		if due, ok := j.NextWebhookCall(); ok && !due.After(now) && len(out) < limit {
			out = append(out, j)
		}
	}
	return out, nil
}
