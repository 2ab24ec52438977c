package transcoding

import (
	"context"
	"time"

	"transcoder/app/jobs"
)

// handoverWait is how long a caller should wait to cancel a job that is
// still being handed to its engine.
const handoverWait = 2 * time.Second

// Cancel cancels a queued or running job on its engine and records it
// CANCELED (once: a second cancel, or the engine's own CANCELED event,
// changes nothing). The job gives back its place in the owner's running
// jobs.
func (s *Service) Cancel(ctx context.Context, who Caller, id string) (*jobs.Job, error) {
	j, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	switch {
	case j.State.Terminal():
		return nil, conflict("this job has already ended ("+string(j.State)+"): there is nothing to cancel", j)
	case j.EngineJobID == "":
		e := conflict("this job is still being handed to its engine: try again in a few seconds", nil)
		e.RetryAfter = handoverWait
		return nil, e
	}
	canceler, ok := s.deps.Transcoder.(jobs.Canceler)
	if !ok {
		return nil, &Error{Kind: NotSupported, Message: "this service's engine cannot cancel jobs"}
	}
	if err := canceler.Cancel(ctx, j.EngineJobID); err != nil {
		// The job may have ended meanwhile: that is no failure.
		if cur, gerr := s.deps.Store.Get(ctx, j.ID); gerr == nil && cur.State.Terminal() {
			return nil, conflict("this job ended ("+string(cur.State)+") before it could be canceled", cur)
		}
		s.deps.Logger.Error("canceling a job", "job_id", j.ID, "engine_job_id", j.EngineJobID, "err", err)
		return nil, &Error{Kind: EngineFailed, Message: "the transcoding engine did not cancel the job; try again", Err: err}
	}
	ch, err := s.deps.Store.Apply(ctx, &jobs.Update{JobID: j.ID, At: s.deps.Now(), State: jobs.Canceled})
	if err != nil {
		return nil, unavailable("recording the cancel", err)
	}
	s.changed(ch.Job)
	s.giveBack(ctx, ch.Job)
	s.deps.Logger.Info("job canceled", "job_id", j.ID, "engine_job_id", j.EngineJobID)
	return ch.Job, nil
}
