package transcoding

import (
	"context"
	"slices"
	"time"

	"transcoder/app/jobs"
)

// Applied does what a change recorded from an engine's event owes: the
// limits that only events can tell are enforced (see enforce), and, when
// the change is news, the job's watchers and the webhook dispatcher are
// told. It runs on duplicates too, since a retried delivery is how a step
// that failed here gets done; an error means that step must be retried.
func (s *Service) Applied(ctx context.Context, ch jobs.Change) error {
	if err := s.enforce(ctx, ch); err != nil {
		return err
	}
	if ch.Changed {
		s.changed(ch.Job)
	}
	return nil
}

// enforce applies the quotas that only the engine's events can tell: a job
// whose input runs past MAX_INPUT_DURATION is canceled on its engine and
// ends ERROR (checked on duplicates too, since a retried delivery is how a
// failed cancel gets done), and a job that this change ended gives back its
// running place. That place is given back once, by the call that recorded
// the end; one that could not be is freed by the quota's sweep when the
// owner next meets the limit, so duplicates cost no store round trip.
func (s *Service) enforce(ctx context.Context, ch jobs.Change) error {
	j := ch.Job
	if j.State.Terminal() {
		if slices.ContainsFunc(ch.Recorded, func(t jobs.Transition) bool { return t.State.Terminal() }) {
			s.giveBack(ctx, j)
		}
		return nil
	}
	if j.Input == nil || j.Input.DurationMS <= 0 || j.Owner == "" {
		return nil
	}
	tooLong := s.deps.Quotas.CheckDuration(time.Duration(j.Input.DurationMS) * time.Millisecond)
	if tooLong == nil {
		return nil
	}
	if c, ok := s.deps.Transcoder.(jobs.Canceler); ok && j.EngineJobID != "" {
		if err := c.Cancel(ctx, j.EngineJobID); err != nil {
			return err
		}
	}
	failed, err := s.deps.Store.Apply(ctx, &jobs.Update{JobID: j.ID, At: s.deps.Now(), State: jobs.Failed,
		Error: &jobs.Failure{Code: "INPUT_TOO_LONG", Message: tooLong.Error()}})
	if err != nil {
		return err
	}
	s.deps.Logger.Info("job canceled: input too long", "job_id", j.ID, "duration_ms", j.Input.DurationMS)
	s.changed(failed.Job)
	s.giveBack(ctx, failed.Job)
	return nil
}
