package server

import (
	"cmp"
	"context"
	"path"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/presets"
	"transcoder/app/transcoding"
)

// JobView is a job as the API answers it (GET /jobs/:id, the event stream,
// webhook payloads): what a client needs and nothing of how the service
// keeps the job. It is a type of its own, so that the stored document
// (package jobdoc) and the API change apart: the store's version, the
// engine's metadata and the dispatchers' leases are never shown. Outputs
// carry their preset and, once the job is COMPLETE, a download URL; a
// failure reads in plain words (see failureView). The field names are the
// ones clients (the page, API clients) read: never rename one.
type JobView struct {
	ID string `json:"id"`
	// Owner is who the job belongs to; empty for the operator's.
	Owner   string      `json:"owner,omitempty"`
	Name    string      `json:"name,omitempty"`
	Presets []string    `json:"presets,omitempty"`
	Engine  jobs.Engine `json:"engine,omitempty"`
	// EngineJobID and Queue are the engine's own names for the job and
	// where it ran: shown to the operator alone, since they name the
	// engine's account and internals.
	EngineJobID string           `json:"engineJobId,omitempty"`
	State       jobs.State       `json:"state"`
	Progress    int              `json:"progress"`
	Input       *InputView       `json:"input,omitempty"`
	Outputs     []OutputView     `json:"outputs"`
	Error       *FailureView     `json:"error,omitempty"`
	Warnings    []WarningView    `json:"warnings,omitempty"`
	Queue       string           `json:"queue,omitempty"`
	Transitions []TransitionView `json:"transitions"`
	CallbackURL string           `json:"callbackUrl,omitempty"`
	Notices     []NoticeView     `json:"notices,omitempty"`
	// Webhooks are the calls owed to CallbackURL and how they went.
	Webhooks  []WebhookView `json:"webhooks,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

// InputView is the job's source file, as far as the engine reported it.
type InputView struct {
	URI        string `json:"uri,omitempty"`
	DurationMS int64  `json:"durationMs,omitempty"`
	// Details is what the engine said about the streams (codec, channels,
	// sample rate, frame size...).
	Details map[string]any `json:"details,omitempty"`
}

// OutputView is one file the job produced.
type OutputView struct {
	URI string `json:"uri"`
	// Preset is the preset that made the file, by its name here (never an
	// engine's own preset id).
	Preset     string `json:"preset,omitempty"`
	DurationMS int64  `json:"durationMs,omitempty"`
	Status     string `json:"status,omitempty"`
	// URL downloads the file, once the job is COMPLETE.
	URL string `json:"url,omitempty"`
}

// FailureView is why the job failed, as its viewer may read it (see
// failureView).
type FailureView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Detail is the engine's own words: the operator's alone.
	Detail string `json:"detail,omitempty"`
}

// WarningView is something the engine flagged without failing the job.
type WarningView struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// TransitionView is the moment the job entered a state.
type TransitionView struct {
	State jobs.State `json:"state"`
	At    time.Time  `json:"at"`
}

// NoticeView is a message in the owner's inbox (GET /inbox, and the job's
// own notices).
type NoticeView struct {
	ID        string     `json:"id"`
	JobID     string     `json:"jobId"`
	State     jobs.State `json:"state"`
	Text      string     `json:"text"`
	At        time.Time  `json:"at"`
	Read      bool       `json:"read"`
	Dismissed bool       `json:"dismissed"`
}

// WebhookView is one webhook call owed for a transition, and how its last
// attempt went.
type WebhookView struct {
	ID            string     `json:"id"`
	State         jobs.State `json:"state"`
	At            time.Time  `json:"at"`
	Attempts      int        `json:"attempts"`
	LastAttemptAt time.Time  `json:"lastAttemptAt,omitzero"`
	LastStatus    int        `json:"lastStatus,omitempty"`
	LastError     string     `json:"lastError,omitempty"`
	NextAttemptAt time.Time  `json:"nextAttemptAt,omitzero"`
	DeliveredAt   time.Time  `json:"deliveredAt,omitzero"`
	GaveUp        bool       `json:"gaveUp,omitempty"`
}

// view is the job as who may see it.
func (s *Server) view(ctx context.Context, j *jobs.Job, who identity) JobView {
	v := JobView{
		ID: j.ID, Owner: j.Owner, Name: j.Name, Presets: j.Presets, Engine: j.Engine,
		State: j.State, Progress: j.Progress, Input: inputView(j.Input), Outputs: make([]OutputView, len(j.Outputs)),
		Error: failureView(j, who.Operator), Warnings: mapped(j.Warnings, warningView), Transitions: mapped(j.Transitions, transitionView),
		CallbackURL: j.CallbackURL, Notices: noticeViews(j.Notices), Webhooks: mapped(j.Webhooks, webhookView),
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
	}
	if who.Operator {
		v.EngineJobID, v.Queue = j.EngineJobID, j.Queue
	}
	for i, o := range j.Outputs {
		v.Outputs[i] = s.outputView(ctx, j, o)
	}
	return v
}

// outputView is one output of j, with the download URL once j is COMPLETE.
func (s *Server) outputView(ctx context.Context, j *jobs.Job, o jobs.Output) OutputView {
	ov := OutputView{URI: o.URI, Preset: o.Preset, DurationMS: o.DurationMS, Status: o.Status}
	if _, known := presets.Lookup(ov.Preset); !known {
		// Elastic Transcoder names its own preset ids; the file's
		// extension tells ours.
		ov.Preset = ""
		if p, ok := presets.ByExtension(path.Ext(o.URI)); ok {
			ov.Preset = p.Name
		}
	}
	if j.State == jobs.Complete && s.deps.Storage != nil {
		if url, err := s.deps.Storage.PresignDownload(ctx, o.URI, transcoding.LinkTTL, path.Base(o.URI)); err == nil {
			ov.URL = url
		}
	}
	return ov
}

// failureView is why the job failed as its viewer may read it: the code and
// the plain sentence (jobs.Job.Explain) for everyone, and the engine's own
// words, which name buckets, keys and the engine's internals, for the
// operator alone, as Detail. It is made at view time from what the engine
// reported, which the store keeps as it was, so every view, notice and
// webhook call words a failure the same way. A job in ERROR without a
// recorded failure still says something.
func failureView(j *jobs.Job, operator bool) *FailureView {
	if j.Error == nil && j.State != jobs.Failed {
		return nil
	}
	f := &FailureView{Message: j.Explain().Message}
	if j.Error != nil {
		f.Code = j.Error.Code
		if operator {
			f.Detail = cmp.Or(j.Error.Detail, j.Error.Message)
		}
	}
	return f
}

func inputView(in *jobs.Input) *InputView {
	if in == nil {
		return nil
	}
	return &InputView{URI: in.URI, DurationMS: in.DurationMS, Details: in.Details}
}

func warningView(w jobs.Warning) WarningView {
	return WarningView{Code: w.Code, Message: w.Message, Count: w.Count}
}

func transitionView(t jobs.Transition) TransitionView {
	return TransitionView{State: t.State, At: t.At}
}

func noticeView(n jobs.Notice) NoticeView {
	return NoticeView{ID: n.ID, JobID: n.JobID, State: n.State, Text: n.Text, At: n.At, Read: n.Read, Dismissed: n.Dismissed}
}

// noticeViews keeps an empty list empty and a missing one missing, as
// mapped does.
func noticeViews(ns []jobs.Notice) []NoticeView { return mapped(ns, noticeView) }

func webhookView(d jobs.WebhookCall) WebhookView {
	return WebhookView{ID: d.ID, State: d.State, At: d.At, Attempts: d.Attempts, LastAttemptAt: d.LastAttempt,
		LastStatus: d.LastStatus, LastError: d.LastError, NextAttemptAt: d.NextAttempt, DeliveredAt: d.DeliveredAt, GaveUp: d.GaveUp}
}

// mapped applies f to each of in; a nil list stays nil (null, or left out,
// in JSON) and an empty one empty.
func mapped[T, V any](in []T, f func(T) V) []V {
	if in == nil {
		return nil
	}
	out := make([]V, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}
