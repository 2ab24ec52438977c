package enginetest

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"transcoder/app/jobs"
	"transcoder/app/presets"
)

func testStartSends(t *testing.T, s Service) {
	tests := []struct {
		name    string
		presets []string
	}{
		{"every preset", presets.Names()},
		{"one preset", []string{"aac"}},
		{"one other preset", []string{"flac"}},
		{"presets in another order", []string{"mp3", "aac", "wav"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, srv := start(t, s, http.StatusCreated, nil, s.Created)

			id, err := e.Start(context.Background(), Request(t, tt.presets...))
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if id != s.CreatedID {
				t.Errorf("Start returned id %q, want %s's %q", id, s.Name, s.CreatedID)
			}
			got := srv.Only()
			if got.Method != http.MethodPost || got.Path != s.JobsPath {
				t.Errorf("request is %s %s, want POST %s", got.Method, got.Path, s.JobsPath)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type is %q, want application/json", ct)
			}
			if auth := got.Header.Get("Authorization"); !strings.Contains(auth, "/"+Region+"/"+s.SigningName+"/aws4_request") {
				t.Errorf("Authorization %q is not a SigV4 signature for %s in %s", auth, s.Name, Region)
			}
			if want := s.WantBody(t, tt.presets...); !reflect.DeepEqual(got.Body, want) {
				t.Errorf("CreateJob body is\n%s\nwant\n%s", Indent(got.Body), Indent(want))
			}
		})
	}
}

func testEveryPreset(t *testing.T, s Service) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			e, srv := start(t, s, http.StatusCreated, nil, s.Created)
			if _, err := e.Start(context.Background(), Request(t, p.Name)); err != nil {
				t.Fatalf("Start: %v", err)
			}
			srv.Only()
		})
	}
}

func testStartFails(t *testing.T, s Service) {
	if len(s.Failures) == 0 {
		t.Fatal("the Service lists no failed CreateJob answers")
	}
	for _, tt := range s.Failures {
		t.Run(tt.Name, func(t *testing.T) {
			e, srv := start(t, s, tt.Status, tt.Header, tt.Body)

			id, err := e.Start(context.Background(), Request(t, "flac"))
			if err == nil {
				t.Fatalf("Start returned id %q and no error", id)
			}
			if id != "" {
				t.Errorf("Start returned id %q with its error", id)
			}
			for _, want := range []string{"CreateJob", `"` + JobID + `"`, tt.Want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if tt.Code != "" {
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.Code {
					t.Errorf("error %v does not wrap the API's %s", err, tt.Code)
				}
			}
			srv.Only()
		})
	}
}

// refusals are the requests every engine refuses: those that break the
// rules of jobs.StartRequest.Validate.
var refusals = []Refusal{
	{"no presets", func(r *jobs.StartRequest) { r.Presets = nil }, "no presets"},
	{"a preset asked for twice", func(r *jobs.StartRequest) { r.Presets = append(r.Presets, r.Presets[0]) }, "twice"},
	{"an input that is not in S3", func(r *jobs.StartRequest) { r.Input = "https://example.com/song.wav" }, "not an S3 object"},
	{"an input that is a local path", func(r *jobs.StartRequest) { r.Input = "/tmp/song.wav" }, "not an S3 object"},
	{"an input without a bucket", func(r *jobs.StartRequest) { r.Input = "s3:///song.wav" }, "not an S3 object"},
	{"an input that is a folder", func(r *jobs.StartRequest) { r.Input = "s3://media-in/uploads/" }, "not an S3 object"},
	{"an output prefix that is not a folder", func(r *jobs.StartRequest) { r.OutputPrefix = "s3://media-out/jobs/job-1" }, "not an S3 folder"},
	{"an output prefix that is not in S3", func(r *jobs.StartRequest) { r.OutputPrefix = "media-out/jobs/job-1/" }, "not an S3 folder"},
	{"no correlation id", func(r *jobs.StartRequest) { delete(r.Metadata, jobs.MetadataJobID) }, "no " + jobs.MetadataJobID},
	{"no metadata at all", func(r *jobs.StartRequest) { r.Metadata = nil }, "no " + jobs.MetadataJobID},
	{"a correlation id of another job", func(r *jobs.StartRequest) { r.Metadata[jobs.MetadataJobID] = "job-2" }, `is not the request's JobID "job-1"`},
}

func testRefusals(t *testing.T, s Service) {
	for _, tt := range append(append([]Refusal(nil), refusals...), s.Refusals...) {
		t.Run(tt.Name, func(t *testing.T) {
			e, srv := start(t, s, http.StatusCreated, nil, s.Created)
			req := Request(t, "mp3")
			tt.Change(&req)

			id, err := e.Start(context.Background(), req)
			if err == nil {
				t.Fatalf("Start accepted the request and returned %q", id)
			}
			if !s.IsRequestError(err) {
				t.Errorf("error %v is not a RequestError", err)
			}
			if !strings.Contains(err.Error(), tt.Want) {
				t.Errorf("error %q does not say %q", err, tt.Want)
			}
			if n := srv.Count(); n != 0 {
				t.Errorf("%s received %d requests for a request that was refused", s.Name, n)
			}
		})
	}
}

func testCancel(t *testing.T, s Service) {
	e, srv := start(t, s, http.StatusAccepted, nil, `{}`)
	if err := e.Cancel(context.Background(), s.CreatedID); err != nil {
		t.Fatal(err)
	}
	if r := srv.Only(); r.Method != http.MethodDelete || r.Path != s.JobsPath+"/"+s.CreatedID {
		t.Fatalf("sent %s %s, want DELETE %s/<id>", r.Method, r.Path, s.JobsPath)
	}
	if err := e.Cancel(context.Background(), ""); err == nil || srv.Count() != 1 {
		t.Fatalf("a job without an id: %v, %d requests", err, srv.Count())
	}
	failing, _ := start(t, s, http.StatusConflict, nil, `{"message":"job is already complete"}`)
	if err := failing.Cancel(context.Background(), "x-1"); err == nil || !strings.Contains(err.Error(), "x-1") {
		t.Fatalf("a refused cancel: %v, want an error naming the job", err)
	}
}
