package jobs

import (
	"fmt"
	"time"
)

// Update is one event about a job, decoded from whatever engine sent it. Zero
// fields carry no information and change nothing.
type Update struct {
	// JobID is the job the event belongs to; required.
	JobID       string
	Owner       string
	Name        string
	Presets     []string
	CallbackURL string
	EngineJobID string
	Engine      Engine
	// At is when the event happened, by the engine's clock; required.
	At time.Time
	// State is the state the event reports; empty for events that only add
	// attributes. Events that say a job is working (input information,
	// progress, warnings) report PROGRESSING; a queue hop, which happens
	// while a job waits, reports SUBMITTED.
	State    State
	Progress int
	Input    *Input
	Outputs  []Output
	Error    *Failure
	Warnings []Warning
	Queue    string
	Metadata map[string]string
}

// Validate says what is wrong with u, if anything.
func (u *Update) Validate() error {
	switch {
	case u.JobID == "":
		return fmt.Errorf("jobs: update has no job id")
	case u.At.IsZero():
		return fmt.Errorf("jobs: update for job %q has no time", u.JobID)
	case u.State != "" && !u.State.Valid():
		return fmt.Errorf("jobs: update for job %q has unknown state %q", u.JobID, u.State)
	case u.Progress < 0 || u.Progress > 100:
		return fmt.Errorf("jobs: update for job %q has progress %d outside 0-100", u.JobID, u.Progress)
	}
	return nil
}

// New returns the empty job that an update for a never-seen id is applied to.
func New(id string) *Job {
	return &Job{ID: id, Outputs: []Output{}, Transitions: []Transition{}}
}

// Apply merges u into j and returns the transitions it recorded and whether j
// changed at all. The merge is idempotent and order-insensitive where it can
// be: a terminal state never regresses, progress never goes down, attributes
// are only ever added, and applying the same update twice changes nothing the
// second time. A job that has never been seen (zero Version and no state)
// begins in the update's state, or SUBMITTED when the update names none.
// Version is incremented once when anything changed.
func (j *Job) Apply(u *Update) (recorded []Transition, changed bool) {
	at := u.At.UTC() // stored times are UTC, whatever zone the engine wrote
	changed, newCallback := j.mergeAttributes(u, at)
	recorded = j.advance(u.State, at)
	changed = len(recorded) > 0 || changed
	changed = j.raiseProgress(u.Progress) || changed
	changed = j.mergeOutcome(u) || changed
	// What a transition owes (an inbox notice, a webhook call) is added
	// with it, once the outcome it words is known; a callback URL learnt
	// late is owed every transition so far.
	owed := recorded
	if newCallback {
		owed = j.Transitions
	}
	for _, t := range owed {
		changed = j.owe(t) || changed
	}
	changed = j.mergeMetadata(u.Metadata) || changed

	if changed {
		if at.After(j.UpdatedAt) {
			j.UpdatedAt = at
		}
		j.Version++
	}
	return recorded, changed
}

// mergeAttributes sets what u says of who the job is and where it runs,
// where j does not know it yet; an attribute once set is never replaced.
// It reports whether j changed, and whether the callback URL is new.
func (j *Job) mergeAttributes(u *Update, at time.Time) (changed, newCallback bool) {
	if j.ID == "" {
		j.ID = u.JobID
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = at
		changed = true
	}
	changed = setIfEmpty(&j.Owner, u.Owner) || changed
	changed = setIfEmpty(&j.Name, u.Name) || changed
	if len(j.Presets) == 0 && len(u.Presets) > 0 {
		j.Presets = append([]string(nil), u.Presets...)
		changed = true
	}
	changed = setIfEmpty((*string)(&j.Engine), string(u.Engine)) || changed
	newCallback = setIfEmpty(&j.CallbackURL, u.CallbackURL)
	changed = setIfEmpty(&j.EngineJobID, u.EngineJobID) || changed
	changed = setIfEmpty(&j.Queue, u.Queue) || changed
	return changed || newCallback, newCallback
}

