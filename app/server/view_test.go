package server

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/transcoding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// linkStorage presigns downloads as links anyone can read, so that the
// golden view is the same on every run.
type linkStorage struct{ transcoding.Storage }

func (linkStorage) PresignDownload(_ context.Context, uri string, _ time.Duration, filename string) (string, error) {
	return "https://download.test/" + strings.TrimPrefix(uri, "s3://") + "?as=" + filename, nil
}

// everyField is a job with every field the store keeps set, internals
// included, so that the golden view shows which of them the API answers.
func everyField() *jobs.Job {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &jobs.Job{
		ID: "j1", Owner: "alice", Name: "take <one>", Presets: []string{"mp3", "flac"},
		Engine: jobs.MediaConvert, EngineJobID: "1700000000000-abcdef", State: jobs.Complete, Progress: 100,
		Input: &jobs.Input{URI: "s3://input-bucket/uploads/alice/u1/take.wav", DurationMS: 3000, Details: map[string]any{"codec": "pcm_s16le"}},
		Outputs: []jobs.Output{
			{URI: "s3://output-bucket/jobs/j1/mp3/take.mp3", Preset: "mp3", DurationMS: 3000, Status: "COMPLETE"},
			{URI: "s3://output-bucket/jobs/j1/flac/take.flac", Preset: "1351620000001-300040", DurationMS: 3000},
		},
		Error:       &jobs.Failure{Code: "1010", Message: "the engine's own words about s3://input-bucket", Detail: "more of them"},
		Warnings:    []jobs.Warning{{Code: "230001", Message: "a warning", Count: 2}},
		Queue:       "arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",
		Metadata:    map[string]string{jobs.MetadataJobID: "j1"},
		Transitions: []jobs.Transition{{State: jobs.Submitted, At: at}, {State: jobs.Complete, At: at.Add(time.Minute)}},
		CallbackURL: "https://hooks.test/transcoder",
		Notices:     []jobs.Notice{{ID: "j1-COMPLETE", JobID: "j1", State: jobs.Complete, Text: "Your file take.wav has been transcoded.", At: at.Add(time.Minute), Read: true}},
		Webhooks: []jobs.WebhookCall{{ID: "j1-COMPLETE", State: jobs.Complete, At: at.Add(time.Minute), Attempts: 2,
			LastAttempt: at.Add(2 * time.Minute), LastStatus: 500, LastError: "HTTP 500", NextAttempt: at.Add(3 * time.Minute),
			LeaseUntil: at.Add(4 * time.Minute)}},
		CreatedAt: at, UpdatedAt: at.Add(2 * time.Minute), Version: 7,
	}
}

func TestTheJobViewsJSONIsTheAPIsOwnAndLeavesTheStoresInternalsOut(t *testing.T) {
	s := New(Deps{Storage: linkStorage{}})
	tests := []struct {
		name   string
		who    identity
		golden string
	}{
		{"the owner sees the plain sentence and no engine internals", identity{Caller: transcoding.Caller{Owner: "alice"}}, "jobview-owner.json"},
		{"the operator also sees the engine's words and names for the job", identity{Caller: transcoding.Caller{Operator: true}}, "jobview-operator.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			// As every answer of the service: not HTML-escaped.
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(s.view(context.Background(), everyField(), tt.who)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("the view's JSON changed; got\n%s\nwant (%s)\n%s", buf.Bytes(), path, want)
			}
			for _, internal := range []string{`"metadata"`, `"version"`, `"leaseUntil"`, "transcoderJobId"} {
				if bytes.Contains(buf.Bytes(), []byte(internal)) {
					t.Errorf("the view shows %s, which is the store's", internal)
				}
			}
		})
	}
}

func TestTheViewWebhooksCarryIsTheOwnersView(t *testing.T) {
	s := New(Deps{Storage: linkStorage{}})
	v, ok := s.View(everyField()).(JobView)
	if !ok || v.Error == nil || v.Error.Detail != "" || v.EngineJobID != "" || v.Queue != "" {
		t.Fatalf("the webhook view is %+v, want the owner's", v)
	}
}
