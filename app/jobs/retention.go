package jobs

import "time"

// EndedAt returns when j reached the terminal state it is in, if it is in
// one: the time of that state's transition, or UpdatedAt for a job whose
// transitions do not record it.
func (j *Job) EndedAt() (time.Time, bool) {
	if !j.State.Terminal() {
		return time.Time{}, false
	}
	for _, t := range j.Transitions {
		if t.State == j.State {
			return t.At, true
		}
	}
	return j.UpdatedAt, true
}

// ExpiresAt returns when a store may forget j under a retention of r, or
// the zero time when it must keep j (r is zero, or j carries no time at
// all): RetainedFrom plus r.
func (j *Job) ExpiresAt(r time.Duration) time.Time {
	from := j.RetainedFrom()
	if r <= 0 || from.IsZero() {
		return time.Time{}
	}
	return from.Add(r)
}

// RetainedFrom returns the time from which a job's retention runs, the
// same whatever the retention, so that a store may keep it beside the job
// and apply the retention of the day. The rule, which every store follows:
//
//   - a job that ended is kept from when it ended (EndedAt), so that its
//     outputs, which the output bucket expires after the same time, are
//     downloadable for as long as the job is listed;
//   - a job still open is kept from its last change (UpdatedAt, or
//     CreatedAt): an engine that never reports a job's end must not make
//     the job live for ever, and no engine runs a job for anything near a
//     retention measured in days;
//   - a webhook call still owed keeps the job from when that call is due,
//     so that a job is never forgotten with its outbox full.
//
// It depends only on j, so writing the same job twice gives the same
// time, and every write of a job brings it up to date. It is zero for a
// job that carries no time at all.
func (j *Job) RetainedFrom() time.Time {
	from, ended := j.EndedAt()
	if !ended {
		from = j.UpdatedAt
	}
	if from.IsZero() {
		from = j.CreatedAt
	}
	if due, owed := j.NextWebhookCall(); owed && due.After(from) {
		from = due
	}
	return from
}
