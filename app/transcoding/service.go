// Package transcoding holds the service's use cases: uploading a file,
// submitting, cancelling and retrying a job, reading jobs and the inbox,
// and what an engine's event owes once it is recorded. Each of them checks
// who may do it (an owner acts on its own jobs; the operator on every one)
// and the quotas, and refuses with an *Error whose Kind says what went
// wrong, which the HTTP layer (package server) maps to a status code.
//
// It knows nothing of HTTP: its dependencies (the job store, the engine,
// the object store, the quotas, the clock) are interfaces passed to New.
package transcoding

import (
	"context"
	"log/slog"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/quotas"
	"transcoder/app/s3"
)

// Storage is the part of the object store the use cases need; *s3.Storage
// is the production one, against AWS or the local S3 server alike.
type Storage interface {
	PresignUpload(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (*s3.Presigned, error)
	PresignDownload(ctx context.Context, uri string, ttl time.Duration, filename string) (string, error)
	Head(ctx context.Context, uri string) (*s3.Object, error)
	InputURI(key string) string
	OutputURI(key string) string
}

// Quotas bounds each owner's uploads and jobs; *quotas.Keeper is the
// production one, and a nil *quotas.Keeper bounds nothing.
type Quotas interface {
	// CheckUpload refuses a file of size bytes that is empty or too large.
	CheckUpload(size int64) error
	// CheckDuration refuses an input that runs too long.
	CheckDuration(d time.Duration) error
	// Admit takes a new job's places in the owner's counts.
	Admit(ctx context.Context, owner, upload, jobID string, operator bool) (*quotas.Admission, error)
	// Ended gives back an ended job's running place.
	Ended(ctx context.Context, j *jobs.Job) error
}

// Watchers is told of every change this process makes to a job, so that
// whoever follows the job (an event stream) sees the change at once.
type Watchers interface {
	Changed(jobID string)
}

// LinkTTL is how long presigned upload and download URLs stay valid.
const LinkTTL = time.Hour

// Deps is everything the use cases need, passed explicitly.
type Deps struct {
	Logger *slog.Logger
	Store  jobs.Store
	// Transcoder starts jobs on Engine; a jobs.Canceler also cancels them.
	Transcoder jobs.Transcoder
	Engine     jobs.Engine
	// Storage presigns uploads and checks inputs; may be nil where nothing
	// is submitted.
	Storage Storage
	// Quotas bounds each owner's uploads and jobs; nil bounds nothing.
	Quotas Quotas
	// CheckCallback vets a job's callbackUrl; nil turns callbacks off.
	CheckCallback func(raw string) error
	// Watchers is told of every change; may be nil.
	Watchers Watchers
	// Webhooks is told when a change owes webhook calls, so they go out at
	// once rather than at its next poll; may be nil.
	Webhooks interface{ Kick() }
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Service runs the use cases against its dependencies.
type Service struct {
	deps Deps
}

// New returns the use cases over deps, filling in what may be left out.
func New(deps Deps) *Service {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Quotas == nil {
		deps.Quotas = (*quotas.Keeper)(nil)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Service{deps: deps}
}

// Caller is who asks for a use case.
type Caller struct {
	// Owner owns what the caller creates and is all the caller sees.
	Owner string
	// Operator sees and acts on every owner's jobs (the API_TOKEN holder).
	Operator bool
}

// Sees reports whether the caller may see and act on j: another owner's
// job is, to the caller, not there.
func (who Caller) Sees(j *jobs.Job) bool {
	return who.Operator || who.Owner != "" && j.Owner == who.Owner
}

// Folder is the caller's folder under uploads/. The operator's starts with
// an underscore, which no owner's name may.
func (who Caller) Folder() string {
	if who.Owner == "" {
		return "_operator"
	}
	return who.Owner
}

// changed tells the job's watchers and, when the change owes webhook calls,
// the dispatcher.
func (s *Service) changed(j *jobs.Job) {
	s.watched(j.ID)
	if _, owed := j.NextWebhookCall(); owed && s.deps.Webhooks != nil {
		s.deps.Webhooks.Kick()
	}
}

// watched tells the job's watchers alone.
func (s *Service) watched(jobID string) {
	if s.deps.Watchers != nil {
		s.deps.Watchers.Changed(jobID)
	}
}

// giveBack returns an ended job's running place, logging a failure: the
// quota's sweep frees the place later.
func (s *Service) giveBack(ctx context.Context, j *jobs.Job) {
	if err := s.deps.Quotas.Ended(ctx, j); err != nil {
		s.deps.Logger.Warn("giving back a running place (the quota's sweep frees it later)", "job_id", j.ID, "err", err)
	}
}
