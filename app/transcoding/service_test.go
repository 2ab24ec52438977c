package transcoding_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/quotas"
	"transcoder/app/transcoding"
)

func TestAnUploadIsPresignedInTheCallersOwnFolder(t *testing.T) {
	tests := []struct {
		name   string
		who    transcoding.Caller
		folder string
	}{
		{"an owner's upload goes under its name", alice, "uploads/alice/"},
		{"the operator's upload goes under _operator", operator, "uploads/_operator/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, quotas.Limits{})
			up, err := f.svc.Upload(context.Background(), tt.who, transcoding.UploadRequest{Filename: "a.wav", ContentType: "audio/wav", Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(up.Key, tt.folder) || !strings.HasSuffix(up.Key, "/a.wav") || up.Presigned.URL != "https://in.storage.test/"+up.Key {
				t.Fatalf("upload %+v, want a key under %s", up, tt.folder)
			}
		})
	}
}

func TestAnUploadIsRefusedWithTheRuleItBreaks(t *testing.T) {
	tests := []struct {
		name    string
		req     transcoding.UploadRequest
		storage error
		kind    transcoding.Kind
		said    string
	}{
		{"a file that is no media is refused", transcoding.UploadRequest{Filename: "a.txt", ContentType: "text/plain", Size: 10}, nil, transcoding.Invalid, `contentType "text/plain"`},
		{"a playlist is refused", transcoding.UploadRequest{Filename: "a.m3u8", ContentType: "application/vnd.apple.mpegurl", Size: 10}, nil, transcoding.Invalid, "playlists are not files"},
		{"an empty file is refused", transcoding.UploadRequest{Filename: "a.wav", ContentType: "audio/wav", Size: 0}, nil, transcoding.Invalid, "size: 0 is not a file's size"},
		{"a file over the size limit is over quota", transcoding.UploadRequest{Filename: "a.wav", ContentType: "audio/wav", Size: 1001}, nil, transcoding.OverQuota, quotas.MaxUploadSize},
		{"a file name that cannot be a key is refused", transcoding.UploadRequest{Filename: "../a.wav", ContentType: "audio/wav", Size: 10}, nil, transcoding.Invalid, "filename:"},
		{"storage that cannot presign is a failure of ours", transcoding.UploadRequest{Filename: "a.wav", ContentType: "audio/wav", Size: 10}, errors.New("no"), transcoding.Unavailable, "presigning an upload failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, quotas.Limits{MaxUploadSize: 1000})
			f.storage.presignErr = tt.storage
			_, err := f.svc.Upload(context.Background(), alice, tt.req)
			refusedAs(t, err, tt.kind, tt.said)
		})
	}
}

func TestASubmittedJobIsStoredBeforeItsEngineStartsIt(t *testing.T) {
	f := newFixture(t, quotas.Limits{})
	j := f.submitted("uploads/alice/u1/take.wav")
	if j.State != jobs.Submitted || j.Owner != "alice" || j.Name != "take.wav" || j.EngineJobID != "eng-"+j.ID {
		t.Fatalf("job %+v, want alice's SUBMITTED job named after its file, with the engine's id", j)
	}
	if len(f.engine.started) != 1 {
		t.Fatalf("the engine started %d jobs, want 1", len(f.engine.started))
	}
	req := f.engine.started[0]
	if req.Input != "s3://input-bucket/uploads/alice/u1/take.wav" || req.OutputPrefix != "s3://output-bucket/jobs/"+j.ID+"/" || req.Metadata[jobs.MetadataJobID] != j.ID || req.Owner != "alice" {
		t.Fatalf("the engine was asked %+v", req)
	}
	if len(f.watchers.ids) != 2 || f.watchers.ids[0] != j.ID {
		t.Fatalf("watchers were told %v, want the job stored and then started", f.watchers.ids)
	}
}

