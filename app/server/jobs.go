package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/jobs"
	"transcoder/app/presets"
	"transcoder/app/quotas"
	"transcoder/app/s3"
)

// Storage is the part of the object store the API uses; *s3.Storage is the
// production one, against AWS or the local S3 server alike.
type Storage interface {
	PresignUpload(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (*s3.Presigned, error)
	PresignDownload(ctx context.Context, uri string, ttl time.Duration, filename string) (string, error)
	Head(ctx context.Context, uri string) (*s3.Object, error)
	InputURI(key string) string
	OutputURI(key string) string
}

// linkTTL is how long presigned upload and download URLs stay valid.
const linkTTL = time.Hour

// newID returns a fresh, unguessable identifier with a readable prefix.
func newID(prefix string) string {
	b := make([]byte, 15)
	rand.Read(b)
	return prefix + strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

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
		mt, _, err := mime.ParseMediaType(req.ContentType)
		if err != nil || !(strings.HasPrefix(mt, "audio/") || strings.HasPrefix(mt, "video/")) || isPlaylist(mt) {
			badRequest(c, "contentType %q is not an audio or video file type (for example audio/wav or video/mp4; playlists are not files)", req.ContentType)
			return
		}
		if req.Size <= 0 {
			badRequest(c, "size: %d is not a file's size: send its length in bytes (the upload link is signed for exactly that many; an empty file has nothing to transcode)", req.Size)
			return
		}
		if err := s.deps.Quotas.CheckUpload(req.Size); err != nil {
			s.refuse(c, "size", err)
			return
		}
		key, err := s3.UploadKey(ownerFolder(caller(c)), newID("u"), req.Filename)
		if err != nil {
			badRequest(c, "filename: %v", err)
			return
		}
		p, err := s.deps.Storage.PresignUpload(c.Request.Context(), key, mt, req.Size, linkTTL)
		if err != nil {
			s.unavailable(c, "presigning an upload", err)
			return
		}
		c.PureJSON(http.StatusCreated, gin.H{"key": key, "url": p.URL, "method": p.Method, "headers": p.Headers, "expiresAt": p.ExpiresAt})
	}
}

// isPlaylist reports whether a media type is a playlist: a list of other
// files, which an engine would fetch, rather than media.
func isPlaylist(mt string) bool {
	return strings.HasSuffix(mt, "mpegurl") || strings.HasSuffix(mt, "x-scpls") || mt == "audio/x-ms-asx" || mt == "video/x-ms-asf"
}

type createJobRequest struct {
	Input       string   `json:"input"`
	Presets     []string `json:"presets"`
	Name        string   `json:"name"`
	CallbackURL string   `json:"callbackUrl"`
}

// handleCreateJob submits a job: it is stored SUBMITTED before the engine is
// asked, so an event that beats CreateJob back finds it and merges.
func (s *Server) handleCreateJob() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req createJobRequest
		if !decode(c, &req) {
			return
		}
		who := caller(c)
		ps, err := presets.Resolve(req.Presets)
		if err != nil {
			badRequest(c, "presets: %v", err)
			return
		}
		if req.Input == "" || !strings.HasPrefix(req.Input, "uploads/"+ownerFolder(who)+"/") && !who.operator {
			badRequest(c, "input: %q is not one of your uploads: send the key POST /uploads answered", req.Input)
			return
		}
		if len(req.Name) > 200 {
			badRequest(c, "name: at most 200 characters")
			return
		}
		if req.CallbackURL != "" {
			if s.deps.CheckCallback == nil {
				badRequest(c, "callbackUrl: webhooks are off on this service (its operator has not set WEBHOOK_SECRET)")
				return
			}
			if err := s.deps.CheckCallback(req.CallbackURL); err != nil {
				badRequest(c, "callbackUrl: %v", err)
				return
			}
		}
		s.submit(c, who, req, ps)
	}
}

