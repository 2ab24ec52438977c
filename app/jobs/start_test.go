package jobs_test

import (
	"errors"
	"strings"
	"testing"

	"transcoder/app/jobs"
	"transcoder/app/presets"
)

// startRequest is a request every engine's rules accept, for job-1.
func startRequest(t *testing.T) jobs.StartRequest {
	t.Helper()
	ps, err := presets.Resolve([]string{"flac", "mp3"})
	if err != nil {
		t.Fatal(err)
	}
	return jobs.StartRequest{
		JobID:        "job-1",
		Input:        "s3://in/uploads/alice/song.wav",
		OutputPrefix: "s3://out/jobs/job-1/",
		Presets:      ps,
		Metadata:     map[string]string{jobs.MetadataJobID: "job-1", "owner": "alice"},
	}
}

func TestValidateAcceptsARequestThatKeepsEveryRule(t *testing.T) {
	tests := []struct {
		name   string
		change func(*jobs.StartRequest)
	}{
		{"a request for a job and its outputs", func(*jobs.StartRequest) {}},
		{"a request without its JobID, named by its metadata alone", func(r *jobs.StartRequest) { r.JobID = "" }},
		{"an output prefix at the bucket's root", func(r *jobs.StartRequest) { r.OutputPrefix = "s3://out/" }},
		{"an input at the bucket's root", func(r *jobs.StartRequest) { r.Input = "s3://in/song.wav" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := startRequest(t)
			tt.change(&req)
			if err := req.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateRefusesARequestNamingTheFieldAndTheRule(t *testing.T) {
	tests := []struct {
		name   string
		change func(*jobs.StartRequest)
		field  string
		says   string
	}{
		{"no metadata at all", func(r *jobs.StartRequest) { r.Metadata = nil },
			"Metadata", `metadata has no transcoderJobId: set metadata["transcoderJobId"] to the job's id`},
		{"metadata without the job's id", func(r *jobs.StartRequest) { delete(r.Metadata, jobs.MetadataJobID) },
			"Metadata", "metadata has no transcoderJobId"},
		{"metadata naming another job", func(r *jobs.StartRequest) { r.Metadata[jobs.MetadataJobID] = "job-2" },
			"Metadata", `metadata's transcoderJobId "job-2" is not the request's JobID "job-1"`},
		{"an input that is not in S3", func(r *jobs.StartRequest) { r.Input = "https://example.com/song.wav" },
			"Input", `input "https://example.com/song.wav" is not an S3 object: use s3://bucket/key`},
		{"an input that is a local path", func(r *jobs.StartRequest) { r.Input = "/tmp/song.wav" },
			"Input", "is not an S3 object"},
		{"an input without a bucket", func(r *jobs.StartRequest) { r.Input = "s3:///song.wav" },
			"Input", "is not an S3 object"},
		{"an input that is a bucket", func(r *jobs.StartRequest) { r.Input = "s3://in" },
			"Input", "is not an S3 object"},
		{"an input that is a bucket's root", func(r *jobs.StartRequest) { r.Input = "s3://in/" },
			"Input", "is not an S3 object"},
		{"an input that is a folder", func(r *jobs.StartRequest) { r.Input = "s3://in/uploads/" },
			"Input", "is not an S3 object"},
		{"an output prefix without its final slash", func(r *jobs.StartRequest) { r.OutputPrefix = "s3://out/jobs/job-1" },
			"OutputPrefix", `output prefix "s3://out/jobs/job-1" is not an S3 folder: use s3://bucket/prefix/, with the final slash`},
		{"an output prefix that is not in S3", func(r *jobs.StartRequest) { r.OutputPrefix = "out/jobs/job-1/" },
			"OutputPrefix", "is not an S3 folder"},
		{"an output prefix without a bucket", func(r *jobs.StartRequest) { r.OutputPrefix = "s3:///jobs/" },
			"OutputPrefix", "is not an S3 folder"},
		{"an output prefix that is a bucket without its slash", func(r *jobs.StartRequest) { r.OutputPrefix = "s3://out" },
			"OutputPrefix", "is not an S3 folder"},
		{"no presets", func(r *jobs.StartRequest) { r.Presets = nil },
			"Presets", "no presets: a job needs at least one output; ask for one or more of wav, flac, aac, mp3"},
		{"a preset asked for twice", func(r *jobs.StartRequest) { r.Presets = append(r.Presets, r.Presets[0]) },
			"Presets", `preset "flac" is asked for twice: both outputs would be written to one file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := startRequest(t)
			tt.change(&req)
			err := req.Validate()
			var reqErr *jobs.StartRequestError
			if !errors.As(err, &reqErr) {
				t.Fatalf("Validate() = %v, want a *StartRequestError", err)
			}
			if reqErr.Field != tt.field {
				t.Errorf("the error blames %s, want %s", reqErr.Field, tt.field)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}
