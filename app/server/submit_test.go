package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/quotas"
	"transcoder/app/s3"
	s3local "transcoder/app/s3/local"
	"transcoder/app/server"
)

// recordingEngine stands in for the transcoding engine's control plane
// (MediaConvert's API cannot run here): it records what it is asked.
type recordingEngine struct {
	mu       sync.Mutex
	started  []jobs.StartRequest
	canceled []string
}

func (e *recordingEngine) Start(_ context.Context, req jobs.StartRequest) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.started = append(e.started, req)
	return "mc-" + req.JobID, nil
}

func (e *recordingEngine) Cancel(_ context.Context, engineJobID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.canceled = append(e.canceled, engineJobID)
	return nil
}

// submitting is the harness with real storage (the local S3 server), the
// recording engine, and quotas at limits.
type submitting struct {
	*harness
	storage *s3.Storage
	engine  *recordingEngine
}

const (
	aliceKey = "alice-key-0123456789"
	bobKey   = "bob-key-0123456789ab"
)

func newSubmitting(t *testing.T, limits quotas.Limits, opts ...func(*server.Deps)) *submitting {
	t.Helper()
	ctx := context.Background()
	srv, err := s3local.Start(ctx, s3local.Options{Dir: filepath.Join(t.TempDir(), "s3"), Addr: "127.0.0.1:0", Buckets: []string{"input-bucket", "output-bucket"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := srv.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := &submitting{storage: s3.New(client, "input-bucket", "output-bucket"), engine: &recordingEngine{}}
	s.harness = newHarness(t, append([]func(*server.Deps){func(d *server.Deps) {
		d.Storage, d.Transcoder, d.Engine = s.storage, s.engine, jobs.MediaConvert
		d.APIKeys = map[string]string{aliceKey: "alice", bobKey: "bob"}
		d.Quotas = &quotas.Keeper{Limits: limits, Tallies: d.Store.(jobs.Tallies), Jobs: d.Store}
	}}, opts...)...)
	return s
}

func (s *submitting) as(key, method, path string, body any) answer {
	s.t.Helper()
	raw, _ := json.Marshal(body)
	return s.do(method, path, raw, map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"})
}

// upload stores a file of size bytes as alice's upload and returns its key.
func (s *submitting) upload(size int) string {
	s.t.Helper()
	a := s.as(aliceKey, http.MethodPost, "/uploads", map[string]any{"filename": "a.wav", "contentType": "audio/wav", "size": size})
	if a.status != http.StatusCreated {
		s.t.Fatalf("POST /uploads: %d %v", a.status, a.body)
	}
	key := a.body["key"].(string)
	if err := s.storage.Put(context.Background(), s.storage.InputURI(key), bytes.NewReader(make([]byte, size)), int64(size), "audio/wav"); err != nil {
		s.t.Fatal(err)
	}
	return key
}

func (s *submitting) submit(key, input string) answer {
	s.t.Helper()
	return s.as(key, http.MethodPost, "/jobs", map[string]any{"input": input, "presets": []string{"mp3"}})
}

// refused checks a 429 that names the limit and its value.
func refused(t *testing.T, a answer, limit string, value float64, retryAfter bool) {
	t.Helper()
	if a.status != http.StatusTooManyRequests || a.body["limit"] != limit || a.body["value"] != value {
		t.Fatalf("%d %v, want 429 naming %s = %v", a.status, a.body, limit, value)
	}
	if got := a.header.Get("Retry-After"); (got != "") != retryAfter {
		t.Fatalf("Retry-After = %q, want one: %v", got, retryAfter)
	}
	if msg, _ := a.body["error"].(string); !strings.Contains(msg, limit) {
		t.Fatalf("the message %q does not name %s", msg, limit)
	}
}

func TestAnUploadLargerThanTheLimitIsRefusedBeforeAndAfterItIsStored(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{MaxUploadSize: 1000})
	a := s.as(aliceKey, http.MethodPost, "/uploads", map[string]any{"filename": "a.wav", "contentType": "audio/wav", "size": 1001})
	refused(t, a, quotas.MaxUploadSize, 1000, false)
	for _, size := range []int{0, -5} {
		a := s.as(aliceKey, http.MethodPost, "/uploads", map[string]any{"filename": "a.wav", "contentType": "audio/wav", "size": size})
		if a.status != http.StatusBadRequest || !strings.HasPrefix(a.body["error"].(string), "size:") {
			t.Fatalf("size %d: %d %v, want 400 about the size", size, a.status, a.body)
		}
	}
	// An object larger than the limit got there some other way: the stored
	// object is what counts.
	key := s.upload(1000)
	if err := s.storage.Put(context.Background(), s.storage.InputURI(key), bytes.NewReader(make([]byte, 5000)), 5000, "audio/wav"); err != nil {
		t.Fatal(err)
	}
	refused(t, s.submit(aliceKey, key), quotas.MaxUploadSize, 1000, false)
	if len(s.engine.started) != 0 {
		t.Fatalf("the engine was asked to start %d jobs", len(s.engine.started))
	}
}

func TestAnEmptyFileIsRefusedAtSubmission(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{})
	key := s.upload(10)
	if err := s.storage.Put(context.Background(), s.storage.InputURI(key), bytes.NewReader(nil), 0, "audio/wav"); err != nil {
		t.Fatal(err)
	}
	a := s.submit(aliceKey, key)
	if a.status != http.StatusBadRequest || !strings.Contains(a.body["error"].(string), "empty") {
		t.Fatalf("an empty input: %d %v", a.status, a.body)
	}
}

func TestOneUploadRunsOnlyAsManyJobsAsAllowed(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{JobsPerUpload: 2})
	key := s.upload(100)
	for i := range 2 {
		if a := s.submit(aliceKey, key); a.status != http.StatusCreated {
			t.Fatalf("job %d: %d %v", i, a.status, a.body)
		}
	}
	refused(t, s.submit(aliceKey, key), quotas.JobsPerUpload, 2, false)
	if a := s.submit(token, key); a.status != http.StatusCreated {
		t.Fatalf("the operator is bound by no quota: %d %v", a.status, a.body)
	}
}

func TestAnOwnerRunsOnlySoManyJobsAtOnceAndGetsThePlaceBackWhenOneEnds(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{JobsRunning: 1})
	first := s.submit(aliceKey, s.upload(100))
	if first.status != http.StatusCreated {
		t.Fatalf("first job: %d %v", first.status, first.body)
	}
	if s.engine.started[0].Owner != "alice" {
		t.Fatalf("the engine was not told whose job it is: %+v", s.engine.started[0])
	}
	refused(t, s.submit(aliceKey, s.upload(100)), quotas.JobsRunning, 1, true)

	id := first.body["id"].(string)
	now := time.Now()
	done := mcEventFor(id, "COMPLETE", now, `"outputGroupDetails":[{"outputDetails":[{"outputFilePaths":["s3://out/jobs/`+id+`/mp3/a.mp3"],"durationInMs":4000}],"type":"FILE_GROUP"}]`)
	if a := h(s).deliver(s.signer.Notification(done, now)); a.status != 200 {
		t.Fatalf("delivering COMPLETE: %d %v", a.status, a.body)
	}
	if a := s.submit(aliceKey, s.upload(100)); a.status != http.StatusCreated {
		t.Fatalf("after the first job ended: %d %v", a.status, a.body)
	}
}

