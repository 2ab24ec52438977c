// Package awsengine holds what the two AWS transcoding engines, packages
// mediaconvert and elastictranscoder, share: the errors for a configuration
// or a request they refuse, and the steps of starting and cancelling a job
// (validate the request, build the service's CreateJob input, send it,
// check the answer). Each engine brings only what is its service's own: its
// client, its configuration and how a request becomes a CreateJob input.
//
// The errors are generic in the Service they speak for, so that each engine
// names them as its own types (mediaconvert.RequestError,
// elastictranscoder.RequestError) and their messages start with the engine's
// package, as every error of that package does.
package awsengine

import (
	"cmp"
	"context"
	"fmt"

	"transcoder/app/jobs"
)

// Service names the AWS service an engine submits jobs to, for the messages
// of its errors: Names returns the engine's Go package, the prefix of its
// messages ("mediaconvert"), and the service as AWS writes it
// ("MediaConvert"). An engine implements it on an empty type of its own.
type Service interface {
	Names() (pkg, name string)
}

// ConfigError reports an engine configuration field that cannot work, so
// that a misconfigured service stops at start-up and not at its first job.
type ConfigError[S Service] struct {
	// Field is the EngineConfig field at fault, e.g. "RoleARN".
	Field string
	// Value is what the field held.
	Value string
	// Want says what the field should look like.
	Want string
}

// Error names the engine, the field, its value and what it should be.
func (e *ConfigError[S]) Error() string {
	pkg, _ := names[S]()
	return fmt.Sprintf("%s: EngineConfig.%s %q is not usable: want %s", pkg, e.Field, e.Value, e.Want)
}

// RequestError reports a StartRequest that Start refuses before calling AWS:
// one the service would reject, or whose job its events or notifications
// could not find. Retrying the same request cannot help.
type RequestError[S Service] struct {
	// JobID is the request's job, as far as it names one.
	JobID string
	// Reason says which rule the request breaks.
	Reason string
	// Err is the broken rule's error: a *jobs.StartRequestError for the
	// rules every engine holds a request to, or the engine's own (an
	// *s3.URIError for a key S3 would refuse, for Elastic Transcoder).
	Err error
}

// Error names the engine, the job and why it cannot start.
func (e *RequestError[S]) Error() string {
	pkg, _ := names[S]()
	return fmt.Sprintf("%s: cannot start job %q: %s", pkg, e.JobID, e.Reason)
}

// Unwrap returns the broken rule's error.
func (e *RequestError[S]) Unwrap() error { return e.Err }

// Start starts req as one job of service S and returns the service's id for
// it. It validates req (jobs.StartRequest.Validate), has build turn it into
// the service's CreateJob input, and sends that with create, which returns
// the id the service answered ("" if none). A request that breaks a rule,
// Validate's or build's, is refused with a *RequestError[S] before anything
// is sent; a failed CreateJob is returned naming the job.
func Start[S Service, In any](ctx context.Context, req jobs.StartRequest,
	build func(jobs.StartRequest) (In, error),
	create func(context.Context, In) (string, error)) (string, error) {
	if err := req.Validate(); err != nil {
		return "", refuse[S](req, err)
	}
	in, err := build(req)
	if err != nil {
		return "", refuse[S](req, err)
	}
	pkg, name := names[S]()
	jobID := req.Metadata[jobs.MetadataJobID]
	id, err := create(ctx, in)
	if err != nil {
		return "", fmt.Errorf("%s: creating the %s job for job %q: %w", pkg, name, jobID, err)
	}
	if id == "" {
		return "", fmt.Errorf("%s: creating the %s job for job %q: CreateJob answered without a job id", pkg, name, jobID)
	}
	return id, nil
}

// refuse returns the RequestError for req, which breaks the rule err states.
func refuse[S Service](req jobs.StartRequest, err error) *RequestError[S] {
	return &RequestError[S]{JobID: cmp.Or(req.Metadata[jobs.MetadataJobID], req.JobID), Reason: err.Error(), Err: err}
}

// Cancel asks service S, through cancel, to cancel the job it knows as
// engineJobID. A job the service has not given an id yet cannot be named to
// it: that is an error, and nothing is sent.
func Cancel[S Service](ctx context.Context, engineJobID string, cancel func(ctx context.Context, engineJobID string) error) error {
	pkg, name := names[S]()
	if engineJobID == "" {
		return fmt.Errorf("%s: cancel: the job has no %s id yet", pkg, name)
	}
	if err := cancel(ctx, engineJobID); err != nil {
		return fmt.Errorf("%s: cancel job %s: %w", pkg, engineJobID, err)
	}
	return nil
}

// names returns S's package and service names.
func names[S Service]() (pkg, name string) {
	var s S
	return s.Names()
}
