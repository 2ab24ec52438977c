package jobs

import (
	"strings"
	"time"

	"transcoder/app/failures"
)

// Notice is a message in the job owner's inbox about a transition that
// matters to a person: the job finished, failed or was canceled. It is made
// in the same change that records the transition, so it can be neither lost
// nor doubled however often the event is delivered.
type Notice struct {
	// ID is the job id and the state: one notice per transition.
	ID        string
	JobID     string
	State     State
	Text      string
	At        time.Time
	Read      bool
	Dismissed bool
}

// WebhookCall is one webhook call owed for one transition of a job with a
// callback URL: the job's own outbox, kept in the job so that recording the
// transition and owing its call are one write.
type WebhookCall struct {
	// ID is the job id and the state: one delivery per transition.
	ID    string
	State State
	At    time.Time
	// Attempts counts the calls made; the fields after it describe the last.
	Attempts    int
	LastAttempt time.Time
	LastStatus  int
	LastError   string
	// NextAttempt is when the call is due; zero once it is settled.
	NextAttempt time.Time
	// LeaseUntil keeps other dispatchers off a call in progress.
	LeaseUntil  time.Time
	DeliveredAt time.Time
	// GaveUp is set when the retries ran out.
	GaveUp bool
}

// Pending reports whether the call is still owed.
func (d *WebhookCall) Pending() bool { return d.DeliveredAt.IsZero() && !d.GaveUp }

// transitionID names what belongs to one transition of one job.
func transitionID(jobID string, s State) string { return jobID + "-" + string(s) }

// noticeText says in plain words what happened to the user's file.
func (j *Job) noticeText(s State) string {
	what := j.subject()
	switch s {
	case Complete:
		return what + " has been transcoded."
	case Failed:
		return what + " could not be transcoded. " + j.Explain().Message
	default:
		return "The transcoding of " + lowerFirst(what) + " was canceled."
	}
}

// Explain says in plain words, for the job's owner, why it failed: the
// engine's code and message read by package failures. The notice, the job
// view and the webhook calls all word a failure with it, so they agree; a
// job without a recorded failure reads as failures.Unknown.
func (j *Job) Explain() failures.Explanation {
	if j.Error == nil {
		return failures.Explain(string(j.Engine), "", "")
	}
	return failures.Explain(string(j.Engine), j.Error.Code, j.Error.Message)
}

// subject names what a notice is about, never with an empty name: the
// uploaded file by its name, else the job by the name it was given, else
// by its id (a job known only from an engine's events).
func (j *Job) subject() string {
	if j.Input != nil {
		if base := j.Input.URI[strings.LastIndexByte(j.Input.URI, '/')+1:]; base != "" && strings.Contains(j.Input.URI, "/") {
			return "Your file " + base
		}
	}
	if j.Name != "" {
		return "Your job “" + j.Name + "”"
	}
	return "Your job " + j.ID
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// owe adds what recording transition t owes: a notice when it ends the job,
// and a webhook call when the job has a callback URL. It is idempotent.
func (j *Job) owe(t Transition) bool {
	changed := false
	id := transitionID(j.ID, t.State)
	if t.State.Terminal() && j.notice(id) == nil {
		j.Notices = append(j.Notices, Notice{ID: id, JobID: j.ID, State: t.State, Text: j.noticeText(t.State), At: t.At})
		changed = true
	}
	if j.CallbackURL != "" && j.webhookCall(id) == nil {
		j.Webhooks = append(j.Webhooks, WebhookCall{ID: id, State: t.State, At: t.At, NextAttempt: t.At})
		changed = true
	}
	return changed
}

func (j *Job) notice(id string) *Notice {
	for i := range j.Notices {
		if j.Notices[i].ID == id {
			return &j.Notices[i]
		}
	}
	return nil
}

func (j *Job) webhookCall(id string) *WebhookCall {
	for i := range j.Webhooks {
		if j.Webhooks[i].ID == id {
			return &j.Webhooks[i]
		}
	}
	return nil
}

// MarkNotice marks the notice read, or dismissed (which implies read). It
// reports whether the job has such a notice and whether anything changed.
func (j *Job) MarkNotice(id string, dismiss bool) (found, changed bool) {
	n := j.notice(id)
	if n == nil {
		return false, false
	}
	if !n.Read || dismiss && !n.Dismissed {
		n.Read = true
		n.Dismissed = n.Dismissed || dismiss
		j.Version++
		return true, true
	}
	return true, false
}

// NextWebhookCall returns when the job's next webhook call is due, if one is
// owed; stores index it so that dispatchers find due calls without a scan.
func (j *Job) NextWebhookCall() (time.Time, bool) {
	var next time.Time
	for i := range j.Webhooks {
		d := &j.Webhooks[i]
		if !d.Pending() {
			continue
		}
		due := d.NextAttempt
		if d.LeaseUntil.After(due) {
			due = d.LeaseUntil
		}
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next, !next.IsZero()
}

// ClaimWebhookCall takes the call with the given id for one dispatcher until
// lease ends, if it is due at now and nobody holds it. Stores make the claim
// a conditional write, so of several dispatchers exactly one wins.
func (j *Job) ClaimWebhookCall(id string, now, lease time.Time) bool {
	d := j.webhookCall(id)
	if d == nil || !d.Pending() || d.NextAttempt.After(now) || d.LeaseUntil.After(now) {
		return false
	}
	d.LeaseUntil = lease
	j.Version++
	return true
}

// RecordAttempt notes the outcome of a call: delivered, or failed with the
// next attempt due at retry (zero: give up).
func (j *Job) RecordAttempt(id string, at time.Time, status int, errText string, delivered bool, retry time.Time) {
	d := j.webhookCall(id)
	if d == nil {
		return
	}
	d.Attempts++
	d.LastAttempt, d.LastStatus, d.LastError = at, status, errText
	d.LeaseUntil = time.Time{}
	switch {
	case delivered:
		d.DeliveredAt, d.NextAttempt = at, time.Time{}
	case retry.IsZero():
		d.GaveUp, d.NextAttempt = true, time.Time{}
	default:
		d.NextAttempt = retry
	}
	j.Version++
}