func TestJobsPerDayAreCountedAndTheRefusalSaysWhenToComeBack(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{JobsPerDay: 2})
	for i := range 2 {
		if a := s.submit(aliceKey, s.upload(100)); a.status != http.StatusCreated {
			t.Fatalf("job %d: %d %v", i, a.status, a.body)
		}
	}
	refused(t, s.submit(aliceKey, s.upload(100)), quotas.JobsPerDay, 2, true)
}

func TestAnInputLongerThanTheLimitIsCanceledOnItsEngine(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{MaxInputDuration: time.Minute})
	a := s.submit(aliceKey, s.upload(100))
	if a.status != http.StatusCreated {
		t.Fatalf("POST /jobs: %d %v", a.status, a.body)
	}
	id := a.body["id"].(string)
	now := time.Now()
	info := mcEventFor(id, "INPUT_INFORMATION", now, `"inputDetails":[{"id":1,"uri":"s3://in/x.wav","durationInMs":3600000}]`)
	for range 2 { // a duplicate changes nothing more
		if a := h(s).deliver(s.signer.Notification(info, now)); a.status != 200 {
			t.Fatalf("delivering INPUT_INFORMATION: %d %v\n%s", a.status, a.body, s.logs.String())
		}
	}
	j, _ := s.job(id)
	if j.State != jobs.Failed || j.Error == nil || j.Error.Code != "INPUT_TOO_LONG" || !strings.Contains(j.Error.Message, "1h long") {
		t.Fatalf("job: %+v (error %+v)", j, j.Error)
	}
	if len(s.engine.canceled) != 1 || s.engine.canceled[0] != "mc-"+id {
		t.Fatalf("the engine was asked to cancel %v, want mc-%s once", s.engine.canceled, id)
	}
}

