// Package server is the service's HTTP face: the SNS completion endpoint, the
// jobs API, health and metrics, as one Gin handler built from its
// dependencies. It decides what each answer means to SNS (2xx-4xx delivered,
// 5xx retried) and to API clients (the status codes of the use cases'
// refusals, the JSON of the job view); the rules themselves live in sns,
// events, jobs and transcoding (the use cases), and a handler decodes the
// request, calls one use case and encodes its answer.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/events"
	"transcoder/app/internal/ids"
	"transcoder/app/internal/metrics"
	"transcoder/app/jobs"
	"transcoder/app/quotas"
	"transcoder/app/sns"
	"transcoder/app/transcoding"
)

// Verifier checks SNS deliveries and confirms subscriptions; *sns.Verifier is
// the production one.
type Verifier interface {
	Verify(ctx context.Context, m *sns.Message) error
	Confirm(ctx context.Context, m *sns.Message) error
}

// Deps is everything the handler needs, passed explicitly.
type Deps struct {
	Logger   *slog.Logger
	Store    jobs.Store
	Verifier Verifier
	Events   *events.Decoder
	// Storage presigns uploads and downloads and checks inputs; with
	// Transcoder, it enables job submission (nil: submission is off).
	Storage transcoding.Storage
	// Transcoder starts jobs on Engine.
	Transcoder jobs.Transcoder
	Engine     jobs.Engine
	// LocalSNS is the local SNS topic's handler, mounted at /local-sns in
	// the one-machine pipeline; nil elsewhere.
	LocalSNS http.Handler
	// APIToken is the operator's bearer token: it sees every owner's jobs.
	APIToken string
	// APIKeys maps API clients' bearer keys to their owners.
	APIKeys map[string]string
	// SessionSecret signs browser session cookies and CSRF tokens.
	SessionSecret []byte
	// CheckCallback vets a job's callbackUrl; nil turns callbacks off.
	CheckCallback func(raw string) error
	// CallbackSecret is the key an owner's webhook calls are signed with,
	// which GET /webhooks/secret hands to that owner.
	CallbackSecret func(owner string) []byte
	// Webhooks is told when a change owes webhook calls, so they go out at
	// once rather than at its next poll; may be nil.
	Webhooks interface{ Kick() }
	// SignIn says who may get a browser session: SignInAnonymous (every new
	// browser an owner) or SignInInvite (only with an invite's link).
	SignIn SignIn
	// Invites keeps the operator's invites; nil turns the invite routes
	// off (and, with SignInInvite, every browser away).
	Invites jobs.InviteStore
	// Quotas bounds each owner's uploads and jobs; nil bounds nothing.
	Quotas *quotas.Keeper
	// Poll says that the page must follow jobs by polling GET /jobs/:id
	// (answered 304 while nothing changed) rather than by an event stream:
	// on Lambda an open stream holds an execution for as long as it is
	// open, where a poll holds one for milliseconds.
	Poll bool
	// StreamLifetime is how long one event stream lasts before the browser
	// reconnects; zero means five minutes. On Lambda it must end within the
	// function's timeout.
	StreamLifetime time.Duration
	// Assets is the page's files (index.html at the root); nil serves no
	// page.
	Assets fs.FS
	// Metrics counts what happens; nil makes a fresh registry.
	Metrics *Metrics
}

// Server is the service's http.Handler.
type Server struct {
	deps Deps
	// router routes each request to its handler (see routes.go).
	router *gin.Engine
	// jobs runs the use cases the handlers answer for.
	jobs  *transcoding.Service
	ready atomic.Bool
	hub   *hub
	// invites remembers for a while which invites stand.
	invites inviteCache
}

// New builds the handler. It starts not ready: call SetReady(true) once the
// process is able to serve, and SetReady(false) when it begins shutting down,
// so /healthz tells load balancers the truth.
func New(deps Deps) *Server {
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics(metrics.NewRegistry())
	}
	if deps.SignIn == "" {
		deps.SignIn = SignInAnonymous
	}
	if deps.StreamLifetime == 0 {
		deps.StreamLifetime = 5 * time.Minute
	}
	if len(deps.SessionSecret) == 0 {
		// Sessions then last as long as the process: better than a
		// guessable key.
		deps.SessionSecret = ids.Bytes(32)
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{deps: deps, router: gin.New(), hub: newHub()}
	s.jobs = transcoding.New(transcoding.Deps{
		Logger: deps.Logger, Store: deps.Store, Transcoder: deps.Transcoder, Engine: deps.Engine,
		Storage: deps.Storage, Quotas: deps.Quotas, CheckCallback: deps.CheckCallback,
		Watchers: s.hub, Webhooks: deps.Webhooks,
	})
	s.router.Use(s.recoverer())
	s.routes()
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// SetReady says whether /healthz answers 200.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// recoverer turns a panic into a 500 (SNS retries it: the work was not done)
// and a log line, so no input can take the process down.
func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.deps.Logger.Error("panic serving request", "path", c.Request.URL.Path, "panic", v)
				abortJSON(c, http.StatusInternalServerError, gin.H{"error": "internal error"})
			}
		}()
		c.Next()
	}
}

// abortJSON answers obj with status and stops the request's handlers. Like
// every answer of the service, the JSON is not HTML-escaped: "<" stays "<".
func abortJSON(c *gin.Context, status int, obj any) {
	c.Abort()
	c.PureJSON(status, obj)
}
