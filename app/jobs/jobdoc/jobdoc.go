// Package jobdoc is the stored form of a job: the JSON document that the
// SQLite store keeps in its doc column and the DynamoDB store in its doc
// attribute, one format for both.
//
// The document has types of its own, mapped to and from jobs.Job field by
// field, so that the API's view of a job and the stored document change
// apart: renaming a field of the API never renames, and so never drops, a
// field on disk. The field names are those of the JSON form of jobs.Job that
// both stores wrote before this package, and such a document reads back
// whole (testdata/before-*.json). A new field is added with a name of its
// own; a stored name is never changed.
package jobdoc

import (
	"encoding/json"
	"fmt"
	"time"

	"transcoder/app/jobs"
)

// Job is a job as the stores keep it.
type Job struct {
	ID          string            `json:"id"`
	Owner       string            `json:"owner,omitempty"`
	Name        string            `json:"name,omitempty"`
	Presets     []string          `json:"presets,omitempty"`
	Engine      string            `json:"engine,omitempty"`
	EngineJobID string            `json:"engineJobId,omitempty"`
	State       string            `json:"state"`
	Progress    int               `json:"progress"`
	Input       *Input            `json:"input,omitempty"`
	Outputs     []Output          `json:"outputs"`
	Error       *Failure          `json:"error,omitempty"`
	Warnings    []Warning         `json:"warnings,omitempty"`
	Queue       string            `json:"queue,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Transitions []Transition      `json:"transitions"`
	CallbackURL string            `json:"callbackUrl,omitempty"`
	Notices     []Notice          `json:"notices,omitempty"`
	Webhooks    []WebhookCall     `json:"webhooks,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Version     int64             `json:"version"`
}

// Input is a stored jobs.Input.
type Input struct {
	URI        string         `json:"uri,omitempty"`
	DurationMS int64          `json:"durationMs,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// Output is a stored jobs.Output.
type Output struct {
	URI        string `json:"uri"`
	Preset     string `json:"preset,omitempty"`
	DurationMS int64  `json:"durationMs,omitempty"`
	Status     string `json:"status,omitempty"`
}

// Failure is a stored jobs.Failure.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail,omitempty"`
}

// Warning is a stored jobs.Warning.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// Transition is a stored jobs.Transition.
type Transition struct {
	State string    `json:"state"`
	At    time.Time `json:"at"`
}

// Notice is a stored jobs.Notice.
type Notice struct {
	ID        string    `json:"id"`
	JobID     string    `json:"jobId"`
	State     string    `json:"state"`
	Text      string    `json:"text"`
	At        time.Time `json:"at"`
	Read      bool      `json:"read"`
	Dismissed bool      `json:"dismissed"`
}

// WebhookCall is a stored jobs.WebhookCall, a webhook call owed.
type WebhookCall struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	At          time.Time `json:"at"`
	Attempts    int       `json:"attempts"`
	LastAttempt time.Time `json:"lastAttemptAt,omitzero"`
	LastStatus  int       `json:"lastStatus,omitempty"`
	LastError   string    `json:"lastError,omitempty"`
	NextAttempt time.Time `json:"nextAttemptAt,omitzero"`
	LeaseUntil  time.Time `json:"leaseUntil,omitzero"`
	DeliveredAt time.Time `json:"deliveredAt,omitzero"`
	GaveUp      bool      `json:"gaveUp,omitempty"`
}

// Encode returns the stored document of j, as the stores write it.
func Encode(j *jobs.Job) ([]byte, error) {
	doc, err := json.Marshal(From(j))
	if err != nil {
		return nil, fmt.Errorf("jobdoc: %w", err)
	}
	return doc, nil
}

// Decode reads a stored document back into the job it was made from.
func Decode(doc []byte) (*jobs.Job, error) {
	var d Job
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("jobdoc: %w", err)
	}
	return d.Job(), nil
}

// From returns the document of j. It shares j's maps (Metadata,
// Input.Details), which is all Encode needs of it.
func From(j *jobs.Job) *Job {
	d := &Job{
		ID:          j.ID,
		Owner:       j.Owner,
		Name:        j.Name,
		Presets:     j.Presets,
		Engine:      string(j.Engine),
		EngineJobID: j.EngineJobID,
		State:       string(j.State),
		Progress:    j.Progress,
		Outputs:     convert(j.Outputs, outputDoc),
		Warnings:    convert(j.Warnings, warningDoc),
		Queue:       j.Queue,
		Metadata:    j.Metadata,
		Transitions: convert(j.Transitions, transitionDoc),
		CallbackURL: j.CallbackURL,
		Notices:     convert(j.Notices, noticeDoc),
		Webhooks:    convert(j.Webhooks, webhookCallDoc),
		CreatedAt:   j.CreatedAt,
		UpdatedAt:   j.UpdatedAt,
		Version:     j.Version,
	}
	if in := j.Input; in != nil {
		d.Input = &Input{URI: in.URI, DurationMS: in.DurationMS, Details: in.Details}
	}
	if e := j.Error; e != nil {
		d.Error = &Failure{Code: e.Code, Message: e.Message, Detail: e.Detail}
	}
	return d
}