func TestWithoutAnInviteNoBrowserUploadsOrSubmits(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{}, inviteOnly)
	b := newBrowser(s.harness)
	for _, path := range []string{"/uploads", "/jobs"} {
		a := b.do(http.MethodPost, path, map[string]any{}, nil)
		if a.status != http.StatusUnauthorized || !strings.Contains(a.body["error"].(string), "by invitation") {
			t.Errorf("POST %s without a session: %d %v, want 401 saying the service is by invitation", path, a.status, a.body)
		}
	}
	_, tok := s.invite(map[string]any{"owner": "dora"})
	b.do(http.MethodPost, "/session", map[string]string{"invite": tok}, nil)
	a := b.do(http.MethodPost, "/uploads", map[string]any{"filename": "a.wav", "contentType": "audio/wav", "size": 10}, nil)
	if a.status != http.StatusCreated || !strings.HasPrefix(a.body["key"].(string), "uploads/dora/") {
		t.Fatalf("an invited browser uploading: %d %v", a.status, a.body)
	}
}

func h(s *submitting) *harness { return s.harness }

// mcEventFor is a MediaConvert event for one of our jobs: it carries the
// job's id in its user metadata, as the engine passes it.
func mcEventFor(jobID, status string, at time.Time, detail string) string {
	return strings.Replace(mcEvent("mc-"+jobID, status, at, detail), `"userMetadata":{}`, fmt.Sprintf(`"userMetadata":{%q:%q}`, jobs.MetadataJobID, jobID), 1)
}

func TestRefusalsAreJSONThatIsNotHTMLEscapedAndNameTheFieldAtFault(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{})
	for _, tt := range []struct{ body, want string }{
		{`{"input":"<b>x</b>","presets":["mp3"]}`, `"input: \"<b>x</b>\" is not one of your uploads`},
		{`{"input":"k","presets":["mp3"],"callback_url":"https://example.com/hook"}`, `unknown field callback_url: did you mean callbackUrl?`},
	} {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/jobs", strings.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer "+aliceKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), tt.want) {
			t.Errorf("POST /jobs %s: %d %s, want 400 saying %s", tt.body, resp.StatusCode, raw, tt.want)
		}
	}
	if len(s.engine.started) != 0 {
		t.Fatalf("a refused request started %d jobs", len(s.engine.started))
	}
}

