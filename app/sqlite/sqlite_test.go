package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/jobs/jobdoc"
	"transcoder/app/jobs/jobdoc/jobdoctest"
	"transcoder/app/jobs/jobstest"
	"transcoder/app/sqlite"
)

func TestStore(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Store {
		return open(t, filepath.Join(t.TempDir(), "transcoder.db"))
	}, jobstest.Options{
		Reopen: func(t *testing.T, closed jobs.Store) jobs.Store {
			return open(t, closed.(*sqlite.Store).Path())
		},
	})
}

// open opens the store at path; the caller closes it.
func open(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

// openClosing opens the store at path and closes it when t ends.
func openClosing(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s := open(t, path, opts...)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawDB opens the database file directly, beside the store, the way an
// operator's sqlite3 shell would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535897932, time.UTC)

func update(id string, ms int) *jobs.Update {
	return &jobs.Update{JobID: id, At: t0.Add(time.Duration(ms) * time.Millisecond), State: jobs.Progressing, Progress: ms % 101}
}

func TestOpenCreatesTheDirectoryAndTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "nested", "transcoder.db")
	s := openClosing(t, path)

	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database file is missing after Open: %v", err)
	}
	if got, want := s.Path(), path; got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
}

func TestOpenRefusesWhatItCannotUse(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notADB := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(notADB, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	newer := filepath.Join(dir, "newer.db")
	db := rawDB(t, newer)
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", sqlite.SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	tests := []struct {
		name, path, wantInError string
	}{
		{"an empty path", "", "needs the path"},
		{"a directory that is a file", filepath.Join(notADir, "transcoder.db"), "DATA_DIR"},
		{"a file that is not a database", notADB, "SQLite database"},
		{"a database from a newer build", newer, "run a newer transcoder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(tc.path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.wantInError) {
				t.Errorf("error %q does not say %q", err, tc.wantInError)
			}
		})
	}
}

func TestPragmasAreInForce(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"))
	tests := []struct {
		conn, pragma, want string
		read               func(*sqlite.Store, string) (string, error)
	}{
		{"writer", "journal_mode", "wal", sqlite.WriterPragma},
		{"writer", "synchronous", "2", sqlite.WriterPragma}, // FULL
		{"writer", "busy_timeout", "5000", sqlite.WriterPragma},
		{"writer", "user_version", fmt.Sprint(sqlite.SchemaVersion), sqlite.WriterPragma},
		{"reader", "journal_mode", "wal", sqlite.ReaderPragma},
		{"reader", "busy_timeout", "5000", sqlite.ReaderPragma},
		{"reader", "query_only", "1", sqlite.ReaderPragma},
	}
	for _, tc := range tests {
		t.Run(tc.conn+" has "+tc.pragma+" "+tc.want, func(t *testing.T) {
			got, err := tc.read(s, tc.pragma)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %q on the %s, want %q", tc.pragma, got, tc.conn, tc.want)
			}
		})
	}
}

func TestAnAcknowledgedUpdateIsInTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transcoder.db")
	s := openClosing(t, path)
	c, err := s.Apply(context.Background(), update("job-1", 1500))
	if err != nil {
		t.Fatal(err)
	}

	// Read through a connection of our own while the store is still open:
	// the update is committed, not merely queued or cached.
	var (
		version            int64
		createdAt, updated int64
		doc                string
	)
	err = rawDB(t, path).QueryRow(`SELECT version, created_at, updated_at, doc FROM jobs WHERE id = 'job-1'`).
		Scan(&version, &createdAt, &updated, &doc)
	if err != nil {
		t.Fatalf("reading the row back from the file: %v", err)
	}
	stored, err := jobdoc.Decode([]byte(doc))
	if err != nil {
		t.Fatalf("the doc column is not a job's stored document: %v\n%s", err, doc)
	}
	if !reflect.DeepEqual(stored, c.Job) {
		t.Errorf("doc = %s, want the job Apply returned", doc)
	}
	if want, err := jobdoc.Encode(c.Job); err != nil || doc != string(want) {
		t.Errorf("doc = %s, want the job's stored document %s (%v)", doc, want, err)
	}
	if version != c.Job.Version || createdAt != c.Job.CreatedAt.UnixNano() || updated != c.Job.UpdatedAt.UnixNano() {
		t.Errorf("columns version %d, created_at %d, updated_at %d; want %d, %d, %d",
			version, createdAt, updated, c.Job.Version, c.Job.CreatedAt.UnixNano(), c.Job.UpdatedAt.UnixNano())
	}
}

