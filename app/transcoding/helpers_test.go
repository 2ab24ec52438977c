package transcoding_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/jobs/jobstest"
	"transcoder/app/quotas"
	"transcoder/app/s3"
	"transcoder/app/transcoding"
)

// t0 is the fixtures' clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var (
	alice    = transcoding.Caller{Owner: "alice"}
	bob      = transcoding.Caller{Owner: "bob"}
	operator = transcoding.Caller{Operator: true}
)

// fakeEngine records what it is asked to start and cancel, and fails when
// told to.
type fakeEngine struct {
	mu        sync.Mutex
	started   []jobs.StartRequest
	canceled  []string
	startErr  error
	cancelErr error
}

func (e *fakeEngine) Start(_ context.Context, req jobs.StartRequest) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.startErr != nil {
		return "", e.startErr
	}
	e.started = append(e.started, req)
	return "eng-" + req.JobID, nil
}

func (e *fakeEngine) Cancel(_ context.Context, engineJobID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancelErr != nil {
		return e.cancelErr
	}
	e.canceled = append(e.canceled, engineJobID)
	return nil
}

// startOnly is an engine that cannot cancel.
type startOnly struct{ jobs.Transcoder }

// fakeStorage keeps object sizes by URI, in the buckets input-bucket and
// output-bucket.
type fakeStorage struct {
	mu         sync.Mutex
	objects    map[string]int64
	presignErr error
	headErr    error
}

func (s *fakeStorage) PresignUpload(_ context.Context, key, contentType string, size int64, ttl time.Duration) (*s3.Presigned, error) {
	if s.presignErr != nil {
		return nil, s.presignErr
	}
	return &s3.Presigned{URL: "https://in.storage.test/" + key, Method: "PUT", Headers: map[string]string{"Content-Type": contentType}, ExpiresAt: t0.Add(ttl)}, nil
}

func (s *fakeStorage) PresignDownload(_ context.Context, uri string, _ time.Duration, _ string) (string, error) {
	return "https://download.test/" + strings.TrimPrefix(uri, "s3://"), nil
}

func (s *fakeStorage) Head(_ context.Context, uri string) (*s3.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headErr != nil {
		return nil, s.headErr
	}
	size, ok := s.objects[uri]
	if !ok {
		return nil, s3.ErrNotFound
	}
	return &s3.Object{Size: size}, nil
}

func (s *fakeStorage) InputURI(key string) string  { return "s3://input-bucket/" + key }
func (s *fakeStorage) OutputURI(key string) string { return "s3://output-bucket/" + key }

// put stores a file of size bytes under key in the input bucket.
func (s *fakeStorage) put(key string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[s.InputURI(key)] = size
}

// watchers records the jobs it is told of.
type watchers struct {
	mu  sync.Mutex
	ids []string
}

func (w *watchers) Changed(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ids = append(w.ids, id)
}

// fixture is the use cases over the reference store (jobstest.MemStore,
// which passes the same suite as the real stores), real quotas, and the
// fakes above.
type fixture struct {
	t        *testing.T
	svc      *transcoding.Service
	store    *jobstest.MemStore
	engine   *fakeEngine
	storage  *fakeStorage
	watchers *watchers
}

// newFixture builds the use cases; each of opts may change their
// dependencies, the fixture's fakes at hand.
func newFixture(t *testing.T, limits quotas.Limits, opts ...func(*fixture, *transcoding.Deps)) *fixture {
	t.Helper()
	store := jobstest.NewMemStore()
	t.Cleanup(func() { store.Close() })
	f := &fixture{t: t, store: store, engine: &fakeEngine{}, storage: &fakeStorage{objects: map[string]int64{}}, watchers: &watchers{}}
	deps := transcoding.Deps{
		Store: store, Transcoder: f.engine, Engine: jobs.MediaConvert, Storage: f.storage,
		Quotas:   &quotas.Keeper{Limits: limits, Tallies: store, Jobs: store},
		Watchers: f.watchers,
		Now:      func() time.Time { return t0 },
	}
	for _, o := range opts {
		o(f, &deps)
	}
	f.svc = transcoding.New(deps)
	return f
}

// apply stores an update as an engine's event would.
func (f *fixture) apply(u *jobs.Update) *jobs.Job {
	f.t.Helper()
	if u.At.IsZero() {
		u.At = t0
	}
	ch, err := f.store.Apply(context.Background(), u)
	if err != nil {
		f.t.Fatal(err)
	}
	return ch.Job
}

// stored reads a job from the store.
func (f *fixture) stored(id string) *jobs.Job {
	f.t.Helper()
	j, err := f.store.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

// submitted submits alice's stored upload and returns the job.
func (f *fixture) submitted(key string) *jobs.Job {
	f.t.Helper()
	f.storage.put(key, 100)
	j, err := f.svc.Submit(context.Background(), alice, transcoding.SubmitRequest{Input: key, Presets: []string{"mp3"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

// refusedAs checks that err is a *transcoding.Error of kind whose message
// holds said.
func refusedAs(t *testing.T, err error, kind transcoding.Kind, said string) *transcoding.Error {
	t.Helper()
	var e *transcoding.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a *transcoding.Error of kind %d", err, kind)
	}
	if e.Kind != kind || !strings.Contains(e.Message, said) {
		t.Fatalf("got kind %d %q, want kind %d saying %q", e.Kind, e.Message, kind, said)
	}
	return e
}

// failingStore is a store whose every call fails.
type failingStore struct{ jobs.Store }

var errStoreDown = errors.New("the store is down")

func (failingStore) Apply(context.Context, *jobs.Update) (jobs.Change, error) {
	return jobs.Change{}, errStoreDown
}
func (failingStore) Get(context.Context, string) (*jobs.Job, error) { return nil, errStoreDown }
func (failingStore) List(context.Context, jobs.Query) (jobs.Page, error) {
	return jobs.Page{}, errStoreDown
}
func (failingStore) Modify(context.Context, string, func(*jobs.Job) bool) (*jobs.Job, error) {
	return nil, errStoreDown
}
