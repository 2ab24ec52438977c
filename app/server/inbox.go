package server

import (
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"transcoder/app/jobs"
	"transcoder/app/presets"
)

// inboxScan bounds how many of the caller's newest jobs the inbox reads.
const inboxScan = 500

// handleInbox lists the caller's notices that are not dismissed, newest first.
func (s *Server) handleInbox() gin.HandlerFunc {
	return func(c *gin.Context) {
		who := caller(c)
		notices := []jobs.Notice{}
		q := jobs.Query{Owner: who.owner, All: who.operator, Limit: 100}
		for read := 0; read < inboxScan; {
			page, err := s.deps.Store.List(c.Request.Context(), q)
			if err != nil {
				s.unavailable(c, "reading the inbox", err)
				return
			}
			for _, j := range page.Jobs {
				for _, n := range j.Notices {
					if !n.Dismissed {
						notices = append(notices, n)
					}
				}
			}
			read += len(page.Jobs)
			if q.Cursor = page.Next; q.Cursor == "" {
				break
			}
		}
		slices.SortFunc(notices, func(a, b jobs.Notice) int { return b.At.Compare(a.At) })
		unread := 0
		for _, n := range notices {
			if !n.Read {
				unread++
			}
		}
		c.PureJSON(http.StatusOK, gin.H{"notices": notices, "unread": unread})
	}
}

// handleNotice marks a notice read, or dismisses it.
func (s *Server) handleNotice(dismiss bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		cut := strings.LastIndexByte(id, '-')
		if cut <= 0 {
			c.PureJSON(http.StatusNotFound, gin.H{"error": "no such message"})
			return
		}
		jobID := id[:cut]
		who := caller(c)
		found := false
		_, err := s.deps.Store.Modify(c.Request.Context(), jobID, func(j *jobs.Job) bool {
			if !who.sees(j) {
				found = false // another owner's message is not found
				return false
			}
			var changed bool
			found, changed = j.MarkNotice(id, dismiss)
			return changed
		})
		if err != nil && !errors.Is(err, jobs.ErrNotFound) {
			s.unavailable(c, "updating the inbox", err)
			return
		}
		if !found {
			c.PureJSON(http.StatusNotFound, gin.H{"error": "no such message"})
			return
		}
		s.hub.changed(jobID)
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
		c.PureJSON(http.StatusOK, gin.H{"secret": hex.EncodeToString(s.deps.CallbackSecret(caller(c).owner))})
	}
}

// handlePresets lists the outputs a job can ask for.
func (s *Server) handlePresets() gin.HandlerFunc {
	all := presets.All()
	return func(c *gin.Context) { c.PureJSON(http.StatusOK, all) }
}
