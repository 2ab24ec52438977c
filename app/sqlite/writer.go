package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/jobs/jobdoc"
)

// request is one Apply or Modify call waiting for the writer, or, with run
// set, a write to another table (invites, tallies; see exec).
type request struct {
	ctx context.Context
	id  string
	// run, when set, is the whole request: it writes in the batch's
	// transaction, isolated by a savepoint (see runIsolated).
	run func(tx *sql.Tx) error
	// create makes a job never seen; otherwise the call fails with
	// jobs.ErrNotFound for it.
	create bool
	// change is applied to the job; it reports the transitions it recorded
	// and whether anything changed.
	change func(*jobs.Job) ([]jobs.Transition, bool)
	done   chan result // buffered: the writer never waits on a caller
}

type result struct {
	change jobs.Change
	err    error
}

// Apply merges u into its job and returns once the result is committed with
// synchronous=FULL. The call waits for the writer's next transaction, which
// it shares with every other call waiting at that moment.
//
// A context canceled before the writer reaches the call fails it with the
// update unapplied; once the writer has the update, the call waits for the
// commit, which is a matter of milliseconds, so that an error never hides an
// update that was in fact stored.
func (s *Store) Apply(ctx context.Context, u *jobs.Update) (jobs.Change, error) {
	if err := u.Validate(); err != nil {
		return jobs.Change{}, fmt.Errorf("sqlite: refusing update: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return jobs.Change{}, fmt.Errorf("sqlite: apply update to job %q: %w", u.JobID, err)
	}
	if !s.gate.Enter() {
		return jobs.Change{}, ErrClosed
	}
	defer s.gate.Leave()

	return s.submit(&request{ctx: ctx, id: u.JobID, create: true, change: u.ApplyTo})
}

// Modify changes a stored job with fn in the writer's next transaction;
// fn reports whether it changed anything, and must increment the job's
// Version when it does (the jobs.Job methods do).
func (s *Store) Modify(ctx context.Context, id string, fn func(*jobs.Job) bool) (*jobs.Job, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	ch, err := s.submit(&request{ctx: ctx, id: id, change: func(j *jobs.Job) ([]jobs.Transition, bool) { return nil, fn(j) }})
	return ch.Job, err
}

// submit hands r to the writer and waits for its answer.
func (s *Store) submit(r *request) (jobs.Change, error) {
	r.done = make(chan result, 1)
	select {
	case s.requests <- r:
	case <-r.ctx.Done():
		return jobs.Change{}, fmt.Errorf("sqlite: change job %q: %w", r.id, r.ctx.Err())
	}
	res := <-r.done
	return res.change, res.err
}

// writer serves requests until Close closes the channel, taking every
// request that arrives within Linger of the first into the same transaction,
// up to MaxBatch.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*request, 0, MaxBatch)
	linger := time.NewTimer(Linger)
	for r := range s.requests {
		if hook := s.beforeBatch.Load(); hook != nil {
			(*hook)()
		}
		batch = append(batch[:0], r)
		linger.Reset(Linger)
	fill:
		for len(batch) < MaxBatch {
			select {
			case r, ok := <-s.requests:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			case <-linger.C:
				break fill
			}
		}
		linger.Stop()
		s.commit(batch)
		clear(batch) // let answered requests go
	}
}

// commit applies batch in one transaction and answers every request. A
// request that cannot be applied (its context is done, its job's stored
// document is unreadable) fails alone; a failure to write or commit fails
// every request of the batch, none of which is then stored.
func (s *Store) commit(batch []*request) {
	results := make([]result, len(batch))
	if err := s.commitBatch(batch, results); err != nil {
		for i := range results {
			if results[i].err == nil {
				results[i] = result{err: err}
			}
		}
	} else {
		s.commitCount.Add(1)
		if n := int64(len(batch)); n > s.maxBatch.Load() {
			s.maxBatch.Store(n) // only the writer stores
		}
	}
	for i, r := range batch {
		r.done <- results[i]
	}
	s.requestCount.Add(uint64(len(batch)))
}