// Job returns the job d holds. It shares d's maps and Presets, which is all
// Decode needs of it.
func (d *Job) Job() *jobs.Job {
	j := &jobs.Job{
		ID:          d.ID,
		Owner:       d.Owner,
		Name:        d.Name,
		Presets:     d.Presets,
		Engine:      jobs.Engine(d.Engine),
		EngineJobID: d.EngineJobID,
		State:       jobs.State(d.State),
		Progress:    d.Progress,
		Outputs:     convert(d.Outputs, (*Output).output),
		Warnings:    convert(d.Warnings, (*Warning).warning),
		Queue:       d.Queue,
		Metadata:    d.Metadata,
		Transitions: convert(d.Transitions, (*Transition).transition),
		CallbackURL: d.CallbackURL,
		Notices:     convert(d.Notices, (*Notice).notice),
		Webhooks:    convert(d.Webhooks, (*WebhookCall).webhookCall),
		CreatedAt:   d.CreatedAt,
		UpdatedAt:   d.UpdatedAt,
		Version:     d.Version,
	}
	if in := d.Input; in != nil {
		j.Input = &jobs.Input{URI: in.URI, DurationMS: in.DurationMS, Details: in.Details}
	}
	if e := d.Error; e != nil {
		j.Error = &jobs.Failure{Code: e.Code, Message: e.Message, Detail: e.Detail}
	}
	return j
}

// convert maps every element of in with f, keeping nil nil and empty empty:
// "outputs":[] and "outputs":null read back as they were written.
func convert[T, U any](in []T, f func(*T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i := range in {
		out[i] = f(&in[i])
	}
	return out
}

func outputDoc(o *jobs.Output) Output {
	return Output{URI: o.URI, Preset: o.Preset, DurationMS: o.DurationMS, Status: o.Status}
}

func (o *Output) output() jobs.Output {
	return jobs.Output{URI: o.URI, Preset: o.Preset, DurationMS: o.DurationMS, Status: o.Status}
}

func warningDoc(w *jobs.Warning) Warning {
	return Warning{Code: w.Code, Message: w.Message, Count: w.Count}
}

func (w *Warning) warning() jobs.Warning {
	return jobs.Warning{Code: w.Code, Message: w.Message, Count: w.Count}
}

func transitionDoc(t *jobs.Transition) Transition {
	return Transition{State: string(t.State), At: t.At}
}

func (t *Transition) transition() jobs.Transition {
	return jobs.Transition{State: jobs.State(t.State), At: t.At}
}

func noticeDoc(n *jobs.Notice) Notice {
	return Notice{ID: n.ID, JobID: n.JobID, State: string(n.State), Text: n.Text, At: n.At, Read: n.Read, Dismissed: n.Dismissed}
}

func (n *Notice) notice() jobs.Notice {
	return jobs.Notice{ID: n.ID, JobID: n.JobID, State: jobs.State(n.State), Text: n.Text, At: n.At, Read: n.Read, Dismissed: n.Dismissed}
}

func webhookCallDoc(d *jobs.WebhookCall) WebhookCall {
	return WebhookCall{
		ID: d.ID, State: string(d.State), At: d.At, Attempts: d.Attempts,
		LastAttempt: d.LastAttempt, LastStatus: d.LastStatus, LastError: d.LastError,
		NextAttempt: d.NextAttempt, LeaseUntil: d.LeaseUntil, DeliveredAt: d.DeliveredAt, GaveUp: d.GaveUp,
	}
}

func (d *WebhookCall) webhookCall() jobs.WebhookCall {
	return jobs.WebhookCall{
		ID: d.ID, State: jobs.State(d.State), At: d.At, Attempts: d.Attempts,
		LastAttempt: d.LastAttempt, LastStatus: d.LastStatus, LastError: d.LastError,
		NextAttempt: d.NextAttempt, LeaseUntil: d.LeaseUntil, DeliveredAt: d.DeliveredAt, GaveUp: d.GaveUp,
	}
}
