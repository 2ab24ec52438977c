// Package sqlite is the embedded, default job store: one SQLite database file
// in the data directory, on modernc.org/sqlite (pure Go, no cgo), so that the
// service runs from a single static binary with nothing else to install.
//
// Each job is kept whole as a JSON document (package jobdoc, the stored form
// the DynamoDB store keeps too) beside a few columns for querying. Writes go through one goroutine that commits many Apply calls in
// one transaction ("group commit"): with synchronous=FULL every commit waits
// for the disk, so sharing a commit among all the calls waiting at that moment
// is what lets a single file take thousands of deliveries a second. Reads go
// through a separate pool of read-only connections; the WAL journal lets them
// run beside the writer.
//
// A store opened WithRetention forgets the jobs past their retention
// (jobs.Job.RetainedFrom, the rule the DynamoDB store's expiry follows), at
// Open and once a day after (retention.go).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"transcoder/app/internal/gate"
	"transcoder/app/jobs"
)

// MaxBatch is the most Apply calls that share one transaction. It bounds how
// long the first call of a batch waits for the rest and how much one commit
// failure takes down with it.
const MaxBatch = 256

// Linger is how long the writer waits after the first request of a batch
// for others to share its commit. Every commit waits for the disk and costs
// tens of microseconds of CPU in the kernel, so under load a fraction of a
// millisecond of waiting makes each delivery several times cheaper; when
// idle, it adds as much to one call's latency.
const Linger = 500 * time.Microsecond

// busyTimeout is how long a connection waits for another (another process
// on the same file, or a checkpoint) before giving up with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// readers is the size of the read connection pool.
const readers = 4

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("sqlite: store is closed")

// Store is the SQLite job store. It is safe for concurrent use.
type Store struct {
	path  string
	write *sql.DB // one connection, used only by the writer goroutine
	read  *sql.DB // read-only connections, for Get

	get       *sql.Stmt // on read
	selectDoc *sql.Stmt // on write
	upsert    *sql.Stmt // on write
	updateDoc *sql.Stmt // on write

	requests   chan *request
	writerDone chan struct{}

	gate     gate.Gate // refuses calls once Close begins
	once     sync.Once
	closeErr error

	requestCount atomic.Uint64
	commitCount  atomic.Uint64
	maxBatch     atomic.Int64
	beforeBatch  atomic.Pointer[func()] // test hook, see export_test.go

	// Retention (see WithRetention and retention.go).
	retention   time.Duration
	log         *slog.Logger
	stopSweeper context.CancelFunc
	sweeperDone chan struct{}
	forgotten   atomic.Uint64
}

// Open opens the job database at path, creating the file and its directory
// when they are missing and bringing the schema up to date. The service
// passes <DATA_DIR>/transcoder.db.
func Open(path string, opts ...Option) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: Open needs the path of the database file, e.g. <DATA_DIR>/transcoder.db")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: resolve database path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create the directory for %s: %w (check DATA_DIR and its permissions)", abs, err)
	}

	s := &Store{
		path:       abs,
		requests:   make(chan *request, 4*MaxBatch),
		writerDone: make(chan struct{}),
		log:        slog.Default(),
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.open(); err != nil {
		s.closeDBs()
		return nil, err
	}
	go s.writer()
	s.startSweeper()
	return s, nil
}

func (s *Store) open() error {
	var err error
	// The writer's connection: every PRAGMA here holds for the life of the
	// connection, which the pool never closes (one connection, no lifetime).
	s.write, err = sql.Open("sqlite", dsn(s.path, url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
			"journal_mode(WAL)",
			"synchronous(FULL)",
		},
		// BEGIN IMMEDIATE: take the write lock when the transaction starts,
		// so that a busy database is waited for, not failed mid-batch.
		"_txlock": {"immediate"},
	}))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)

	var mode string
	if err := s.write.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w (is it a SQLite database, and writable?)", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: %s: journal mode is %q, not WAL: put DATA_DIR on a local file system that supports shared memory", s.path, mode)
	}
	if err := migrate(s.write, s.path); err != nil {
		return err
	}
	if s.selectDoc, err = s.write.Prepare(`SELECT doc FROM jobs WHERE id = ?`); err != nil {
		return fmt.Errorf("sqlite: prepare the job query on %s: %w", s.path, err)
	}
	if s.upsert, err = s.write.Prepare(`INSERT INTO jobs (id, version, created_at, updated_at, retained_from, doc, owner, webhook_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at, retained_from = excluded.retained_from,
			doc = excluded.doc, owner = excluded.owner, webhook_due = excluded.webhook_due`); err != nil {
		return fmt.Errorf("sqlite: prepare the job upsert on %s: %w", s.path, err)
	}

	if s.updateDoc, err = s.write.Prepare(`UPDATE jobs SET version = ?, updated_at = ?, retained_from = ?, doc = ? WHERE id = ?`); err != nil {
		return fmt.Errorf("sqlite: prepare the job update on %s: %w", s.path, err)
	}

	s.read, err = sql.Open("sqlite", dsn(s.path, url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
			"query_only(1)",
		},
	}))
	if err != nil {
		return fmt.Errorf("sqlite: open %s for reading: %w", s.path, err)
	}
	s.read.SetMaxOpenConns(readers)
	s.read.SetMaxIdleConns(readers)
	if s.get, err = s.read.Prepare(`SELECT doc FROM jobs WHERE id = ?`); err != nil {
		return fmt.Errorf("sqlite: prepare the job query on %s: %w", s.path, err)
	}
	return nil
}

// dsn is the driver's name for the database at path with params: a file:
// URI, so that any character may appear in the path.
func dsn(path string, params url.Values) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: params.Encode()}
	return u.String()
}

// Path returns the absolute path of the database file, for logs and for
// reopening it.
func (s *Store) Path() string { return s.path }

// Get returns the job with the given id, or an error wrapping
// jobs.ErrNotFound when the id has never been seen.
func (s *Store) Get(ctx context.Context, id string) (*jobs.Job, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()

	var doc []byte
	err := s.get.QueryRowContext(ctx, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: job %q: %w", id, jobs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: read job %q from %s: %w", id, s.path, err)
	}
	return decode(id, doc)
}

// Close stops accepting calls, lets those under way finish (the writer
// commits everything already handed to it), and closes the database. It may
// be called more than once.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.stopSweeping()
		s.gate.Close()
		close(s.requests)
		<-s.writerDone
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{s.get, s.selectDoc, s.upsert, s.updateDoc} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// Stats counts the writer's work since Open: what group commit achieves is
// Requests/Commits, the average number of calls per transaction.
type Stats struct {
	// Requests is how many Apply and Modify calls the writer has answered,
	// failed ones included.
	Requests uint64
	// Commits is how many transactions the writer has committed.
	Commits uint64
	// MaxBatch is the most calls one transaction has served.
	MaxBatch int
	// Forgotten is how many jobs the retention sweep has deleted.
	Forgotten uint64
}

// Stats returns the writer's counters, for metrics and benchmarks.
func (s *Store) Stats() Stats {
	return Stats{
		Requests:  s.requestCount.Load(),
		Commits:   s.commitCount.Load(),
		MaxBatch:  int(s.maxBatch.Load()),
		Forgotten: s.forgotten.Load(),
	}
}
