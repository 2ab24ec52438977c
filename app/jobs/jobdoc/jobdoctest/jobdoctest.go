// Package jobdoctest holds the jobs whose stored documents package jobdoc
// keeps in its testdata, among them the documents that the stores wrote
// before package jobdoc, so that each store's tests show that it reads its
// old data whole.
package jobdoctest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// BeforeID and BeforeOwner are the id and owner of the job whose document
// Before returns, at version BeforeVersion, for the columns or attributes a
// store keeps beside the document.
const (
	BeforeID      = "job-1"
	BeforeOwner   = "owner-1"
	BeforeVersion = 11
)

// Testdata returns the path of the named file in package jobdoc's testdata.
func Testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", name)
}

// Before returns the document of EveryField as both stores wrote it before
// package jobdoc: json.Marshal of the *jobs.Job.
func Before(t testing.TB) []byte {
	t.Helper()
	doc, err := os.ReadFile(Testdata("before-every-field.json"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// CheckStore fails t unless s reads the job of Before whole, where the
// store's test has put Before as the stores did before package jobdoc,
// and keeps every field of it, under the name it had, when a change writes
// the job again: stored returns the job's document as s holds it then.
func CheckStore(t testing.TB, s jobs.Store, stored func() string) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Get(ctx, BeforeID)
	if err != nil {
		t.Fatalf("Get of the job stored before jobdoc: %v", err)
	}
	if want := EveryField(); !reflect.DeepEqual(got, want) {
		t.Errorf("the job stored before jobdoc reads back as\n%#v\nwant\n%#v", got, want)
	}

	if _, err := s.Modify(ctx, BeforeID, func(j *jobs.Job) bool {
		j.Version++
		return true
	}); err != nil {
		t.Fatalf("Modify of the job stored before jobdoc: %v", err)
	}
	want := strings.Replace(string(Before(t)), fmt.Sprintf(`"version":%d}`, BeforeVersion), fmt.Sprintf(`"version":%d}`, BeforeVersion+1), 1)
	if doc := stored(); doc != want {
		t.Errorf("rewritten, the document stored before jobdoc is\n%s\nwant\n%s", doc, want)
	}
}

// at is a fixed instant ms milliseconds and a few nanoseconds into a day of
// June 2024, UTC, as the stores keep times.
func at(ms int) time.Time {
	return time.Date(2024, 6, 3, 9, 10, 0, 0, time.UTC).Add(time.Duration(ms)*time.Millisecond + 7)
}

// EveryField is the job of testdata/before-every-field.json: every field
// of jobs.Job, and of the types it holds, is set to something other than
// its zero value.
func EveryField() *jobs.Job {
	return &jobs.Job{
		ID:          "job-1",
		Owner:       "owner-1",
		Name:        "holiday film",
		Presets:     []string{"hls-720p", "mp4-1080p"},
		Engine:      jobs.MediaConvert,
		EngineJobID: "1717405800112-abcdef",
		State:       jobs.Failed,
		Progress:    64,
		Input: &jobs.Input{
			URI:        "s3://in/holiday.mov",
			DurationMS: 93500,
			// Numbers as a document gives them back: float64.
			Details: map[string]any{"video": map[string]any{"codec": "H_264", "width": float64(1920)}, "audio": []any{"AAC", float64(2)}},
		},
		Outputs: []jobs.Output{
			{URI: "s3://out/holiday.m3u8", Preset: "hls-720p", DurationMS: 93480, Status: "COMPLETE"},
			{URI: "s3://out/holiday.mp4"},
		},
		Error:       &jobs.Failure{Code: "1517", Message: "Unable to read the input", Detail: "s3://in/holiday.mov: access denied"},
		Warnings:    []jobs.Warning{{Code: "230001", Message: "frame rate adjusted", Count: 3}, {Code: "230005"}},
		Queue:       "arn:aws:mediaconvert:eu-west-1:123456789012:queues/Default",
		Metadata:    map[string]string{jobs.MetadataJobID: "job-1", "team": "video"},
		Transitions: []jobs.Transition{{State: jobs.Submitted, At: at(0)}, {State: jobs.Progressing, At: at(1500)}, {State: jobs.Failed, At: at(9000)}},
		CallbackURL: "https://hooks.example.com/transcoder",
		Notices: []jobs.Notice{{
			ID: "job-1-ERROR", JobID: "job-1", State: jobs.Failed, Text: "Your file holiday.mov could not be transcoded.",
			At: at(9000), Read: true, Dismissed: true,
		}},
		Webhooks: []jobs.WebhookCall{
			{
				ID: "job-1-SUBMITTED", State: jobs.Submitted, At: at(0), Attempts: 2,
				LastAttempt: at(700), LastStatus: 200, DeliveredAt: at(700),
			},
			{
				ID: "job-1-PROGRESSING", State: jobs.Progressing, At: at(1500), Attempts: 9,
				LastAttempt: at(8000), LastStatus: 503, LastError: "503 Service Unavailable", GaveUp: true,
			},
			{
				ID: "job-1-ERROR", State: jobs.Failed, At: at(9000), Attempts: 1,
				LastAttempt: at(9100), LastError: "connection refused", NextAttempt: at(12000), LeaseUntil: at(9400),
			},
		},
		CreatedAt: at(0),
		UpdatedAt: at(9000),
		Version:   11,
	}
}

// FromEvents is the job of testdata/before-from-events.json: a job known
// only from one engine event, with no owner, name or callback, no outputs
// yet (an empty list, not none) and nothing owed.
func FromEvents() *jobs.Job {
	return &jobs.Job{
		ID:          "job-2",
		Engine:      jobs.ElasticTranscoder,
		EngineJobID: "1717405800112-xyz",
		State:       jobs.Progressing,
		Outputs:     []jobs.Output{},
		Transitions: []jobs.Transition{{State: jobs.Progressing, At: at(2000)}},
		CreatedAt:   at(2000),
		UpdatedAt:   at(2000),
		Version:     1,
	}
}