func TestASubmissionIsRefusedWithTheRuleItBreaks(t *testing.T) {
	const key = "uploads/alice/u1/a.wav"
	tests := []struct {
		name  string
		req   transcoding.SubmitRequest
		setup func(*fixture, *transcoding.Deps)
		kind  transcoding.Kind
		said  string
	}{
		{"a preset that is not offered is refused", transcoding.SubmitRequest{Input: key, Presets: []string{"mp9"}}, nil, transcoding.Invalid, "presets:"},
		{"another owner's upload is refused", transcoding.SubmitRequest{Input: "uploads/bob/u1/a.wav", Presets: []string{"mp3"}}, nil, transcoding.Invalid, "is not one of your uploads"},
		{"no input at all is refused", transcoding.SubmitRequest{Presets: []string{"mp3"}}, nil, transcoding.Invalid, "is not one of your uploads"},
		{"a name over 200 characters is refused", transcoding.SubmitRequest{Input: key, Presets: []string{"mp3"}, Name: strings.Repeat("n", 201)}, nil, transcoding.Invalid, "name: at most 200 characters"},
		{"a callback is refused while webhooks are off", transcoding.SubmitRequest{Input: key, Presets: []string{"mp3"}, CallbackURL: "https://hook.test"}, nil, transcoding.Invalid, "webhooks are off"},
		{"a callback the service's rule refuses is refused", transcoding.SubmitRequest{Input: key, Presets: []string{"mp3"}, CallbackURL: "http://hook.test"}, func(_ *fixture, d *transcoding.Deps) {
			d.CheckCallback = func(string) error { return errors.New("not https") }
		}, transcoding.Invalid, "callbackUrl: not https"},
		{"an upload that was never stored is not found", transcoding.SubmitRequest{Input: "uploads/alice/u2/b.wav", Presets: []string{"mp3"}}, nil, transcoding.NotFound, "does not exist"},
		{"an empty stored file is refused", transcoding.SubmitRequest{Input: key, Presets: []string{"mp3"}}, func(f *fixture, _ *transcoding.Deps) { f.storage.put(key, 0) }, transcoding.Invalid, "input: the file is empty"},
		{"a stored file over the size limit is over quota", transcoding.SubmitRequest{Input: key, Presets: []string{"mp3"}}, func(f *fixture, _ *transcoding.Deps) { f.storage.put(key, 5000) }, transcoding.OverQuota, quotas.MaxUploadSize},
		{"storage that cannot tell is a failure of ours", transcoding.SubmitRequest{Input: key, Presets: []string{"mp3"}}, func(f *fixture, _ *transcoding.Deps) { f.storage.headErr = errors.New("no") }, transcoding.Unavailable, "checking the input failed"},
		{"a store that cannot keep the job is a failure of ours", transcoding.SubmitRequest{Input: key, Presets: []string{"mp3"}}, func(f *fixture, d *transcoding.Deps) {
			d.Store, d.Quotas = failingStore{}, nil
		}, transcoding.Unavailable, "storing the job failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, quotas.Limits{MaxUploadSize: 1000}, func(f *fixture, d *transcoding.Deps) {
				f.storage.put(key, 100)
				if tt.setup != nil {
					tt.setup(f, d)
				}
			})
			_, err := f.svc.Submit(context.Background(), alice, tt.req)
			refusedAs(t, err, tt.kind, tt.said)
			if len(f.engine.started) != 0 {
				t.Fatalf("the engine started %v for a refused submission", f.engine.started)
			}
		})
	}
}

func TestOneUploadRunsOnlyAsManyJobsAsItsQuotaAllows(t *testing.T) {
	f := newFixture(t, quotas.Limits{JobsPerUpload: 1})
	f.submitted("uploads/alice/u1/a.wav")
	_, err := f.svc.Submit(context.Background(), alice, transcoding.SubmitRequest{Input: "uploads/alice/u1/a.wav", Presets: []string{"mp3"}})
	e := refusedAs(t, err, transcoding.OverQuota, quotas.JobsPerUpload)
	var ex *quotas.Exceeded
	if !errors.As(e, &ex) || ex.Limit != quotas.JobsPerUpload || ex.Value != 1 {
		t.Fatalf("the refusal wraps %+v, want the quota's %s = 1", ex, quotas.JobsPerUpload)
	}
}