func TestAJobStoredBeforeJobdocIsReadBackWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transcoder.db")
	s := openClosing(t, path)
	if _, err := rawDB(t, path).Exec(`INSERT INTO jobs (id, version, created_at, updated_at, doc, owner) VALUES (?, ?, 0, 0, ?, ?)`,
		jobdoctest.BeforeID, jobdoctest.BeforeVersion, string(jobdoctest.Before(t)), jobdoctest.BeforeOwner); err != nil {
		t.Fatal(err)
	}

	jobdoctest.CheckStore(t, s, func() string {
		var doc string
		if err := rawDB(t, path).QueryRow(`SELECT doc FROM jobs WHERE id = ?`, jobdoctest.BeforeID).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		return doc
	})
}

func TestTheFileKeepsJobsAcrossReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transcoder.db")
	s := open(t, path)
	var want []*jobs.Job
	for i := range 3 {
		c, err := s.Apply(context.Background(), update(fmt.Sprintf("job-%d", i), i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, c.Job)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close = %v, want nil", err)
	}
	if _, err := s.Get(context.Background(), "job-0"); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}

	r := openClosing(t, path)
	for _, w := range want {
		got, err := r.Get(context.Background(), w.ID)
		if err != nil {
			t.Fatalf("Get(%s) after reopening: %v", w.ID, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s after reopening differs", w.ID)
		}
	}
}

// queueBehindHeldBatch holds the writer, starts one Apply per update (the
// first to be taken by the held batch, the rest queued behind it), releases
// the writer and returns each call's outcome in the order of us.
func queueBehindHeldBatch(t *testing.T, s *sqlite.Store, us []*jobs.Update) ([]jobs.Change, []error) {
	t.Helper()
	changes, errs := make([]jobs.Change, len(us)), make([]error, len(us))
	calls := make([]func(), len(us))
	for i, u := range us {
		calls[i] = func() { changes[i], errs[i] = s.Apply(context.Background(), u) }
	}
	queueCallsBehindHeldBatch(t, s, calls)
	return changes, errs
}

// queueCallsBehindHeldBatch holds the writer, starts the calls (each of
// which must make one request of the writer) so that the first is taken by
// the held batch and the rest queue behind it in order, releases the writer
// and returns once every call has.
func queueCallsBehindHeldBatch(t *testing.T, s *sqlite.Store, calls []func()) {
	t.Helper()
	entered, release := sqlite.HoldNextBatch(s)
	defer release()
	var wg sync.WaitGroup
	wg.Go(calls[0])
	<-entered
	for i := 1; i < len(calls); i++ {
		// One at a time, so that they queue in the order of calls.
		wg.Go(calls[i])
		for sqlite.Queued(s) < i {
			runtime.Gosched()
		}
	}
	release()
	wg.Wait()
}

