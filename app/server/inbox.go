package server

import (
	"encoding/hex"
	"net/http"

	"github.com/gin-gonic/gin"

	"transcoder/app/presets"
)

// handleInbox lists the caller's notices that are not dismissed, newest first.
func (s *Server) handleInbox() gin.HandlerFunc {
	return func(c *gin.Context) {
		in, err := s.jobs.Inbox(c.Request.Context(), caller(c).Caller)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.PureJSON(http.StatusOK, gin.H{"notices": noticeViews(in.Notices), "unread": in.Unread})
	}
}

// handleNotice marks a notice read, or dismisses it.
func (s *Server) handleNotice(dismiss bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.jobs.MarkNotice(c.Request.Context(), caller(c).Caller, c.Param("id"), dismiss); err != nil {
			s.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// handleCallbackSecret gives the caller the key its webhook calls are signed
// with: its own, so that no owner can sign calls to another's receiver.
func (s *Server) handleCallbackSecret() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.deps.CallbackSecret == nil {
			c.PureJSON(http.StatusNotFound, gin.H{"error": "webhooks are off on this service (its operator has not set WEBHOOK_SECRET)"})
			return
		}
		c.Header("Cache-Control", "no-store")
		c.PureJSON(http.StatusOK, gin.H{"secret": hex.EncodeToString(s.deps.CallbackSecret(caller(c).Owner))})
	}
}

// handlePresets lists the outputs a job can ask for.
func (s *Server) handlePresets() gin.HandlerFunc {
	all := presets.All()
	return func(c *gin.Context) { c.PureJSON(http.StatusOK, all) }
}