func TestAJobTheEngineRefusesIsStoredFailedAndReturnedWithTheRefusal(t *testing.T) {
	f := newFixture(t, quotas.Limits{})
	f.engine.startErr = errors.New("the queue is paused")
	f.storage.put("uploads/alice/u1/a.wav", 100)
	_, err := f.svc.Submit(context.Background(), alice, transcoding.SubmitRequest{Input: "uploads/alice/u1/a.wav", Presets: []string{"mp3"}})
	e := refusedAs(t, err, transcoding.EngineFailed, "")
	if e.Job == nil || e.Job.State != jobs.Failed || e.Job.Error == nil || e.Job.Error.Code != "START_FAILED" {
		t.Fatalf("the refusal shows %+v, want the job stored ERROR with START_FAILED", e.Job)
	}
	if strings.Contains(e.Message, "paused") || e.Message != e.Job.Explain().Message {
		t.Fatalf("the caller is told %q, want the plain sentence without the engine's words", e.Message)
	}
}

func TestAnOwnerActsOnlyOnItsOwnJobsAndTheOperatorOnEveryOne(t *testing.T) {
	useCases := []struct {
		name string
		do   func(f *fixture, who transcoding.Caller, j *jobs.Job) error
	}{
		{"reading", func(f *fixture, who transcoding.Caller, j *jobs.Job) error {
			_, err := f.svc.Get(context.Background(), who, j.ID)
			return err
		}},
		{"canceling", func(f *fixture, who transcoding.Caller, j *jobs.Job) error {
			_, err := f.svc.Cancel(context.Background(), who, j.ID)
			return err
		}},
		{"retrying", func(f *fixture, who transcoding.Caller, j *jobs.Job) error {
			f.apply(&jobs.Update{JobID: j.ID, State: jobs.Complete})
			_, err := f.svc.Retry(context.Background(), who, j.ID)
			return err
		}},
		{"reading a notice", func(f *fixture, who transcoding.Caller, j *jobs.Job) error {
			f.apply(&jobs.Update{JobID: j.ID, State: jobs.Complete})
			return f.svc.MarkNotice(context.Background(), who, j.ID+"-COMPLETE", false)
		}},
	}
	for _, uc := range useCases {
		t.Run("another owner "+uc.name+" finds no such job", func(t *testing.T) {
			f := newFixture(t, quotas.Limits{})
			err := uc.do(f, bob, f.submitted("uploads/alice/u1/a.wav"))
			var e *transcoding.Error
			if !errors.As(err, &e) || e.Kind != transcoding.NotFound {
				t.Fatalf("bob %s alice's job: %v, want not found", uc.name, err)
			}
		})
		t.Run("the operator "+uc.name+" may", func(t *testing.T) {
			f := newFixture(t, quotas.Limits{})
			if err := uc.do(f, operator, f.submitted("uploads/alice/u1/a.wav")); err != nil {
				t.Fatalf("the operator %s alice's job: %v", uc.name, err)
			}
		})
	}
}

func TestAJobIsCanceledOnlyWhileItRunsOnAnEngineThatCan(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture, j *jobs.Job)
		kind  transcoding.Kind
		said  string
		// withJob says the refusal shows the job; wait, the Retry-After.
		withJob bool
		wait    time.Duration
	}{
		{"an ended job has nothing to cancel", func(f *fixture, j *jobs.Job) { f.apply(&jobs.Update{JobID: j.ID, State: jobs.Complete}) },
			transcoding.Conflict, "has already ended (COMPLETE)", true, 0},
		{"a job not yet handed to its engine is to be canceled a little later", func(f *fixture, j *jobs.Job) {
			f.apply(&jobs.Update{JobID: "j-new", Owner: "alice", State: jobs.Submitted})
		}, transcoding.Conflict, "still being handed to its engine", false, 2 * time.Second},
		{"an engine that cannot cancel says so", func(f *fixture, j *jobs.Job) {}, transcoding.NotSupported, "cannot cancel jobs", false, 0},
		{"an engine that fails to cancel is a failed call", func(f *fixture, j *jobs.Job) { f.engine.cancelErr = errors.New("throttled") },
			transcoding.EngineFailed, "did not cancel the job", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, quotas.Limits{}, func(f *fixture, d *transcoding.Deps) {
				if tt.kind == transcoding.NotSupported {
					d.Transcoder = startOnly{f.engine}
				}
			})
			j := f.submitted("uploads/alice/u1/a.wav")
			tt.setup(f, j)
			id := j.ID
			if tt.wait > 0 {
				id = "j-new"
			}
			_, err := f.svc.Cancel(context.Background(), alice, id)
			e := refusedAs(t, err, tt.kind, tt.said)
			if (e.Job != nil) != tt.withJob || e.RetryAfter != tt.wait {
				t.Fatalf("the refusal shows job %v and Retry-After %v, want a job: %v, %v", e.Job != nil, e.RetryAfter, tt.withJob, tt.wait)
			}
		})
	}
}

