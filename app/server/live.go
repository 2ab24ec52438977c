package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/jobs"
)

// hub wakes the event streams of a job when this process changes it, so
// that a browser sees a change within milliseconds. Streams also poll the
// store, which is what carries changes made by other processes (other Lambda
// instances share no memory).
type hub struct {
	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{}
	streams  map[string]int // open streams by owner
}

func newHub() *hub {
	return &hub{watchers: map[string]map[chan struct{}]struct{}{}, streams: map[string]int{}}
}

// maxStreams bounds the event streams one owner may hold open at once in
// one process: enough for a few tabs, not enough to tie the service up.
const maxStreams = 8

// open counts a stream for owner, or reports false when the owner already
// has maxStreams; the returned func closes it.
func (h *hub) open(owner string) (func(), bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streams[owner] >= maxStreams {
		return nil, false
	}
	h.streams[owner]++
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.streams[owner]--; h.streams[owner] == 0 {
			delete(h.streams, owner)
		}
	}, true
}

// watch returns a channel that receives a value after each change to the
// job, and the function that stops watching.
func (h *hub) watch(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.watchers[id] == nil {
		h.watchers[id] = map[chan struct{}]struct{}{}
	}
	h.watchers[id][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.watchers[id], ch)
		if len(h.watchers[id]) == 0 {
			delete(h.watchers, id)
		}
		h.mu.Unlock()
	}
}

// changed wakes every stream watching the job.
func (h *hub) changed(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.watchers[id] {
		select {
		case ch <- struct{}{}:
		default: // already woken
		}
	}
}

// Streaming intervals: how often a stream re-reads the store for changes made
// elsewhere, and how often it proves it is alive. How long one stream lasts
// before the browser's EventSource reconnects is Deps.StreamLifetime.
const (
	streamPoll      = time.Second
	streamKeepAlive = 15 * time.Second
)

// handleJobEvents streams the job view as Server-Sent Events: the current
// view at once, then a new one after every change.
func (s *Server) handleJobEvents() gin.HandlerFunc {
	return func(c *gin.Context) {
		j, ok := s.ownJob(c)
		if !ok {
			return
		}
		// Owners' streams are bounded; the operator's (monitoring every
		// job) are not.
		if who := caller(c); !who.operator {
			done, ok := s.hub.open(who.owner)
			if !ok {
				c.JSON(http.StatusTooManyRequests, gin.H{"error": "too many live views open: close a tab, or poll GET /jobs/:id"})
				return
			}
			defer done()
		}
		ctx := c.Request.Context()
		woken, stop := s.hub.watch(j.ID)
		defer stop()

		h := c.Writer.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		c.Status(http.StatusOK)
		send := func(j *jobs.Job) bool {
			data, err := json.Marshal(s.view(ctx, j))
			if err != nil {
				return false
			}
			if _, err := c.Writer.Write(append(append([]byte("event: job\ndata: "), data...), '\n', '\n')); err != nil {
				return false
			}
			c.Writer.Flush()
			return true
		}
		if !send(j) {
			return
		}
		version := j.Version
		poll := time.NewTicker(streamPoll)
		defer poll.Stop()
		alive := time.NewTicker(streamKeepAlive)
		defer alive.Stop()
		end := time.After(s.deps.StreamLifetime)
		for {
			select {
			case <-ctx.Done():
				return
			case <-end:
				return
			case <-alive.C:
				if _, err := c.Writer.Write([]byte(": keep-alive\n\n")); err != nil {
					return
				}
				c.Writer.Flush()
				continue
			case <-woken:
			case <-poll.C:
			}
			cur, err := s.deps.Store.Get(ctx, j.ID)
			if err != nil || cur.Version == version {
				continue
			}
			version = cur.Version
			if !send(cur) {
				return
			}
		}
	}
}
