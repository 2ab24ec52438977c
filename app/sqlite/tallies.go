package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"transcoder/app/jobs"
)

var _ jobs.Tallies = (*Store)(nil)

// sweepBatch is the most expired tallies one Admit forgets: the sweep rides
// on Admit's transaction, so it stays small however many sets expire at
// once (every "day d" set at midnight), and the next Admits take the rest.
const sweepBatch = 64

// Admit adds member to the set under key unless it already has limit
// members, in one transaction of the writer, and first forgets a few sets
// whose expiry has passed.
func (s *Store) Admit(ctx context.Context, key, member string, limit int, expires time.Time) (admitted bool, size int, err error) {
	if err := jobs.ValidateAdmit(key, member, limit); err != nil {
		return false, 0, fmt.Errorf("sqlite: %w", err)
	}
	exp, ok := nanos(expires)
	if !ok {
		return false, 0, fmt.Errorf("sqlite: admit %q to %q: its expiry %s must fall between the years 1678 and 2262", member, key, expires)
	}
	err = s.exec(ctx, fmt.Sprintf("admit %q to tally %q", member, key), func(tx *sql.Tx) error {
		if err := s.sweep(tx, time.Now()); err != nil {
			return err
		}
		var in int
		err := tx.QueryRow(`SELECT count(*) FROM tally_members WHERE key = ? AND member = ?`, key, member).Scan(&in)
		if err == nil {
			err = tx.QueryRow(`SELECT count(*) FROM tally_members WHERE key = ?`, key).Scan(&size)
		}
		if err != nil {
			return fmt.Errorf("sqlite: count tally %q in %s: %w", key, s.path, err)
		}
		if in == 0 && size >= limit {
			return nil // refused: nothing changes
		}
		if in == 0 {
			if _, err := tx.Exec(`INSERT INTO tally_members (key, member) VALUES (?, ?)`, key, member); err != nil {
				return fmt.Errorf("sqlite: add %q to tally %q in %s: %w", member, key, s.path, err)
			}
			size++
		}
		if _, err := tx.Exec(`INSERT INTO tallies (key, expires_at) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET expires_at = coalesce(excluded.expires_at, tallies.expires_at)`, key, exp); err != nil {
			return fmt.Errorf("sqlite: write tally %q to %s: %w", key, s.path, err)
		}
		admitted = true
		return nil
	})
	if err != nil {
		return false, 0, err
	}
	return admitted, size, nil
}

// sweep forgets up to sweepBatch sets whose expiry is at or before now.
func (s *Store) sweep(tx *sql.Tx, now time.Time) error {
	const expired = `SELECT key FROM tallies WHERE expires_at <= ? ORDER BY expires_at, key LIMIT ?`
	n := now.UnixNano()
	if _, err := tx.Exec(`DELETE FROM tally_members WHERE key IN (`+expired+`)`, n, sweepBatch); err != nil {
		return fmt.Errorf("sqlite: forget expired tallies in %s: %w", s.path, err)
	}
	if _, err := tx.Exec(`DELETE FROM tallies WHERE key IN (`+expired+`)`, n, sweepBatch); err != nil {
		return fmt.Errorf("sqlite: forget expired tallies in %s: %w", s.path, err)
	}
	return nil
}

// Release removes member from the set under key, in one transaction of the
// writer; a member that is not there is no error.
func (s *Store) Release(ctx context.Context, key, member string) error {
	if err := jobs.ValidateMember(key, member); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return s.exec(ctx, fmt.Sprintf("release %q from tally %q", member, key), func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM tally_members WHERE key = ? AND member = ?`, key, member); err != nil {
			return fmt.Errorf("sqlite: remove %q from tally %q in %s: %w", member, key, s.path, err)
		}
		return nil
	})
}

// Members lists the set under key, as last committed.
func (s *Store) Members(ctx context.Context, key string) ([]string, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	rows, err := s.read.QueryContext(ctx, `SELECT member FROM tally_members WHERE key = ?`, key)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read tally %q from %s: %w", key, s.path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("sqlite: read tally %q from %s: %w", key, s.path, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read tally %q from %s: %w", key, s.path, err)
	}
	return out, nil
}
