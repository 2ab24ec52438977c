package server

import (
	"encoding/json"
	"net/http"
	"strconv"
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
	total    int            // open streams of every owner
}

func newHub() *hub {
	return &hub{watchers: map[string]map[chan struct{}]struct{}{}, streams: map[string]int{}}
}

// maxStreams bounds the event streams one owner may hold open at once in
// one process: enough for a few tabs, not enough to tie the service up; and
// maxAllStreams bounds them for every owner together, so that many owners
// (many anonymous sessions) cannot take every connection the process has.
const (
	maxStreams    = 8
	maxAllStreams = 512
)

// open counts a stream for owner, or says which bound it meets; the
// returned func closes it.
func (h *hub) open(owner string) (func(), string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.streams[owner] >= maxStreams:
		return nil, "you have " + strconv.Itoa(maxStreams) + " live views open, as many as one person may: close a tab, or poll GET /jobs/:id"
	case h.total >= maxAllStreams:
		return nil, "this service has " + strconv.Itoa(maxAllStreams) + " live views open, as many as it takes: poll GET /jobs/:id, or try again in a minute"
	}
	h.streams[owner]++
	h.total++
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.total--
		if h.streams[owner]--; h.streams[owner] == 0 {
			delete(h.streams, owner)
		}
	}, ""
}

// live says how the page follows a job: "poll" (GET /jobs/:id with
// If-None-Match) where the runtime keeps no process between requests, or
// "stream" (the event stream).
func (s *Server) live() string {
	if s.deps.Poll {
		return "poll"
	}
	return "stream"
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

// Changed wakes every stream watching the job: the hub is the use cases'
// transcoding.Watchers.
func (h *hub) Changed(id string) {
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
// view at once, then a new one after every change, and a final "end" event
// once the job is terminal, after which the stream closes.
func (s *Server) handleJobEvents() gin.HandlerFunc {
	return func(c *gin.Context) {
		who := caller(c)
		j, err := s.jobs.Get(c.Request.Context(), who.Caller, c.Param("id"))
		if err != nil {
			s.fail(c, err)
			return
		}
		// Owners' streams are bounded; the operator's (monitoring every
		// job) are not.
		if !who.Operator {
			done, limit := s.hub.open(who.Owner)
			if done == nil {
				c.Header("Retry-After", "30")
				c.PureJSON(http.StatusTooManyRequests, gin.H{"error": limit})
				return
			}
			defer done()
		}
		(&jobStream{s: s, c: c, who: who}).run(j)
	}
}

// jobStream is one open event stream of one job.
type jobStream struct {
	s   *Server
	c   *gin.Context
	who identity
}

// run sends the job's view, then follows it until it ends.
func (st *jobStream) run(j *jobs.Job) {
	woken, stop := st.s.hub.watch(j.ID)
	defer stop()

	h := st.c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	st.c.Status(http.StatusOK)
	if !st.send(j) {
		return
	}
	if j.State.Terminal() {
		st.end()
		return
	}
	st.follow(j, woken)
}

// follow sends a new view after every change to j, woken by this process's
// changes and polling the store for other processes', until the job ends,
// the client goes, or the stream's lifetime is over.
func (st *jobStream) follow(j *jobs.Job, woken <-chan struct{}) {
	ctx := st.c.Request.Context()
	version := j.Version
	poll := time.NewTicker(streamPoll)
	defer poll.Stop()
	alive := time.NewTicker(streamKeepAlive)
	defer alive.Stop()
	lifetime := time.After(st.s.deps.StreamLifetime)
	for {
		select {
		case <-ctx.Done():
			return
		case <-lifetime:
			return
		case <-alive.C:
			if !st.write([]byte(": keep-alive\n\n")) {
				return
			}
			continue
		case <-woken:
		case <-poll.C:
		}
		cur, err := st.s.jobs.Get(ctx, st.who.Caller, j.ID)
		if err != nil || cur.Version == version {
			continue
		}
		version = cur.Version
		if !st.send(cur) {
			return
		}
		if cur.State.Terminal() {
			st.end()
			return
		}
	}
}

// send sends the job's view as a "job" event.
func (st *jobStream) send(j *jobs.Job) bool {
	data, err := json.Marshal(st.s.view(st.c.Request.Context(), j, st.who))
	if err != nil {
		return false
	}
	return st.write(append(append([]byte("event: job\ndata: "), data...), '\n', '\n'))
}

// end tells the browser the job is over, so that it closes the stream
// rather than reconnecting to a job that cannot change.
func (st *jobStream) end() { st.write([]byte("event: end\ndata: {}\n\n")) }

// write sends raw stream text at once.
func (st *jobStream) write(b []byte) bool {
	if _, err := st.c.Writer.Write(b); err != nil {
		return false
	}
	st.c.Writer.Flush()
	return true
}
