package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/jobs"
	"transcoder/app/presets"
	"transcoder/app/s3"
)

// handleCancelJob cancels a queued or running job on its engine and records
// it CANCELED (once: a second cancel, or the engine's own CANCELED event,
// changes nothing). The job gives back its place in the owner's running
// jobs.
func (s *Server) handleCancelJob() gin.HandlerFunc {
	return func(c *gin.Context) {
		j, ok := s.ownJob(c)
		if !ok {
			return
		}
		ctx := c.Request.Context()
		switch {
		case j.State.Terminal():
			c.PureJSON(http.StatusConflict, gin.H{"error": "this job has already ended (" + string(j.State) + "): there is nothing to cancel", "job": s.view(ctx, j, caller(c))})
			return
		case j.EngineJobID == "":
			c.Header("Retry-After", "2")
			c.PureJSON(http.StatusConflict, gin.H{"error": "this job is still being handed to its engine: try again in a few seconds"})
			return
		}
		canceler, ok := s.deps.Transcoder.(jobs.Canceler)
		if !ok {
			c.PureJSON(http.StatusNotImplemented, gin.H{"error": "this service's engine cannot cancel jobs"})
			return
		}
		if err := canceler.Cancel(ctx, j.EngineJobID); err != nil {
			// The job may have ended meanwhile: that is no failure.
			if cur, gerr := s.deps.Store.Get(ctx, j.ID); gerr == nil && cur.State.Terminal() {
				c.PureJSON(http.StatusConflict, gin.H{"error": "this job ended (" + string(cur.State) + ") before it could be canceled", "job": s.view(ctx, cur, caller(c))})
				return
			}
			s.deps.Logger.Error("canceling a job", "job_id", j.ID, "engine_job_id", j.EngineJobID, "err", err)
			c.PureJSON(http.StatusBadGateway, gin.H{"error": "the transcoding engine did not cancel the job; try again"})
			return
		}
		ch, err := s.deps.Store.Apply(ctx, &jobs.Update{JobID: j.ID, At: time.Now(), State: jobs.Canceled})
		if err != nil {
			s.unavailable(c, "recording the cancel", err)
			return
		}
		s.changed(ch.Job)
		s.giveBack(ctx, ch.Job)
		s.deps.Logger.Info("job canceled", "job_id", j.ID, "engine_job_id", j.EngineJobID)
		c.PureJSON(http.StatusOK, s.view(ctx, ch.Job, caller(c)))
	}
}

// handleRetryJob starts a job that has ended again, as a new job: the same
// input, presets, name and callback, for the same owner, while the input
// is still stored. The quotas apply as to any new job.
func (s *Server) handleRetryJob() gin.HandlerFunc {
	return func(c *gin.Context) {
		j, ok := s.ownJob(c)
		if !ok {
			return
		}
		if !j.State.Terminal() {
			c.PureJSON(http.StatusConflict, gin.H{"error": "this job has not ended yet (" + string(j.State) + "): cancel it first, or wait for it"})
			return
		}
		key, ok := s.inputKey(j)
		if !ok {
			c.PureJSON(http.StatusConflict, gin.H{"error": "this job's input is not an upload of this service, so it cannot be run again: upload the file again"})
			return
		}
		ps, err := presets.Resolve(j.Presets)
		if err != nil {
			c.PureJSON(http.StatusConflict, gin.H{"error": "this job's formats are no longer offered (" + err.Error() + "): upload the file again and choose others"})
			return
		}
		who := caller(c)
		// The new job is the same owner's, whoever asks (the operator may).
		who.owner = j.Owner
		s.submit(c, who, createJobRequest{Input: key, Presets: j.Presets, Name: j.Name, CallbackURL: j.CallbackURL}, ps)
	}
}

// inputKey is the key under uploads/ of the job's input, if it is in this
// service's input bucket.
func (s *Server) inputKey(j *jobs.Job) (string, bool) {
	if j.Input == nil || j.Input.URI == "" {
		return "", false
	}
	_, key, err := s3.ParseURI(j.Input.URI)
	if err != nil || !strings.HasPrefix(key, "uploads/") || s.deps.Storage.InputURI(key) != j.Input.URI {
		return "", false
	}
	return key, true
}
