// Package enginetest is the test suite every AWS transcoding engine
// (packages mediaconvert and elastictranscoder) passes, as package jobstest
// is the stores': what Start sends to the service and how it takes the
// answer, the requests it refuses before sending anything, Cancel, and the
// messages a decoder must ignore or reject. Each engine's tests run it
// against the engine's real SDK client pointed at an awstest.Server, and
// keep for themselves only what is the engine's own (its configuration,
// its CreateJob document, its events or notifications).
package enginetest

import (
	"encoding/json"
	"net/http"
	"testing"

	"transcoder/app/internal/awstest"
	"transcoder/app/jobs"
	"transcoder/app/presets"
)

// Region is the region every engine's client is made for.
const Region = "eu-west-1"

// The job every test request starts: its id, its input and where its
// outputs go.
const (
	JobID        = "job-1"
	Input        = "s3://media-in/uploads/alice/song.final.wav"
	OutputPrefix = "s3://media-out/jobs/job-1/"
)

// Engine is what the suite drives: an engine that starts and cancels jobs.
type Engine interface {
	jobs.Transcoder
	jobs.Canceler
}

// Service describes one engine and the AWS service it stands before.
type Service struct {
	// Name is the service as AWS writes it, for test failures, e.g.
	// "MediaConvert".
	Name string
	// SigningName is the service's name in a SigV4 credential scope, e.g.
	// "mediaconvert".
	SigningName string
	// JobsPath is the REST path of the service's jobs: CreateJob posts to
	// it and CancelJob deletes JobsPath/<id>, e.g. "/2017-08-29/jobs".
	JobsPath string
	// Created is CreateJob's answer for a job the service gave CreatedID.
	Created   string
	CreatedID string
	// NewEngine returns the engine under test, made with a valid
	// configuration and a client for Region that sends to srv.
	NewEngine func(t *testing.T, srv *awstest.Server) Engine
	// WantBody is the whole CreateJob document that Request(t, names...)
	// must become.
	WantBody func(t *testing.T, names ...string) map[string]any
	// Failures are the service's answers to CreateJob that Start must
	// report as errors.
	Failures []Failure
	// Refusals are the requests that break rules of this engine's own,
	// refused beside those every engine refuses (see Run).
	Refusals []Refusal
	// IsRequestError tells whether err is (or wraps) the engine's
	// *RequestError.
	IsRequestError func(err error) bool
}

// Failure is one answer of the service to CreateJob, and what Start's error
// must then say.
type Failure struct {
	Name   string
	Status int
	// Header names an error's type in X-Amzn-Errortype.
	Header http.Header
	Body   string
	// Code is the API error code the error must wrap; "" for an answer
	// that is not an API error.
	Code string
	// Want is a part of the error's message.
	Want string
}

// Refusal is one request Start must refuse before sending anything: the
// change that makes Request(t, "mp3") break a rule, and a part of the
// refusal's message.
type Refusal struct {
	Name   string
	Change func(*jobs.StartRequest)
	Want   string
}

// Request returns the request that starts JobID from Input with the named
// presets, in that order, and the job's correlation id and owner as
// metadata.
func Request(t testing.TB, names ...string) jobs.StartRequest {
	t.Helper()
	ps := make([]presets.Preset, len(names))
	for i, n := range names {
		p, ok := presets.Lookup(n)
		if !ok {
			t.Fatalf("no preset %q", n)
		}
		ps[i] = p
	}
	return jobs.StartRequest{
		JobID:        JobID,
		Input:        Input,
		OutputPrefix: OutputPrefix,
		Presets:      ps,
		Metadata:     map[string]string{jobs.MetadataJobID: JobID, "owner": "alice"},
	}
}

// Indent returns v as indented JSON, for a failure that shows a document.
func Indent(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// Run runs the suite against s's engine, each test as a subtest.
func Run(t *testing.T, s Service) {
	t.Run("Start sends one CreateJob with an output per preset in the order asked", func(t *testing.T) { testStartSends(t, s) })
	t.Run("Start takes every preset", func(t *testing.T) { testEveryPreset(t, s) })
	t.Run("Start reports a failed CreateJob naming the operation and the job", func(t *testing.T) { testStartFails(t, s) })
	t.Run("Start refuses an invalid request before sending it", func(t *testing.T) { testRefusals(t, s) })
	t.Run("Cancel sends one CancelJob for the engine's id", func(t *testing.T) { testCancel(t, s) })
}

// start returns s's engine, talking to a stand-in that answers with status,
// header and body.
func start(t *testing.T, s Service, status int, header http.Header, body string) (Engine, *awstest.Server) {
	t.Helper()
	srv := awstest.NewServer(t, status, header, body)
	return s.NewEngine(t, srv), srv
}
