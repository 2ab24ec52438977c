package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// routes lists the whole API surface of the service.
func (s *Server) routes() {
	r := s.router

	// SNS deliveries: verified message by message, no session.
	r.POST("/transcode-complete", s.handleSNSDelivery())
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		r.Handle(m, "/transcode-complete", methodNotAllowed(http.MethodPost))
	}
	if s.deps.LocalSNS != nil {
		r.Any("/local-sns/*path", gin.WrapH(s.deps.LocalSNS))
	}

	// Operations.
	r.GET("/healthz", s.handleHealthz())
	r.GET("/metrics", s.requireOperator(), gin.WrapH(s.deps.Metrics.handler()))

	// The page and what it needs before signing in.
	r.GET("/session", s.handleSession())
	if s.deps.Invites != nil {
		r.POST("/session", s.handleRedeemInvite())
		// The operator's invites.
		inv := r.Group("/invites", s.requireOperator())
		inv.POST("", s.handleCreateInvite())
		inv.GET("", s.handleListInvites())
		inv.DELETE("/:id", s.handleRevokeInvite())
	}
	r.GET("/presets", s.handlePresets())
	if s.deps.Assets != nil {
		r.GET("/", s.handlePage())
		r.NoRoute(s.handleAsset())
	}

	// Everything an owner has: a browser session, an API key, or the
	// operator's token.
	api := r.Group("/", s.authenticate())
	api.GET("/jobs", s.handleListJobs())
	api.GET("/jobs/:id", s.handleGetJob())
	api.GET("/jobs/:id/events", s.handleJobEvents())
	api.GET("/inbox", s.handleInbox())
	api.POST("/inbox/:id/read", s.handleNotice(false))
	api.POST("/inbox/:id/dismiss", s.handleNotice(true))
	api.GET("/webhooks/secret", s.handleCallbackSecret())
	if s.deps.Storage != nil && s.deps.Transcoder != nil {
		api.POST("/uploads", s.handleCreateUpload())
		api.POST("/jobs", s.handleCreateJob())
		api.DELETE("/jobs/:id", s.handleCancelJob())
		api.POST("/jobs/:id/cancel", s.handleCancelJob())
		api.POST("/jobs/:id/retry", s.handleRetryJob())
	}
}
