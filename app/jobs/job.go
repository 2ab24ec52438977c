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

// Job is a transcode job as transcoder knows it. It has no wire form of its
// own: the stores keep it as a jobdoc.Job and the API shows it as a
// server.JobView, so that each can change without the other.
type Job struct {
	ID string
	// Owner is who the job belongs to; nobody else sees it. Empty for jobs
	// known only from engine events (the operator's).
	Owner string
	// Name is the user's label for the job.
	Name string
	// Presets are the outputs asked for, by preset name.
	Presets     []string
	Engine      Engine
	EngineJobID string
	State       State
	Progress    int
	Input       *Input
	Outputs     []Output
	Error       *Failure
	Warnings    []Warning
	Queue       string
	Metadata    map[string]string
	Transitions []Transition
	// CallbackURL receives a signed webhook call for every transition.
	CallbackURL string
	// Notices are the owner's inbox messages about this job.
	Notices []Notice
	// Webhooks are the calls owed to CallbackURL, one per transition, with
	// their attempts.
	Webhooks  []WebhookCall
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version counts the changes applied to the job; stores use it for
	// optimistic concurrency and watchers to notice a change.
	Version int64
}

// Input describes a job's source file, as far as the engine reported it.
type Input struct {
	URI        string
	DurationMS int64
	// Details is what the engine said about the streams (codec, channels,
	// sample rate, frame size...), kept as the engine reported it.
	Details map[string]any
}

// Output is one file a job produced.
type Output struct {
	URI        string
	Preset     string
	DurationMS int64
	// Status is the engine's per-output status where it reports one.
	Status string
}

// Failure is why a job ended in ERROR. A stored job keeps the engine's own
// Code and Message; what people read is made from them when the job is
// shown (see package failures), so that the owner sees a plain sentence and
// an improved wording applies to jobs failed before it.
type Failure struct {
	Code    string
	Message string
	// Detail is the engine's own account of the failure where Message is
	// the plain sentence for the owner: set in the operator's view of a
	// job, never in the owner's, since it names buckets, keys and the
	// engine's internals.
	Detail string
}

// Warning is something the engine flagged without failing the job.
type Warning struct {
	Code    string
	Message string
	Count   int
}

// Transition records the moment a job entered a state. A job's transitions
// list every state it has been in, once each, in the order it reached them.
type Transition struct {
	State State
	At    time.Time
}