func TestAJobIsCanceledOnItsEngineOnceAndItsPlaceComesBack(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{JobsRunning: 1})
	a := s.submit(aliceKey, s.upload(100))
	if a.status != http.StatusCreated {
		t.Fatalf("POST /jobs: %d %v", a.status, a.body)
	}
	id := a.body["id"].(string)
	if b := s.as(bobKey, http.MethodDelete, "/jobs/"+id, nil); b.status != http.StatusNotFound {
		t.Fatalf("another owner canceling: %d %v, want 404", b.status, b.body)
	}
	c := s.as(aliceKey, http.MethodDelete, "/jobs/"+id, nil)
	if c.status != http.StatusOK || c.body["state"] != "CANCELED" {
		t.Fatalf("DELETE /jobs/:id: %d %v", c.status, c.body)
	}
	if len(s.engine.canceled) != 1 || s.engine.canceled[0] != "mc-"+id {
		t.Fatalf("the engine was asked to cancel %v", s.engine.canceled)
	}
	// The engine's own CANCELED event, and a second cancel, change nothing.
	now := time.Now()
	if d := h(s).deliver(s.signer.Notification(mcEventFor(id, "CANCELED", now, ""), now)); d.status != 200 || d.body["outcome"] != "duplicate" {
		t.Fatalf("the engine's CANCELED: %d %v", d.status, d.body)
	}
	if again := s.as(aliceKey, http.MethodPost, "/jobs/"+id+"/cancel", nil); again.status != http.StatusConflict || !strings.Contains(again.body["error"].(string), "already ended") {
		t.Fatalf("a second cancel: %d %v", again.status, again.body)
	}
	j, _ := s.job(id)
	canceled := 0
	for _, tr := range j.Transitions {
		if tr.State == jobs.Canceled {
			canceled++
		}
	}
	if canceled != 1 {
		t.Fatalf("CANCELED recorded %d times: %+v", canceled, j.Transitions)
	}
	if a := s.submit(aliceKey, s.upload(100)); a.status != http.StatusCreated {
		t.Fatalf("after the cancel the owner's running place should be free: %d %v", a.status, a.body)
	}
}

func TestAnEndedJobIsRunAgainAsANewJobWithTheSameInputAndPresets(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{JobsPerUpload: 2})
	key := s.upload(100)
	a := s.as(aliceKey, http.MethodPost, "/jobs", map[string]any{"input": key, "presets": []string{"mp3", "flac"}, "name": "take one"})
	id := a.body["id"].(string)
	if r := s.as(aliceKey, http.MethodPost, "/jobs/"+id+"/retry", nil); r.status != http.StatusConflict || !strings.Contains(r.body["error"].(string), "not ended") {
		t.Fatalf("retrying an open job: %d %v", r.status, r.body)
	}
	s.as(aliceKey, http.MethodDelete, "/jobs/"+id, nil)
	r := s.as(aliceKey, http.MethodPost, "/jobs/"+id+"/retry", nil)
	if r.status != http.StatusCreated || r.body["id"] == id || r.body["name"] != "take one" || r.body["owner"] != "alice" {
		t.Fatalf("retrying a canceled job: %d %v", r.status, r.body)
	}
	again := s.engine.started[len(s.engine.started)-1]
	if again.Input != s.storage.InputURI(key) || len(again.Presets) != 2 || again.Presets[0].Name != "mp3" || again.Presets[1].Name != "flac" {
		t.Fatalf("the retry started %+v", again)
	}
	// A retry is a new job on the same upload: the upload's quota counts it.
	s.as(aliceKey, http.MethodDelete, "/jobs/"+r.body["id"].(string), nil)
	refused(t, s.as(aliceKey, http.MethodPost, "/jobs/"+id+"/retry", nil), quotas.JobsPerUpload, 2, false)
	// Once the input is gone there is nothing to run again.
	if err := s.storage.Delete(context.Background(), s.storage.InputURI(key)); err != nil {
		t.Fatal(err)
	}
	s2 := s.as(token, http.MethodPost, "/jobs/"+id+"/retry", nil)
	if s2.status != http.StatusNotFound || !strings.Contains(s2.body["error"].(string), "does not exist") {
		t.Fatalf("retrying without the input: %d %v", s2.status, s2.body)
	}
}
