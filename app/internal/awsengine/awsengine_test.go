package awsengine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"transcoder/app/internal/awsengine"
	"transcoder/app/jobs"
	"transcoder/app/presets"
)

// tester is a service of this test's own.
type tester struct{}

func (tester) Names() (pkg, name string) { return "testengine", "Test Engine" }

func TestEveryMessageStartsWithTheEnginesPackage(t *testing.T) {
	ctx := context.Background()
	refused, refusedErr := awsengine.Start[tester, int](ctx, jobs.StartRequest{}, nil, nil)
	_, noID := awsengine.Start[tester](ctx, validRequest(),
		func(jobs.StartRequest) (int, error) { return 1, nil },
		func(context.Context, int) (string, error) { return "", nil })
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"a configuration error", &awsengine.ConfigError[tester]{Field: "QueueARN", Value: "q", Want: "a queue ARN"},
			`testengine: EngineConfig.QueueARN "q" is not usable: want a queue ARN`},
		{"a refused request", refusedErr, "testengine: cannot start job"},
		{"an answer without an id", noID, `testengine: creating the Test Engine job for job "job-1": CreateJob answered without a job id`},
		{"a cancel without an id", awsengine.Cancel[tester](ctx, "", nil), "testengine: cancel: the job has no Test Engine id yet"},
	}
	if refused != "" {
		t.Errorf("a refused request returned id %q", refused)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
				t.Fatalf("error = %v, want one saying %q", tt.err, tt.want)
			}
		})
	}
}

func TestStartSendsNothingForARequestThatBreaksARule(t *testing.T) {
	rule := errors.New("metadata has 12 entries")
	tests := []struct {
		name  string
		req   jobs.StartRequest
		build func(jobs.StartRequest) (int, error)
	}{
		{"a rule of every engine", jobs.StartRequest{}, func(jobs.StartRequest) (int, error) { return 1, nil }},
		{"a rule of the engine's own", validRequest(), func(jobs.StartRequest) (int, error) { return 0, rule }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := false
			_, err := awsengine.Start[tester](context.Background(), tt.req, tt.build,
				func(context.Context, int) (string, error) { sent = true; return "id", nil })
			var reqErr *awsengine.RequestError[tester]
			if !errors.As(err, &reqErr) {
				t.Fatalf("error = %v, want a RequestError", err)
			}
			if sent {
				t.Error("CreateJob was sent for a refused request")
			}
		})
	}
}

func TestStartAndCancelPassTheServicesAnswerOn(t *testing.T) {
	id, err := awsengine.Start[tester](context.Background(), validRequest(),
		func(jobs.StartRequest) (int, error) { return 7, nil },
		func(_ context.Context, in int) (string, error) {
			if in != 7 {
				t.Errorf("CreateJob got %d, want what build made", in)
			}
			return "engine-7", nil
		})
	if err != nil || id != "engine-7" {
		t.Fatalf("Start = %q, %v; want the service's id", id, err)
	}
	down := errors.New("service unavailable")
	err = awsengine.Cancel[tester](context.Background(), "engine-7", func(context.Context, string) error { return down })
	if !errors.Is(err, down) || !strings.Contains(err.Error(), "engine-7") {
		t.Fatalf("Cancel = %v, want the service's error naming the job", err)
	}
}

// validRequest returns a request that breaks no rule of every engine.
func validRequest() jobs.StartRequest {
	mp3, _ := presets.Lookup("mp3")
	return jobs.StartRequest{
		JobID:        "job-1",
		Input:        "s3://in/song.wav",
		OutputPrefix: "s3://out/jobs/job-1/",
		Presets:      []presets.Preset{mp3},
		Metadata:     map[string]string{jobs.MetadataJobID: "job-1"},
	}
}
