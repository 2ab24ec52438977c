package localengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
)

// wait bounds every wait for an event, so that a broken engine fails the test
// instead of hanging it; a working one is far quicker.
const wait = 60 * time.Second

// dirStorage stands in for S3: s3://bucket/key is the file dir/bucket/key.
// It takes the tests' short bucket names ("in", "out"), which s3.ParseURI
// would refuse.
type dirStorage struct {
	dir string
	// putErr, when set, is returned by every Put.
	putErr error

	mu           sync.Mutex
	contentTypes map[string]string
}

func (s *dirStorage) file(uri string) (string, error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return "", fmt.Errorf("%q is not s3://bucket/key", uri)
	}
	return filepath.Join(s.dir, bucket, filepath.FromSlash(key)), nil
}

func (s *dirStorage) Get(ctx context.Context, uri string, w io.Writer) error {
	name, err := s.file(uri)
	if err != nil {
		return err
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

func (s *dirStorage) Put(ctx context.Context, uri string, r io.Reader, size int64, contentType string) error {
	if s.putErr != nil {
		return s.putErr
	}
	name, err := s.file(uri)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("put %s: %d bytes, announced %d", uri, n, size)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.contentTypes == nil {
		s.contentTypes = map[string]string{}
	}
	s.contentTypes[uri] = contentType
	return err
}

// put stores a local file in the storage at uri.
func (s *dirStorage) put(t *testing.T, uri, file string) {
	t.Helper()
	name, err := s.file(uri)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(name), 0o755)
	}
	if err == nil {
		err = os.WriteFile(name, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// recorder is the SNS topic: it keeps every message published, failing the
// first failFirst calls, or every call while failAll is set.
type recorder struct {
	mu        sync.Mutex
	messages  []string
	attempts  []string
	failFirst int
	failAll   bool
	changed   chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) Publish(ctx context.Context, message string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, message)
	defer func() {
		close(r.changed)
		r.changed = make(chan struct{})
	}()
	if r.failAll || len(r.attempts) <= r.failFirst {
		return errors.New("topic unavailable")
	}
	r.messages = append(r.messages, message)
	return nil
}

// events decodes every message published about the engine job id.
func (r *recorder) events(t *testing.T, id string) []*jobs.Update {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var us []*jobs.Update
	for _, m := range r.messages {
		u, err := mediaconvert.Decode([]byte(m), time.Now())
		if err != nil {
			t.Fatalf("a published message does not decode: %v\n%s", err, m)
		}
		if u.EngineJobID == id {
			us = append(us, u)
		}
	}
	return us
}

// until waits for cond, checked after every publish attempt.
func (r *recorder) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("gave up waiting for %s after %v", what, wait)
		}
	}
}

// final waits for the job's terminal event and returns the job as the
// service sees it after applying every event, with the events' statuses.
func (r *recorder) final(t *testing.T, id string) (*jobs.Job, []string) {
	t.Helper()
	r.until(t, "job "+id+" to end", func() bool {
		for _, u := range r.events(t, id) {
			if u.State.Terminal() {
				return true
			}
		}
		return false
	})
	return r.apply(t, id), r.statuses(t, id)
}

// apply applies every event about the job to a new job.
func (r *recorder) apply(t *testing.T, id string) *jobs.Job {
	t.Helper()
	var j *jobs.Job
	for _, u := range r.events(t, id) {
		if j == nil {
			j = jobs.New(u.JobID)
		}
		j.Apply(u)
	}
	if j == nil {
		t.Fatalf("no event about job %s", id)
	}
	return j
}

// statuses lists the MediaConvert status of every event about the job.
func (r *recorder) statuses(t *testing.T, id string) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.messages {
		var e mediaconvert.Event
		if err := json.Unmarshal([]byte(m), &e); err != nil {
			t.Fatal(err)
		}
		if e.Detail.JobID == id {
			out = append(out, e.Detail.Status)
		}
	}
	return out
}

// requireFFmpeg fails a test that needs ffmpeg on a machine without it.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	for _, name := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(name); err != nil {
			t.Fatalf("this test runs %s, which is not on PATH: install it (apt-get install ffmpeg)", name)
		}
	}
}

// tone writes a sine tone of the given length to a WAV file and returns its
// name.
func tone(t *testing.T, seconds float64) string {
	t.Helper()
	requireFFmpeg(t)
	name := filepath.Join(t.TempDir(), "tone.wav")
	src := fmt.Sprintf("sine=frequency=440:duration=%g", seconds)
	run(t, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi", "-i", src, name)
	return name
}

// noise writes bytes no tool can read as media (a fixed seed keeps them the
// same every run) and returns the file's name.
func noise(t *testing.T) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	name := filepath.Join(t.TempDir(), "noise.wav")
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// silentFilm writes a short video without sound and returns its name.
func silentFilm(t *testing.T) string {
	t.Helper()
	requireFFmpeg(t)
	name := filepath.Join(t.TempDir(), "film.mkv")
	run(t, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=5", "-c:v", "mpeg4", name)
	return name
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// fixture is an engine over a directory storage and a recording topic.
type fixture struct {
	storage   *dirStorage
	publisher *recorder
	dir       string
}

func newFixture(t *testing.T) *fixture {
	return &fixture{storage: &dirStorage{dir: t.TempDir()}, publisher: newRecorder(), dir: t.TempDir()}
}

// engine builds an engine on the fixture; change adjusts its options and the
// engine before use. It is closed when the test ends.
func (f *fixture) engine(t *testing.T, change func(*Options)) *Engine {
	t.Helper()
	opts := Options{
		Storage: f.storage, Publisher: f.publisher, Dir: f.dir,
		Concurrency: 1, ProgressInterval: time.Millisecond,
	}
	if change != nil {
		change(&opts)
	}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.retryDelay = time.Millisecond
	t.Cleanup(func() { e.Close() })
	return e
}

// journalEntries lists the journal's files.
func (f *fixture) journalEntries(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(f.dir, "journal", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}
