package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// brokenStore is a job store that can fail for good (the SQLite store,
// once the disk has refused a flush of its log): the service must then be
// restarted.
type brokenStore interface{ Broken() error }

// handleHealthz answers 200 while the service can serve and 503 otherwise:
// before it is ready, and once its store is broken for good, so that
// whatever supervises the service restarts it. Why is in the log, not here:
// anyone can ask.
func (s *Server) handleHealthz() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.ready.Load() {
			c.PureJSON(http.StatusServiceUnavailable, gin.H{"status": "not ready"})
			return
		}
		if b, ok := s.deps.Store.(brokenStore); ok && b.Broken() != nil {
			c.PureJSON(http.StatusServiceUnavailable, gin.H{"status": "the job store refuses changes: see the service's log, then restart it"})
			return
		}
		c.PureJSON(http.StatusOK, gin.H{"status": "ok"})
	}
}
