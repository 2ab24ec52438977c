// Package jobs is the domain of transcoder: a transcode job, its states and the
// rules by which events from a transcoding engine change it.
//
// It knows nothing of HTTP, SNS, SQLite or DynamoDB. Engines' events are decoded
// elsewhere into an Update; Job.Apply merges an Update into a job by rules that
// make delivery order and duplicates irrelevant: a terminal state never
// regresses, progress never goes down, and applying the same Update twice
// changes nothing. Stores persist the result (see Store).
package jobs

import (
	"errors"
	"time"

	"transcoder/app/settings"
)

// State is where a job is in its life.
type State string

// The states of a job. SUBMITTED and PROGRESSING are open; the rest are
// terminal and final.
const (
	Submitted   State = "SUBMITTED"
	Progressing State = "PROGRESSING"
	Complete    State = "COMPLETE"
	Failed      State = "ERROR"
	Canceled    State = "CANCELED"
)

// Terminal reports whether no event can move a job out of s.
func (s State) Terminal() bool { return s == Complete || s == Failed || s == Canceled }

// Valid reports whether s is one of the five states.
func (s State) Valid() bool {
	switch s {
	case Submitted, Progressing, Complete, Failed, Canceled:
		return true
	}
	return false
}

// rank orders states so that a job only ever moves forward. All terminal
// states share the top rank: the first one a job reaches is final.
func (s State) rank() int {
	switch s {
	case Submitted:
		return 1
	case Progressing:
		return 2
	case Complete, Failed, Canceled:
		return 3
	}
	return 0
}

// Engine names the service that runs a job: the settings package's, so
// that a job names its engine as ENGINE does.
type Engine = settings.Engine

// The engines a job can run on.
const (
	MediaConvert      = settings.MediaConvert
	ElasticTranscoder = settings.ElasticTranscoder
	Local             = settings.Local
)

// MetadataJobID is the user-metadata key under which transcoder passes its own
// job id to an engine, so that an engine's events find the job they belong to
// even when they arrive before the engine's CreateJob call has returned.
const MetadataJobID = "transcoderJobId"

// ErrNotFound is returned by a Store for a job it has never seen.
var ErrNotFound = errors.New("job not found")

// Job is a transcode job as transcoder knows it. Its JSON form is the job view
// of the API.
type Job struct {
	ID string `json:"id"`
	// Owner is who the job belongs to; nobody else sees it. Empty for jobs
	// known only from engine events (the operator's).
	Owner string `json:"owner,omitempty"`
	// Name is the user's label for the job.
	Name string `json:"name,omitempty"`
	// Presets are the outputs asked for, by preset name.
	Presets     []string          `json:"presets,omitempty"`
	Engine      Engine            `json:"engine,omitempty"`
	EngineJobID string            `json:"engineJobId,omitempty"`
	State       State             `json:"state"`
	Progress    int               `json:"progress"`
	Input       *Input            `json:"input,omitempty"`
	Outputs     []Output          `json:"outputs"`
	Error       *Failure          `json:"error,omitempty"`
	Warnings    []Warning         `json:"warnings,omitempty"`
	Queue       string            `json:"queue,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Transitions []Transition      `json:"transitions"`
	// CallbackURL receives a signed webhook call for every transition.
	CallbackURL string `json:"callbackUrl,omitempty"`
	// Notices are the owner's inbox messages about this job.
	Notices []Notice `json:"notices,omitempty"`
	// Webhooks are the calls owed to CallbackURL, one per transition, with
	// their attempts.
	Webhooks  []WebhookCall `json:"webhooks,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
	// Version counts the changes applied to the job; stores use it for
	// optimistic concurrency and watchers to notice a change.
	Version int64 `json:"version"`
}

// Input describes a job's source file, as far as the engine reported it.
type Input struct {
	URI        string `json:"uri,omitempty"`
	DurationMS int64  `json:"durationMs,omitempty"`
	// Details is what the engine said about the streams (codec, channels,
	// sample rate, frame size...), kept as the engine reported it.
	Details map[string]any `json:"details,omitempty"`
}

// Output is one file a job produced.
type Output struct {
	URI        string `json:"uri"`
	Preset     string `json:"preset,omitempty"`
	DurationMS int64  `json:"durationMs,omitempty"`
	// Status is the engine's per-output status where it reports one.
	Status string `json:"status,omitempty"`
}

// Failure is why a job ended in ERROR. A stored job keeps the engine's own
// Code and Message; what people read is made from them when the job is
// shown (see package failures), so that the owner sees a plain sentence and
// an improved wording applies to jobs failed before it.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Detail is the engine's own account of the failure where Message is
	// the plain sentence for the owner: set in the operator's view of a
	// job, never in the owner's, since it names buckets, keys and the
	// engine's internals.
	Detail string `json:"detail,omitempty"`
}

// Warning is something the engine flagged without failing the job.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// Transition records the moment a job entered a state. A job's transitions
// list every state it has been in, once each, in the order it reached them.
type Transition struct {
	State State     `json:"state"`
	At    time.Time `json:"at"`
}