func TestGroupCommitServesWaitingCallsInOneTransaction(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"))
	const calls = 40
	var us []*jobs.Update
	for i := range calls {
		// Four jobs, ten updates each: later requests in the batch must see
		// the changes of earlier ones to the same job.
		us = append(us, update(fmt.Sprintf("job-%d", i%4), i))
	}
	before := s.Stats()
	changes, errs := queueBehindHeldBatch(t, s, us)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}

	after := s.Stats()
	if got := after.Commits - before.Commits; got != 1 {
		t.Errorf("%d calls waiting together took %d commits, want 1", calls, got)
	}
	if got := after.Requests - before.Requests; got != calls {
		t.Errorf("the writer answered %d requests, want %d", got, calls)
	}
	if after.MaxBatch != calls {
		t.Errorf("largest batch %d, want %d", after.MaxBatch, calls)
	}
	versions := map[string][]int64{}
	for i, c := range changes {
		versions[us[i].JobID] = append(versions[us[i].JobID], c.Job.Version)
	}
	for id, vs := range versions {
		if want := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; !reflect.DeepEqual(vs, want) {
			t.Errorf("%s: versions answered %v, want %v: each call answered with its own snapshot, in order", id, vs, want)
		}
		got, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 10 {
			t.Errorf("%s stored at version %d, want 10", id, got.Version)
		}
	}
}

func TestACorruptDocumentFailsOnlyItsOwnCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transcoder.db")
	s := openClosing(t, path)
	if _, err := rawDB(t, path).Exec(`INSERT INTO jobs (id, version, created_at, updated_at, doc) VALUES ('bad', 1, 0, 0, '{not json')`); err != nil {
		t.Fatal(err)
	}

	before := s.Stats()
	_, errs := queueBehindHeldBatch(t, s, []*jobs.Update{update("good-1", 1), update("bad", 2), update("good-2", 3)})
	if got := s.Stats().Commits - before.Commits; got != 1 {
		t.Fatalf("the three calls took %d commits, want 1 batch", got)
	}
	if errs[1] == nil || !strings.Contains(errs[1].Error(), "corrupt") {
		t.Errorf("the call for the corrupt job = %v, want an error saying the document is corrupt", errs[1])
	}
	for _, i := range []int{0, 2} {
		if errs[i] != nil {
			t.Errorf("call %d, for a sound job in the same batch: %v", i, errs[i])
		}
	}
	for _, id := range []string{"good-1", "good-2"} {
		if _, err := s.Get(context.Background(), id); err != nil {
			t.Errorf("Get(%s): %v", id, err)
		}
	}
}

func TestACallCanceledWhileQueuedIsNotApplied(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"))
	entered, release := sqlite.HoldNextBatch(s)
	defer release()

	first := make(chan error, 1)
	go func() {
		_, err := s.Apply(context.Background(), update("job-1", 1))
		first <- err
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, update("job-2", 2))
		second <- err
	}()
	for sqlite.Queued(s) < 1 {
		runtime.Gosched()
	}
	cancel()
	release()

	if err := <-first; err != nil {
		t.Fatalf("the held call: %v", err)
	}
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Errorf("the canceled call = %v, want context.Canceled", err)
	}
	if _, err := s.Get(context.Background(), "job-2"); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Get(job-2) = %v, want ErrNotFound: a call canceled before the writer reached it must not be applied", err)
	}
}

func TestAFirstUpdateBatchedAfterAModifyOfTheSameUnseenJobCreatesIt(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"))
	var modifyErr, applyErr error
	queueCallsBehindHeldBatch(t, s, []func(){
		func() { _, _ = s.Apply(context.Background(), update("other", 1)) },
		func() {
			_, modifyErr = s.Modify(context.Background(), "new", func(*jobs.Job) bool { return true })
		},
		func() { _, applyErr = s.Apply(context.Background(), update("new", 2)) },
	})
	if !errors.Is(modifyErr, jobs.ErrNotFound) {
		t.Errorf("Modify of a job never stored = %v, want jobs.ErrNotFound", modifyErr)
	}
	if applyErr != nil {
		t.Fatalf("the first update of the job, batched behind that Modify = %v, want it created", applyErr)
	}
	if _, err := s.Get(context.Background(), "new"); err != nil {
		t.Errorf("Get(new) after its first update: %v", err)
	}
}
