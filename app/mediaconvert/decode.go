package mediaconvert

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"transcoder/app/jobs"
)

// Decode reads one MediaConvert job state change, the Message of an SNS
// notification, into an update. at dates the update only when the event
// carries no time of its own; pass the SNS Timestamp.
//
// It returns ErrNotJobEvent for anything that is not a job state change, and
// an *InvalidEventError for one that is but cannot be read.
func Decode(message []byte, at time.Time) (*jobs.Update, error) {
	var e Event
	// Unmarshal checks the whole message is JSON before it sets anything, and
	// a value of the wrong type does not stop it: what it could read tells
	// whether the message claims to be a job event.
	err := json.Unmarshal(message, &e)
	if !e.IsJobStateChange() {
		return nil, ErrNotJobEvent
	}
	if err != nil {
		return nil, invalid(err.Error())
	}
	return e.Update(at)
}

// IsJobStateChange reports whether e claims to be a MediaConvert job state
// change, by the same two fields an EventBridge rule matches on.
func (e *Event) IsJobStateChange() bool {
	return e.Source == Source && e.DetailType == DetailType
}

// Update turns e into the domain's update. It changes nothing in e, so that a
// caller that unmarshalled e itself (to tell engines apart with one pass over
// the message) gets the same result as Decode.
//
// Every status moves a job at most as far as it says: COMPLETE, ERROR and
// CANCELED end it; SUBMITTED and QUEUE_HOP report a job still waiting in a
// queue (see states); the rest (INPUT_INFORMATION, PROGRESSING,
// STATUS_UPDATE, NEW_WARNING) mean the job is working, so they report
// PROGRESSING and add what they know. A state never regresses
// (jobs.Job.Apply), so a late QUEUE_HOP leaves a working job working.
//
// Outputs are read from COMPLETE only: an ERROR event's partial outputs are
// not the job's results. The queue is read from QUEUE_HOP only, because a
// job keeps the first queue it is told of (jobs.Job.Apply), and every event
// before a hop names the queue the job left.
func (e *Event) Update(at time.Time) (*jobs.Update, error) {
	if !e.IsJobStateChange() {
		return nil, ErrNotJobEvent
	}
	d := &e.Detail
	if d.JobID == "" {
		return nil, invalid("detail.jobId is missing")
	}
	state, ok := states[d.Status]
	if !ok {
		if d.Status == "" {
			return nil, invalid("detail.status is missing")
		}
		return nil, invalid(fmt.Sprintf("detail.status %q is not a MediaConvert job status", d.Status))
	}
	u := &jobs.Update{
		JobID:       d.JobID,
		EngineJobID: d.JobID,
		Engine:      jobs.MediaConvert,
		State:       state,
		Progress:    d.JobProgress.JobPercentComplete,
	}
	if id := d.UserMetadata[jobs.MetadataJobID]; id != "" {
		u.JobID = id
	}
	if len(d.UserMetadata) > 0 {
		u.Metadata = d.UserMetadata
	}
	var err error
	if u.At, err = e.at(at); err != nil {
		return nil, err
	}
	if u.Input, err = input(d.InputDetails); err != nil {
		return nil, err
	}
	u.Warnings = warnings(d)

	switch d.Status {
	case "COMPLETE":
		u.Progress = 100
		u.Outputs = outputs(d.OutputGroupDetails)
	case "ERROR":
		if d.ErrorCode != "" || d.ErrorMessage != "" {
			u.Error = &jobs.Failure{Code: d.ErrorCode.String(), Message: d.ErrorMessage}
		}
	case "QUEUE_HOP":
		u.Queue = d.Queue
	}

	if u.Progress < 0 || u.Progress > 100 {
		return nil, invalid(fmt.Sprintf("detail.jobProgress.jobPercentComplete %d is outside 0-100", u.Progress))
	}
	if err := u.Validate(); err != nil {
		return nil, invalid(err.Error())
	}
	return u, nil
}

