package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// handleHealthz answers 200 while the service can serve and 503 otherwise.
func (s *Server) handleHealthz() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.ready.Load() {
			c.PureJSON(http.StatusServiceUnavailable, gin.H{"status": "not ready"})
			return
		}
		c.PureJSON(http.StatusOK, gin.H{"status": "ok"})
	}
}
