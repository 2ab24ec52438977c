package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/jobs"
	"transcoder/app/quotas"
	"transcoder/app/transcoding"
)

type uploadRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	// Size is the file's length in bytes: the upload URL is signed for
	// exactly that many, so storage refuses any other body.
	Size int64 `json:"size"`
}

// handleCreateUpload answers a presigned PUT to the input bucket, so that the
// file goes straight to storage and never through the service.
func (s *Server) handleCreateUpload() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req uploadRequest
		if !decode(c, &req) {
			return
		}
		up, err := s.jobs.Upload(c.Request.Context(), caller(c).Caller, transcoding.UploadRequest(req))
		if err != nil {
			s.fail(c, err)
			return
		}
		p := up.Presigned
		c.PureJSON(http.StatusCreated, gin.H{"key": up.Key, "url": p.URL, "method": p.Method, "headers": p.Headers, "expiresAt": p.ExpiresAt})
	}
}

type createJobRequest struct {
	Input       string   `json:"input"`
	Presets     []string `json:"presets"`
	Name        string   `json:"name"`
	CallbackURL string   `json:"callbackUrl"`
}

// handleCreateJob submits a job (see transcoding.Service.Submit).
func (s *Server) handleCreateJob() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req createJobRequest
		if !decode(c, &req) {
			return
		}
		j, err := s.jobs.Submit(c.Request.Context(), caller(c).Caller, transcoding.SubmitRequest(req))
		s.answerJob(c, http.StatusCreated, j, err)
	}
}

// handleListJobs lists the caller's jobs, newest first, a page at a time.
func (s *Server) handleListJobs() gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := 20
		if v := c.Query("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				badRequest(c, "limit: %q is not a number from 1 to 100", v)
				return
			}
			limit = n
		}
		who := caller(c)
		page, err := s.jobs.List(c.Request.Context(), who.Caller, limit, c.Query("cursor"))
		if err != nil {
			s.fail(c, err)
			return
		}
		views := make([]JobView, len(page.Jobs))
		for i, j := range page.Jobs {
			views[i] = s.view(c.Request.Context(), j, who)
		}
		c.PureJSON(http.StatusOK, gin.H{"jobs": views, "next": page.Next})
	}
}

// handleGetJob answers the job view; another owner's job is not found, so
// ids leak nothing. The answer carries an ETag, and a request whose
// If-None-Match holds it is answered 304 with no body: that is how a page
// follows a job where event streams are too dear (see Deps.Poll).
func (s *Server) handleGetJob() gin.HandlerFunc {
	return func(c *gin.Context) {
		j, err := s.jobs.Get(c.Request.Context(), caller(c).Caller, c.Param("id"))
		if err != nil {
			s.fail(c, err)
			return
		}
		tag := etag(j, time.Now())
		c.Header("ETag", tag)
		c.Header("Cache-Control", "private, no-cache")
		if match := c.GetHeader("If-None-Match"); match != "" && etagMatches(match, tag) {
			c.Status(http.StatusNotModified)
			return
		}
		c.PureJSON(http.StatusOK, s.view(c.Request.Context(), j, caller(c)))
	}
}

// handleCancelJob cancels a queued or running job (see
// transcoding.Service.Cancel).
func (s *Server) handleCancelJob() gin.HandlerFunc {
	return func(c *gin.Context) {
		j, err := s.jobs.Cancel(c.Request.Context(), caller(c).Caller, c.Param("id"))
		s.answerJob(c, http.StatusOK, j, err)
	}
}

// handleRetryJob runs a job that has ended again, as a new job (see
// transcoding.Service.Retry).
func (s *Server) handleRetryJob() gin.HandlerFunc {
	return func(c *gin.Context) {
		j, err := s.jobs.Retry(c.Request.Context(), caller(c).Caller, c.Param("id"))
		s.answerJob(c, http.StatusCreated, j, err)
	}
}

// answerJob answers a use case that returns a job: its view with status, or
// the refusal.
func (s *Server) answerJob(c *gin.Context, status int, j *jobs.Job, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	c.PureJSON(status, s.view(c.Request.Context(), j, caller(c)))
}

