package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"transcoder/app/jobs"
)

// SweepInterval is how often a store opened WithRetention forgets the jobs
// past their retention, after doing so once at Open.
const SweepInterval = 24 * time.Hour

// forgetBatch is the most jobs one writer transaction forgets, so that a
// first sweep of a large old database does not hold up the writer.
const forgetBatch = 256

// Option changes how a Store keeps jobs.
type Option func(*Store)

// WithRetention makes the store forget every job once the retention r has
// passed since jobs.Job.RetainedFrom (r after the job ended; after its last
// change while it is open; never before a webhook call it owes), the rule
// the DynamoDB store's expiry follows too. The store sweeps at Open and
// every SweepInterval; zero, the default, keeps jobs for ever.
func WithRetention(r time.Duration) Option {
	return func(s *Store) { s.retention = max(r, 0) }
}

// WithLogger gives the store a logger for what it does on its own (the
// sweep); the default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.log = l
		}
	}
}

// Retention returns how long the store keeps a job (see WithRetention);
// zero means for ever.
func (s *Store) Retention() time.Duration { return s.retention }

// retainedFrom is the retained_from column of j: Unix nanoseconds, or 0
// (kept for ever) for a job without a time.
func retainedFrom(j *jobs.Job) int64 {
	t := j.RetainedFrom()
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// ForgetExpired deletes the jobs whose retention had run out at now and
// returns how many it deleted. A job written since it was found expired is
// kept. The store calls it itself (see WithRetention); without retention
// it does nothing.
func (s *Store) ForgetExpired(ctx context.Context, now time.Time) (int, error) {
	if s.retention <= 0 {
		return 0, nil
	}
	if !s.gate.Enter() {
		return 0, ErrClosed
	}
	defer s.gate.Leave()
	cutoff := now.Add(-s.retention).UnixNano()
	ids, err := s.expired(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	forgotten := 0
	for len(ids) > 0 {
		batch := ids[:min(len(ids), forgetBatch)]
		ids = ids[len(batch):]
		n := 0
		err := s.exec(ctx, "forget expired jobs", func(tx *sql.Tx) error {
			n = 0
			for _, id := range batch {
				res, err := tx.Exec(`DELETE FROM jobs WHERE id = ? AND retained_from > 0 AND retained_from < ?`, id, cutoff)
				deleted, err := rowsAffected(res, err)
				if err != nil {
					return fmt.Errorf("sqlite: forget expired job %q in %s: %w", id, s.path, err)
				}
				n += int(deleted)
			}
			return nil
		})
		if err != nil {
			return forgotten, err
		}
		forgotten += n
		s.forgotten.Add(uint64(n))
	}
	return forgotten, nil
}

// expired lists the jobs whose retention began before cutoff, from the
// read pool, so that the scan does not hold up the writer.
func (s *Store) expired(ctx context.Context, cutoff int64) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM jobs WHERE retained_from > 0 AND retained_from < ?`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find expired jobs in %s: %w", s.path, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: find expired jobs in %s: %w", s.path, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: find expired jobs in %s: %w", s.path, err)
	}
	return ids, nil
}

// startSweeper runs ForgetExpired now and every SweepInterval until Close,
// when the store has a retention.
func (s *Store) startSweeper() {
	if s.retention <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSweeper, s.sweeperDone = cancel, make(chan struct{})
	go func() {
		defer close(s.sweeperDone)
		t := time.NewTicker(SweepInterval)
		defer t.Stop()
		for {
			n, err := s.ForgetExpired(ctx, time.Now())
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				s.log.Error("sqlite: could not forget the jobs past their retention; trying again at the next sweep",
					"retention", s.retention, "next", SweepInterval, "err", err)
			case n > 0:
				s.log.Info("sqlite: forgot the jobs past their retention", "jobs", n, "retention", s.retention)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// stopSweeping stops the sweeper, if any, and waits for it.
func (s *Store) stopSweeping() {
	if s.stopSweeper != nil {
		s.stopSweeper()
		<-s.sweeperDone
	}
}