// states maps each job status MediaConvert reports to the state it moves a
// job to. MediaConvert documents that it does not emit SUBMITTED, but it is a
// job status, and a job that sees one is submitted.
//
// QUEUE_HOP is SUBMITTED: a job hops only while it waits. "A job stays in a
// SUBMITTED state, waiting to be processed, until the queue that you submit
// it to has available resources", and queue hopping moves it to another
// queue after it has waited there a set time (MediaConvert User Guide,
// "Moving a job to a different queue",
// https://docs.aws.amazon.com/mediaconvert/latest/ug/setting-up-queue-hopping-to-avoid-long-waits.html);
// the event says only that the job hopped, naming both queues ("Events with
// QUEUE_HOP status",
// https://docs.aws.amazon.com/mediaconvert/latest/ug/ev_status_queue_hop.html).
var states = map[string]jobs.State{
	"SUBMITTED":         jobs.Submitted,
	"QUEUE_HOP":         jobs.Submitted,
	"INPUT_INFORMATION": jobs.Progressing,
	"PROGRESSING":       jobs.Progressing,
	"STATUS_UPDATE":     jobs.Progressing,
	"NEW_WARNING":       jobs.Progressing,
	"COMPLETE":          jobs.Complete,
	"ERROR":             jobs.Failed,
	"CANCELED":          jobs.Canceled,
}

// at is when the event happened: MediaConvert's own millisecond timestamp,
// else EventBridge's time, else the fallback (the SNS Timestamp).
func (e *Event) at(fallback time.Time) (time.Time, error) {
	switch ts := e.Detail.Timestamp; {
	case ts > 0:
		return time.UnixMilli(ts).UTC(), nil
	case ts < 0:
		return time.Time{}, invalid(fmt.Sprintf("detail.timestamp %d is before 1970", ts))
	case e.Time != "":
		t, err := time.Parse(time.RFC3339, e.Time)
		if err != nil {
			return time.Time{}, invalid(fmt.Sprintf("time %q is not an RFC 3339 time", e.Time))
		}
		return t.UTC(), nil
	}
	return fallback, nil
}

// input describes the job's input from an INPUT_INFORMATION event. A job can
// have several inputs (clips stitched together) but the domain knows one: the
// first, which is the job's source; Details keeps what MediaConvert said of
// it, streams included, as it said it.
func input(details []map[string]any) (*jobs.Input, error) {
	if len(details) == 0 {
		return nil, nil
	}
	first := details[0]
	in := &jobs.Input{}
	if len(first) > 0 {
		in.Details = first
	}
	if v, ok := first["uri"]; ok {
		uri, ok := v.(string)
		if !ok {
			return nil, invalid("detail.inputDetails[0].uri is not a string")
		}
		in.URI = uri
	}
	if v, ok := first["durationInMs"]; ok {
		ms, ok := v.(float64)
		if !ok || ms < 0 || ms != math.Trunc(ms) || ms > 1<<53 {
			return nil, invalid("detail.inputDetails[0].durationInMs is not a whole number of milliseconds")
		}
		in.DurationMS = int64(ms)
	}
	return in, nil
}

// outputs lists every file a COMPLETE event names: each group's manifests,
// then each output's files with the output's duration. A file named twice is
// one file, listed once with what was said of it first.
func outputs(groups []OutputGroupDetail) []jobs.Output {
	n := 0
	for _, g := range groups {
		n += len(g.PlaylistFilePaths)
		for _, o := range g.OutputDetails {
			n += len(o.OutputFilePaths)
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]jobs.Output, 0, n)
	add := func(o jobs.Output) {
		if o.URI == "" || slices.ContainsFunc(out, func(had jobs.Output) bool { return had.URI == o.URI }) {
			return
		}
		out = append(out, o)
	}
	for _, g := range groups {
		for _, p := range g.PlaylistFilePaths {
			add(jobs.Output{URI: p})
		}
		for _, o := range g.OutputDetails {
			for _, p := range o.OutputFilePaths {
				add(jobs.Output{URI: p, DurationMS: max(o.DurationInMs, 0)})
			}
		}
	}
	return out
}

// warnings collects a NEW_WARNING's warning and a summary's counts.
func warnings(d *Detail) []jobs.Warning {
	n := len(d.Warnings)
	if d.WarningCode != "" || d.WarningMessage != "" {
		n++
	}
	if n == 0 {
		return nil
	}
	ws := make([]jobs.Warning, 0, n)
	if d.WarningCode != "" || d.WarningMessage != "" {
		ws = append(ws, jobs.Warning{Code: d.WarningCode.String(), Message: d.WarningMessage})
	}
	for _, w := range d.Warnings {
		ws = append(ws, jobs.Warning{Code: w.Code.String(), Count: max(w.Count, 0)})
	}
	return ws
}