func TestACanceledJobIsRecordedOnceAndGivesItsRunningPlaceBack(t *testing.T) {
	f := newFixture(t, quotas.Limits{JobsRunning: 1})
	j := f.submitted("uploads/alice/u1/a.wav")
	got, err := f.svc.Cancel(context.Background(), alice, j.ID)
	if err != nil || got.State != jobs.Canceled {
		t.Fatalf("cancel: %v, %+v", err, got)
	}
	if len(f.engine.canceled) != 1 || f.engine.canceled[0] != j.EngineJobID {
		t.Fatalf("the engine canceled %v, want %s", f.engine.canceled, j.EngineJobID)
	}
	// The place is back: another job runs.
	f.submitted("uploads/alice/u2/b.wav")
}

func TestAnEndedJobIsRetriedAsANewJobOfTheSameOwner(t *testing.T) {
	f := newFixture(t, quotas.Limits{})
	j := f.submitted("uploads/alice/u1/a.wav")
	f.apply(&jobs.Update{JobID: j.ID, State: jobs.Failed})
	again, err := f.svc.Retry(context.Background(), operator, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == j.ID || again.Owner != "alice" || again.Name != j.Name || again.Input.URI != j.Input.URI || strings.Join(again.Presets, ",") != "mp3" {
		t.Fatalf("the retry is %+v, want a new job of alice's on the same input and presets", again)
	}
}

func TestARetryIsRefusedWhenTheJobCannotBeRunAgain(t *testing.T) {
	tests := []struct {
		name   string
		update jobs.Update
		said   string
	}{
		{"a job that has not ended is to be canceled first", jobs.Update{JobID: "j1", Owner: "alice", State: jobs.Progressing, Input: &jobs.Input{URI: "s3://input-bucket/uploads/alice/u1/a.wav"}, Presets: []string{"mp3"}}, "has not ended yet (PROGRESSING)"},
		{"a job whose input is no upload of this service is not run again", jobs.Update{JobID: "j1", Owner: "alice", State: jobs.Complete, Input: &jobs.Input{URI: "s3://elsewhere/a.wav"}, Presets: []string{"mp3"}}, "is not an upload of this service"},
		{"a job whose formats are no longer offered is not run again", jobs.Update{JobID: "j1", Owner: "alice", State: jobs.Complete, Input: &jobs.Input{URI: "s3://input-bucket/uploads/alice/u1/a.wav"}, Presets: []string{"mp9"}}, "no longer offered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, quotas.Limits{})
			f.apply(&tt.update)
			_, err := f.svc.Retry(context.Background(), alice, "j1")
			refusedAs(t, err, transcoding.Conflict, tt.said)
		})
	}
}