// etag names the job view a client has: the job's version and, since the
// view's download links expire (transcoding.LinkTTL), the half of LinkTTL
// they were made in, so that a client holding a view keeps links that work.
func etag(j *jobs.Job, now time.Time) string {
	return `W/"` + strconv.FormatInt(j.Version, 10) + "." + strconv.FormatInt(now.Unix()/int64(transcoding.LinkTTL/2/time.Second), 10) + `"`
}

// etagMatches reports whether an If-None-Match header names tag.
func etagMatches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		if t = strings.TrimSpace(t); t == tag || t == "*" || "W/"+t == tag {
			return true
		}
	}
	return false
}

// logFailure tells the operator why a job has just failed: the engine's own
// words, which its owner never sees, beside the reason the owner was given.
// A failure that is the service's to fix (failures.Reason.Operator) is an
// error; one that is the file's is information.
func (s *Server) logFailure(ctx context.Context, j *jobs.Job) {
	level, e := slog.LevelInfo, j.Explain()
	if e.Reason.Operator() {
		level = slog.LevelError
	}
	var code, detail string
	if j.Error != nil {
		code, detail = j.Error.Code, cmp.Or(j.Error.Detail, j.Error.Message)
	}
	s.deps.Logger.Log(ctx, level, "job failed", "job_id", j.ID, "owner", j.Owner, "engine", j.Engine,
		"code", code, "reason", e.Reason, "detail", detail)
}

// decode reads a JSON request body into v, or answers 400 saying why.
func decode(c *gin.Context, v any) bool {
	if err := decodeStrict(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10), v); err != nil {
		badRequest(c, "%v", err)
		return false
	}
	return true
}

func badRequest(c *gin.Context, format string, args ...any) {
	c.PureJSON(http.StatusBadRequest, gin.H{"error": fmt.Sprintf(format, args...)})
}

// unavailable answers 503 for a failure of our own, logging the cause.
func (s *Server) unavailable(c *gin.Context, doing string, err error) {
	s.deps.Logger.Error(doing, "path", c.Request.URL.Path, "err", err)
	c.PureJSON(http.StatusServiceUnavailable, gin.H{"error": doing + " failed; try again"})
}

// statuses is the HTTP answer to each kind of the use cases' refusals.
var statuses = map[transcoding.Kind]int{
	transcoding.Invalid:      http.StatusBadRequest,
	transcoding.NotFound:     http.StatusNotFound,
	transcoding.Conflict:     http.StatusConflict,
	transcoding.OverQuota:    http.StatusTooManyRequests,
	transcoding.NotSupported: http.StatusNotImplemented,
	transcoding.EngineFailed: http.StatusBadGateway,
	transcoding.Unavailable:  http.StatusServiceUnavailable,
}

// fail answers a use case's refusal, the one place where a
// transcoding.Error becomes a status code: the message as "error", beside
// it the job when the refusal shows one, and a quota's limit and value;
// Retry-After when waiting helps. A failure of our own (Unavailable, or an
// error that is no transcoding.Error) is logged with its cause, which the
// caller is not told.
func (s *Server) fail(c *gin.Context, err error) {
	var e *transcoding.Error
	if !errors.As(err, &e) {
		e = &transcoding.Error{Kind: transcoding.Unavailable, Message: "serving the request failed; try again", Op: "serving the request", Err: err}
	}
	status, ok := statuses[e.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	if e.Kind == transcoding.Unavailable {
		s.unavailable(c, e.Op, e.Err)
		return
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(e.RetryAfter.Round(time.Second)/time.Second)))
	}
	body := gin.H{"error": e.Message}
	if e.Job != nil {
		body["job"] = s.view(c.Request.Context(), e.Job, caller(c))
	}
	if ex := (*quotas.Exceeded)(nil); e.Kind == transcoding.OverQuota && errors.As(e.Err, &ex) {
		body["limit"], body["value"] = ex.Limit, ex.Value
	}
	c.PureJSON(status, body)
}

// View is the job as the API shows it to its owner, download URLs
// included; webhook payloads carry it.
func (s *Server) View(j *jobs.Job) any { return s.view(context.Background(), j, identity{}) }