// commitBatch serves batch in one transaction, setting each request's
// result, and commits it. Its error is the batch's: none of it is stored.
func (s *Store) commitBatch(batch []*request, results []result) error {
	tx, err := s.write.Begin()
	if err != nil {
		return fmt.Errorf("sqlite: begin a transaction on %s: %w", s.path, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op once committed

	p := newPass(tx)
	for i, r := range batch {
		if r.run == nil {
			results[i] = s.serveChange(p, r)
			continue
		}
		if results[i], err = s.serveRun(tx, r); err != nil {
			return err
		}
	}
	for _, id := range p.dirty {
		old, stored := p.indexed[id]
		if err := s.store(tx, p.current[id], old, stored); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit %d updates to %s: %w", len(batch), s.path, err)
	}
	return nil
}

// pass is one transaction's view of the jobs its batch touches, so that
// later requests see the changes of earlier ones. A job handed out in an
// answer is never modified again: a later request for it applies to a copy.
type pass struct {
	tx       *sql.Tx
	current  map[string]*jobs.Job // nil: not stored, and not to be created
	indexed  map[string]index     // as stored before the batch
	answered map[*jobs.Job]bool
	dirty    []string // ids of changed jobs, in the order they changed
	isDirty  map[string]bool
}

func newPass(tx *sql.Tx) *pass {
	return &pass{
		tx:       tx,
		current:  map[string]*jobs.Job{},
		indexed:  map[string]index{},
		answered: map[*jobs.Job]bool{},
		isDirty:  map[string]bool{},
	}
}

// serveRun runs a write to another table (see exec) in tx. The first error
// is the request's own; the second, the batch's.
func (s *Store) serveRun(tx *sql.Tx, r *request) (result, error) {
	if err := r.ctx.Err(); err != nil {
		return result{err: fmt.Errorf("sqlite: %s: %w", r.id, err)}, nil
	}
	own, err := s.runIsolated(tx, r.run)
	return result{err: own}, err
}

// serveChange applies an Apply or Modify call to its job as the pass has
// it, and answers with the job as changed.
func (s *Store) serveChange(p *pass, r *request) result {
	if err := r.ctx.Err(); err != nil {
		return result{err: fmt.Errorf("sqlite: change job %q: %w", r.id, err)}
	}
	j, err := s.passJob(p, r.id, r.create)
	if err != nil {
		return result{err: err}
	}
	if j == nil {
		return result{err: fmt.Errorf("sqlite: job %q: %w", r.id, jobs.ErrNotFound)}
	}
	if p.answered[j] {
		j = j.Clone()
	}
	recorded, changed := r.change(j)
	if changed {
		p.current[r.id] = j
		if !p.isDirty[r.id] {
			p.isDirty[r.id] = true
			p.dirty = append(p.dirty, r.id)
		}
	}
	p.answered[j] = true
	return result{change: jobs.Change{Job: j, Recorded: recorded, Changed: changed}}
}

// passJob returns the job id as the pass has it, reading it in the first
// time: nil for a job never stored, unless create makes it new.
func (s *Store) passJob(p *pass, id string, create bool) (*jobs.Job, error) {
	if j, seen := p.current[id]; seen {
		if j == nil && create {
			// An earlier call of the batch found no such job; this one
			// creates it.
			j = jobs.New(id)
			p.current[id] = j
		}
		return j, nil
	}
	j, err := s.load(p.tx, id)
	if err != nil {
		return nil, err
	}
	if j != nil {
		p.indexed[id] = indexOf(j)
	} else if create {
		j = jobs.New(id)
	}
	p.current[id] = j
	return j, nil
}

// load reads a job in tx, or returns nil for a job never seen.
func (s *Store) load(tx *sql.Tx, id string) (*jobs.Job, error) {
	var doc []byte
	err := tx.Stmt(s.selectDoc).QueryRow(id).Scan(&doc)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read job %q from %s: %w", id, s.path, err)
	}
	return decode(id, doc)
}

// index is what the table's indexes hold of a job besides its creation
// time, which never changes.
type index struct {
	owner string
	due   sql.NullInt64
}

func indexOf(j *jobs.Job) index {
	x := index{owner: j.Owner}
	if t, ok := j.NextWebhookCall(); ok {
		x.due = sql.NullInt64{Int64: t.UnixNano(), Valid: true}
	}
	return x
}

// store writes j in tx. A job already stored whose indexed columns keep their
// values (most updates: progress, attributes) has only its document
// rewritten, which leaves every index alone.
func (s *Store) store(tx *sql.Tx, j *jobs.Job, old index, stored bool) error {
	doc, err := jobdoc.Encode(j)
	if err != nil {
		return fmt.Errorf("sqlite: encode job %q: %w", j.ID, err)
	}
	x := indexOf(j)
	from := retainedFrom(j)
	if stored && x == old {
		n, err := rowsAffected(tx.Stmt(s.updateDoc).Exec(j.Version, j.UpdatedAt.UnixNano(), from, string(doc), j.ID))
		if err != nil {
			return fmt.Errorf("sqlite: write job %q to %s: %w", j.ID, s.path, err)
		}
		if n == 1 {
			return nil
		}
		// The row went between the load and this write (the sweep of
		// expired jobs shares the batch): write it whole again.
	}
	_, err = tx.Stmt(s.upsert).Exec(j.ID, j.Version, j.CreatedAt.UnixNano(), j.UpdatedAt.UnixNano(), from, string(doc), x.owner, x.due)
	if err != nil {
		return fmt.Errorf("sqlite: write job %q to %s: %w", j.ID, s.path, err)
	}
	return nil
}

// rowsAffected is res.RowsAffected, or err when the statement failed.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// decode reads a stored job document (see package jobdoc).
func decode(id string, doc []byte) (*jobs.Job, error) {
	j, err := jobdoc.Decode(doc)
	if err != nil {
		return nil, fmt.Errorf("sqlite: the stored document of job %q is corrupt (%v): restore the database from a backup, or delete the job's row", id, err)
	}
	return j, nil
}

// exec runs fn in the writer's next transaction, which it shares with the
// Apply calls waiting at that moment, and returns once that transaction is
// committed: fn's error, or the batch's. fn's writes are undone when it
// fails, and only then; what fn hands back through its closure holds only
// when exec returns nil. what names the change for errors.
func (s *Store) exec(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if !s.gate.Enter() {
		return ErrClosed
	}
	defer s.gate.Leave()
	r := &request{ctx: ctx, id: what, run: fn, done: make(chan result, 1)}
	select {
	case s.requests <- r:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: %s: %w", what, ctx.Err())
	}
	return (<-r.done).err
}

// runIsolated runs fn in tx within a savepoint, so that a failing fn undoes
// its own writes and nothing else: its error is the request's alone. The
// second error is the transaction's, when the savepoint itself fails.
func (s *Store) runIsolated(tx *sql.Tx, fn func(tx *sql.Tx) error) (own, batch error) {
	if _, err := tx.Exec(`SAVEPOINT request`); err != nil {
		return nil, fmt.Errorf("sqlite: open a savepoint on %s: %w", s.path, err)
	}
	own = fn(tx)
	if own != nil {
		if _, err := tx.Exec(`ROLLBACK TO request`); err != nil {
			return own, fmt.Errorf("sqlite: undo a failed write on %s: %w", s.path, err)
		}
	}
	if _, err := tx.Exec(`RELEASE request`); err != nil {
		return own, fmt.Errorf("sqlite: release a savepoint on %s: %w", s.path, err)
	}
	return own, nil
}