func TestTheInboxListsNoticesNewestFirstAndCountsTheUnread(t *testing.T) {
	f := newFixture(t, quotas.Limits{})
	for i, id := range []string{"j1", "j2", "j3"} {
		f.apply(&jobs.Update{JobID: id, Owner: "alice", State: jobs.Complete, At: t0.Add(time.Duration(i) * time.Minute)})
	}
	f.apply(&jobs.Update{JobID: "b1", Owner: "bob", State: jobs.Complete})
	ctx := context.Background()
	if err := f.svc.MarkNotice(ctx, alice, "j2-COMPLETE", false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.MarkNotice(ctx, alice, "j1-COMPLETE", true); err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Inbox(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Notices) != 2 || in.Notices[0].ID != "j3-COMPLETE" || in.Notices[1].ID != "j2-COMPLETE" || in.Unread != 1 {
		t.Fatalf("inbox %+v, want j3 (unread) then j2 (read), j1 dismissed and bob's not shown", in)
	}
	if got := f.watchers.ids; len(got) != 2 || got[0] != "j2" || got[1] != "j1" {
		t.Fatalf("watchers were told %v, want j2 then j1", got)
	}
}

func TestANoticeThatIsNotThereIsNotFound(t *testing.T) {
	for _, id := range []string{"nodash", "-COMPLETE", "j9-COMPLETE", "j1-ERROR"} {
		t.Run(id, func(t *testing.T) {
			f := newFixture(t, quotas.Limits{})
			f.apply(&jobs.Update{JobID: "j1", Owner: "alice", State: jobs.Complete})
			refusedAs(t, f.svc.MarkNotice(context.Background(), alice, id, false), transcoding.NotFound, "no such message")
		})
	}
}

func TestAStoreThatFailsIsAFailureOfOursNamingWhatWasBeingDone(t *testing.T) {
	tests := []struct {
		name string
		do   func(s *transcoding.Service) error
		said string
	}{
		{"reading a job", func(s *transcoding.Service) error { _, err := s.Get(context.Background(), alice, "j1"); return err }, "reading a job failed"},
		{"listing jobs", func(s *transcoding.Service) error { _, err := s.List(context.Background(), alice, 20, ""); return err }, "listing jobs failed"},
		{"reading the inbox", func(s *transcoding.Service) error { _, err := s.Inbox(context.Background(), alice); return err }, "reading the inbox failed"},
		{"updating the inbox", func(s *transcoding.Service) error {
			return s.MarkNotice(context.Background(), alice, "j1-COMPLETE", true)
		}, "updating the inbox failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, quotas.Limits{}, func(_ *fixture, d *transcoding.Deps) { d.Store = failingStore{} })
			e := refusedAs(t, tt.do(f.svc), transcoding.Unavailable, tt.said)
			if !errors.Is(e, errStoreDown) {
				t.Fatalf("the error %v does not carry its cause", e)
			}
		})
	}
}

func TestAListingRefusesACursorItDidNotGiveOut(t *testing.T) {
	f := newFixture(t, quotas.Limits{})
	_, err := f.svc.List(context.Background(), alice, 20, "not-a-cursor")
	refusedAs(t, err, transcoding.Invalid, "cursor: not one this service gave out")
}

func TestAnInputLongerThanTheLimitIsCanceledOnItsEngineAndFails(t *testing.T) {
	f := newFixture(t, quotas.Limits{MaxInputDuration: time.Minute, JobsRunning: 1})
	j := f.submitted("uploads/alice/u1/a.wav")
	ch, err := f.store.Apply(context.Background(), &jobs.Update{JobID: j.ID, At: t0, State: jobs.Progressing, Input: &jobs.Input{DurationMS: 3_600_000}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Applied(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	got := f.stored(j.ID)
	if got.State != jobs.Failed || got.Error == nil || got.Error.Code != "INPUT_TOO_LONG" {
		t.Fatalf("job %+v, want ERROR with INPUT_TOO_LONG", got)
	}
	if len(f.engine.canceled) != 1 || f.engine.canceled[0] != j.EngineJobID {
		t.Fatalf("the engine canceled %v, want %s", f.engine.canceled, j.EngineJobID)
	}
	// The place is back: another job runs.
	f.submitted("uploads/alice/u2/b.wav")
}

func TestAnEventsChangeTellsTheWatchersAndADuplicateDoesNot(t *testing.T) {
	f := newFixture(t, quotas.Limits{})
	u := &jobs.Update{JobID: "j1", Owner: "alice", At: t0, State: jobs.Progressing}
	for _, want := range []int{1, 1} {
		ch, err := f.store.Apply(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Applied(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		if len(f.watchers.ids) != want {
			t.Fatalf("watchers were told %v, want %d", f.watchers.ids, want)
		}
	}
}
