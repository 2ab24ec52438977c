package sqlite

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"transcoder/app/jobs"
)

// List returns a page of jobs, newest first: the owner's, or everyone's with
// q.All. The cursor encodes the last job of the previous page, so pages hold
// still while new jobs arrive.
func (s *Store) List(ctx context.Context, q jobs.Query) (jobs.Page, error) {
	if !s.gate.Enter() {
		return jobs.Page{}, ErrClosed
	}
	defer s.gate.Leave()
	if q.Limit < 1 {
		q.Limit = 20
	}
	after, afterID := int64(1<<63-1), ""
	if q.Cursor != "" {
		var ok bool
		if after, afterID, ok = parseCursor(q.Cursor); !ok {
			return jobs.Page{}, jobs.ErrBadCursor
		}
	}
	rows, err := s.read.QueryContext(ctx, `SELECT doc FROM jobs
		WHERE (?1 OR owner = ?2) AND (created_at < ?3 OR created_at = ?3 AND id < ?4)
		ORDER BY created_at DESC, id DESC LIMIT ?5`, q.All, q.Owner, after, afterID, q.Limit+1)
	if err != nil {
		return jobs.Page{}, fmt.Errorf("sqlite: list jobs in %s: %w", s.path, err)
	}
	defer rows.Close()
	var page jobs.Page
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return jobs.Page{}, fmt.Errorf("sqlite: list jobs in %s: %w", s.path, err)
		}
		j, err := decode("(listed)", doc)
		if err != nil {
			return jobs.Page{}, err
		}
		page.Jobs = append(page.Jobs, j)
	}
	if err := rows.Err(); err != nil {
		return jobs.Page{}, fmt.Errorf("sqlite: list jobs in %s: %w", s.path, err)
	}
	if len(page.Jobs) > q.Limit {
		page.Jobs = page.Jobs[:q.Limit]
		last := page.Jobs[q.Limit-1]
		page.Next = makeCursor(last.CreatedAt.UnixNano(), last.ID)
	}
	return page, nil
}

// Due returns up to limit jobs with a webhook call due at now, the most
// overdue first.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]*jobs.Job, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	rows, err := s.read.QueryContext(ctx, `SELECT doc FROM jobs WHERE webhook_due IS NOT NULL AND webhook_due <= ?
		ORDER BY webhook_due LIMIT ?`, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find due webhooks in %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []*jobs.Job
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("sqlite: find due webhooks in %s: %w", s.path, err)
		}
		j, err := decode("(due)", doc)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func makeCursor(createdAt int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(createdAt, 10) + ":" + id))
}

func parseCursor(c string) (int64, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", false
	}
	ts, id, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(ts, 10, 64)
	return n, id, ok && err == nil && id != ""
}
