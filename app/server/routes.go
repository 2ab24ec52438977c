package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// routes lists the whole API surface of the service.
func (s *Server) routes() {
	r := s.engine
	r.POST("/transcode-complete", s.handleDelivery())
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		r.Handle(m, "/transcode-complete", methodNotAllowed(http.MethodPost))
	}

	r.GET("/healthz", s.handleHealthz())
	r.GET("/metrics", gin.WrapH(s.deps.Metrics.handler()))

	if s.deps.LocalSNS != nil {
		r.Any("/local-sns/*path", gin.WrapH(s.deps.LocalSNS))
	}

	api := r.Group("/", s.requireToken())
	api.GET("/jobs/:id", s.handleGetJob())
	api.GET("/jobs", s.handleListJobs())
	if s.deps.Storage != nil && s.deps.Transcoder != nil {
		api.POST("/uploads", s.handleCreateUpload())
		api.POST("/jobs", s.handleCreateJob())
	}
}