// submit starts the job req asks for, on behalf of who, and answers for it:
// the quotas are checked, the job is stored SUBMITTED, then the engine is
// asked. It is what POST /jobs and a retry share.
func (s *Server) submit(c *gin.Context, who identity, req createJobRequest, ps []presets.Preset) {
	ctx := c.Request.Context()
	input := s.deps.Storage.InputURI(req.Input)
	if _, _, err := s3.ParseURI(input); err != nil {
		badRequest(c, "input: %q is not one of your uploads: send the key POST /uploads answered", req.Input)
		return
	}
	obj, err := s.deps.Storage.Head(ctx, input)
	if errors.Is(err, s3.ErrNotFound) {
		c.PureJSON(http.StatusNotFound, gin.H{"error": "input " + strconv.Quote(req.Input) + " does not exist: upload the file to the URL POST /uploads answered, then submit the job"})
		return
	} else if err != nil {
		s.unavailable(c, "checking the input", err)
		return
	}
	// Checked again on the object itself: storage is the truth.
	if err := s.deps.Quotas.CheckUpload(obj.Size); err != nil {
		s.refuse(c, "input", err)
		return
	}
	if req.Name == "" {
		req.Name = path.Base(req.Input)
	}

	id := newID("j")
	admission, err := s.deps.Quotas.Admit(ctx, who.owner, req.Input, id, who.operator)
	if err != nil {
		s.refuse(c, "", err)
		return
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	meta := map[string]string{jobs.MetadataJobID: id}
	submitted, err := s.deps.Store.Apply(ctx, &jobs.Update{
		JobID: id, Owner: who.owner, Name: req.Name, Presets: names, Engine: s.deps.Engine, CallbackURL: req.CallbackURL,
		At: time.Now(), State: jobs.Submitted, Input: &jobs.Input{URI: input}, Metadata: meta,
	})
	if err != nil {
		admission.Undo(context.WithoutCancel(ctx)) //nolint:errcheck // a leftover running place is swept when the limit is next met
		s.unavailable(c, "storing the job", err)
		return
	}
	// Webhook calls go out once the engine has the job (below).
	s.hub.changed(submitted.Job.ID)
	engineID, err := s.deps.Transcoder.Start(ctx, jobs.StartRequest{
		JobID: id, Owner: who.owner, Input: input, OutputPrefix: s.deps.Storage.OutputURI("jobs/" + id + "/"), Presets: ps, Metadata: meta,
	})
	u := &jobs.Update{JobID: id, EngineJobID: engineID, At: time.Now()}
	if err != nil {
		s.deps.Logger.Error("starting a job", "job_id", id, "err", err)
		u.State, u.Error = jobs.Failed, &jobs.Failure{Code: "START_FAILED", Message: "the transcoding engine refused the job: " + err.Error()}
	}
	ch, aerr := s.deps.Store.Apply(ctx, u)
	if aerr != nil {
		s.unavailable(c, "storing the job", aerr)
		return
	}
	s.changed(ch.Job)
	s.giveBack(ctx, ch.Job)
	if err != nil {
		c.PureJSON(http.StatusBadGateway, gin.H{"error": ch.Job.Explain().Message, "job": s.view(ctx, ch.Job, who)})
		return
	}
	s.deps.Logger.Info("job submitted", "job_id", id, "engine_job_id", engineID, "presets", names)
	c.PureJSON(http.StatusCreated, s.view(ctx, ch.Job, who))
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
		q := jobs.Query{Owner: who.owner, All: who.operator, Limit: limit, Cursor: c.Query("cursor")}
		page, err := s.deps.Store.List(c.Request.Context(), q)
		if errors.Is(err, jobs.ErrBadCursor) {
			badRequest(c, "cursor: not one this service gave out; start again without it")
			return
		} else if err != nil {
			s.unavailable(c, "listing jobs", err)
			return
		}
		views := make([]jobView, len(page.Jobs))
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
		j, ok := s.ownJob(c)
		if !ok {
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

// etag names the job view a client has: the job's version and, since the
// view's download links expire (linkTTL), the half of linkTTL they were
// made in, so that a client holding a view keeps links that work.
func etag(j *jobs.Job, now time.Time) string {
	return `W/"` + strconv.FormatInt(j.Version, 10) + "." + strconv.FormatInt(now.Unix()/int64(linkTTL/2/time.Second), 10) + `"`
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

// ownJob loads the job named in the path if the caller may see it, or
// answers for it.
func (s *Server) ownJob(c *gin.Context) (*jobs.Job, bool) {
	j, err := s.deps.Store.Get(c.Request.Context(), c.Param("id"))
	switch {
	case errors.Is(err, jobs.ErrNotFound) || err == nil && !caller(c).sees(j):
		c.PureJSON(http.StatusNotFound, gin.H{"error": "no such job"})
		return nil, false
	case err != nil:
		s.unavailable(c, "reading a job", err)
		return nil, false
	}
	return j, true
}

// jobView is the job as the API shows it: outputs carry their preset and,
// once the job is COMPLETE, a download URL; a failure reads in plain words
// (see failureView).
type jobView struct {
	*jobs.Job
	Outputs []outputView  `json:"outputs"`
	Error   *jobs.Failure `json:"error,omitempty"`
}

type outputView struct {
	jobs.Output
	Preset string `json:"preset,omitempty"`
	URL    string `json:"url,omitempty"`
}

// view is the job as who may see it.
func (s *Server) view(ctx context.Context, j *jobs.Job, who identity) jobView {
	v := jobView{Job: j, Outputs: make([]outputView, len(j.Outputs)), Error: failureView(j, who.operator)}
	for i, o := range j.Outputs {
		ov := outputView{Output: o, Preset: o.Preset}
		if _, known := presets.Lookup(ov.Preset); !known {
			// Elastic Transcoder names its own preset ids; the file's
			// extension tells ours.
			ov.Preset = ""
			if p, ok := presets.ByExtension(path.Ext(o.URI)); ok {
				ov.Preset = p.Name
			}
		}
		if j.State == jobs.Complete && s.deps.Storage != nil {
			if url, err := s.deps.Storage.PresignDownload(ctx, o.URI, linkTTL, path.Base(o.URI)); err == nil {
				ov.URL = url
			}
		}
		v.Outputs[i] = ov
	}
	return v
}

// failureView is why the job failed as its viewer may read it: the code and
// the plain sentence (jobs.Job.Explain) for everyone, and the engine's own
// words, which name buckets, keys and the engine's internals, for the
// operator alone, as Detail. It is made at view time from what the engine
// reported, which the store keeps as it was, so every view, notice and
// webhook call words a failure the same way. A job in ERROR without a
// recorded failure still says something.
func failureView(j *jobs.Job, operator bool) *jobs.Failure {
	if j.Error == nil && j.State != jobs.Failed {
		return nil
	}
	f := &jobs.Failure{Message: j.Explain().Message}
	if j.Error != nil {
		f.Code = j.Error.Code
		if operator {
			f.Detail = cmp.Or(j.Error.Detail, j.Error.Message)
		}
	}
	return f
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

// refuse answers a quota's refusal: 429 naming the limit and its value
// (with Retry-After when waiting helps), 400 for an empty file, and 503
// when counting failed. field, if set, is the request field at fault.
func (s *Server) refuse(c *gin.Context, field string, err error) {
	var ex *quotas.Exceeded
	switch {
	case errors.As(err, &ex):
		if ex.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(int(ex.RetryAfter.Round(time.Second)/time.Second)))
		}
		c.PureJSON(http.StatusTooManyRequests, gin.H{"error": ex.Message, "limit": ex.Limit, "value": ex.Value})
	case errors.Is(err, quotas.ErrEmpty):
		if field != "" {
			badRequest(c, "%s: %v", field, err)
			return
		}
		badRequest(c, "%v", err)
	default:
		s.unavailable(c, "counting your jobs", err)
	}
}

// unavailable answers 503 for a failure of our own, logging the cause.
func (s *Server) unavailable(c *gin.Context, doing string, err error) {
	s.deps.Logger.Error(doing, "path", c.Request.URL.Path, "err", err)
	c.PureJSON(http.StatusServiceUnavailable, gin.H{"error": doing + " failed; try again"})
}

// View is the job as the API shows it to its owner, download URLs
// included; webhook payloads carry it.
func (s *Server) View(j *jobs.Job) any { return s.view(context.Background(), j, identity{}) }