// advance moves j to target if that is forward (a job never seen begins
// SUBMITTED when the update names no state) and returns the transition it
// recorded, if any.
func (j *Job) advance(target State, at time.Time) []Transition {
	if target == "" && j.State == "" {
		target = Submitted
	}
	if target.rank() <= j.State.rank() {
		return nil
	}
	j.State = target
	t := Transition{State: target, At: at}
	j.Transitions = append(j.Transitions, t)
	return []Transition{t}
}

// raiseProgress raises j's progress to p, or to 100 once it is COMPLETE;
// progress never goes down.
func (j *Job) raiseProgress(p int) bool {
	if j.State == Complete {
		p = 100
	}
	if p <= j.Progress {
		return false
	}
	j.Progress = p
	return true
}

// mergeOutcome adds what u says the job read and made: its input, its
// outputs, the failure that ended it and its warnings.
func (j *Job) mergeOutcome(u *Update) bool {
	changed := j.mergeInput(u.Input)
	for _, o := range u.Outputs {
		// Only the event of the state the job ended in has the last word
		// on an output: a losing terminal event (CANCELED after COMPLETE)
		// must not flip it on every redelivery.
		changed = j.mergeOutput(o, u.State.Terminal() && u.State == j.State) || changed
	}
	if u.Error != nil && j.State == Failed && j.Error == nil {
		e := *u.Error
		j.Error = &e
		changed = true
	}
	for _, w := range u.Warnings {
		changed = j.mergeWarning(w) || changed
	}
	return changed
}

// mergeMetadata adds the entries of m whose keys j does not have.
func (j *Job) mergeMetadata(m map[string]string) bool {
	changed := false
	for k, v := range m {
		if _, ok := j.Metadata[k]; ok {
			continue
		}
		if j.Metadata == nil {
			j.Metadata = make(map[string]string, len(m))
		}
		j.Metadata[k] = v
		changed = true
	}
	return changed
}

// ApplyTo is Apply with the update as receiver, for stores that take the
// change to make as a function.
func (u *Update) ApplyTo(j *Job) ([]Transition, bool) { return j.Apply(u) }

func setIfEmpty(dst *string, v string) bool {
	if *dst != "" || v == "" {
		return false
	}
	*dst = v
	return true
}

func (j *Job) mergeInput(in *Input) bool {
	if in == nil {
		return false
	}
	if j.Input == nil {
		c := *in
		j.Input = &c
		return true
	}
	changed := setIfEmpty(&j.Input.URI, in.URI)
	if j.Input.DurationMS == 0 && in.DurationMS != 0 {
		j.Input.DurationMS = in.DurationMS
		changed = true
	}
	if j.Input.Details == nil && in.Details != nil {
		j.Input.Details = in.Details
		changed = true
	}
	return changed
}

// mergeOutput adds o, or fills in what was not known of the output with the
// same URI. A terminal event's per-output status supersedes an earlier one.
func (j *Job) mergeOutput(o Output, final bool) bool {
	for i := range j.Outputs {
		cur := &j.Outputs[i]
		if cur.URI != o.URI {
			continue
		}
		changed := setIfEmpty(&cur.Preset, o.Preset)
		if cur.DurationMS == 0 && o.DurationMS != 0 {
			cur.DurationMS = o.DurationMS
			changed = true
		}
		if o.Status != "" && o.Status != cur.Status && (cur.Status == "" || final) {
			cur.Status = o.Status
			changed = true
		}
		return changed
	}
	j.Outputs = append(j.Outputs, o)
	return true
}

func (j *Job) mergeWarning(w Warning) bool {
	for i := range j.Warnings {
		cur := &j.Warnings[i]
		if cur.Code != w.Code || cur.Message != w.Message {
			continue
		}
		if w.Count > cur.Count {
			cur.Count = w.Count
			return true
		}
		return false
	}
	j.Warnings = append(j.Warnings, w)
	return true
}
