package transcoding

import (
	"context"
	"errors"
	"slices"
	"strings"

	"transcoder/app/jobs"
)

// Get returns the job if the caller may see it; another owner's job is not
// found, so ids leak nothing.
func (s *Service) Get(ctx context.Context, who Caller, id string) (*jobs.Job, error) {
	j, err := s.deps.Store.Get(ctx, id)
	switch {
	case errors.Is(err, jobs.ErrNotFound) || err == nil && !who.Sees(j):
		return nil, errNoJob
	case err != nil:
		return nil, unavailable("reading a job", err)
	}
	return j, nil
}

// List returns a page of the caller's jobs (every owner's, for the
// operator), newest first; cursor continues where a page's Next left off.
func (s *Service) List(ctx context.Context, who Caller, limit int, cursor string) (jobs.Page, error) {
	page, err := s.deps.Store.List(ctx, jobs.Query{Owner: who.Owner, All: who.Operator, Limit: limit, Cursor: cursor})
	switch {
	case errors.Is(err, jobs.ErrBadCursor):
		return jobs.Page{}, invalid("cursor: not one this service gave out; start again without it")
	case err != nil:
		return jobs.Page{}, unavailable("listing jobs", err)
	}
	return page, nil
}

// InboxScan bounds how many of the caller's newest jobs the inbox reads.
const InboxScan = 500

// Inbox is the caller's notices that are not dismissed, newest first, and
// how many of them are unread.
type Inbox struct {
	Notices []jobs.Notice
	Unread  int
}

// Inbox reads the caller's notices from its newest jobs (InboxScan of them
// at most).
func (s *Service) Inbox(ctx context.Context, who Caller) (Inbox, error) {
	in := Inbox{Notices: []jobs.Notice{}}
	q := jobs.Query{Owner: who.Owner, All: who.Operator, Limit: 100}
	for read := 0; read < InboxScan; {
		page, err := s.deps.Store.List(ctx, q)
		if err != nil {
			return Inbox{}, unavailable("reading the inbox", err)
		}
		for _, j := range page.Jobs {
			for _, n := range j.Notices {
				if !n.Dismissed {
					in.Notices = append(in.Notices, n)
				}
			}
		}
		read += len(page.Jobs)
		if q.Cursor = page.Next; q.Cursor == "" {
			break
		}
	}
	slices.SortFunc(in.Notices, func(a, b jobs.Notice) int { return b.At.Compare(a.At) })
	for _, n := range in.Notices {
		if !n.Read {
			in.Unread++
		}
	}
	return in, nil
}

// MarkNotice marks the notice read, or dismisses it (which implies read).
// A notice of a job the caller may not see is not found.
func (s *Service) MarkNotice(ctx context.Context, who Caller, id string, dismiss bool) error {
	cut := strings.LastIndexByte(id, '-')
	if cut <= 0 {
		return errNoNotice
	}
	jobID := id[:cut]
	found := false
	_, err := s.deps.Store.Modify(ctx, jobID, func(j *jobs.Job) bool {
		if !who.Sees(j) {
			found = false // another owner's message is not found
			return false
		}
		var changed bool
		found, changed = j.MarkNotice(id, dismiss)
		return changed
	})
	if err != nil && !errors.Is(err, jobs.ErrNotFound) {
		return unavailable("updating the inbox", err)
	}
	if !found {
		return errNoNotice
	}
	s.watched(jobID)
	return nil
}
