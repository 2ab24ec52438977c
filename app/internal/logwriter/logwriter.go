// Package logwriter takes the log's system calls off the request path: a
// Writer hands every line to one goroutine of its own, which writes all the
// lines it has gathered in one call to the file. When the service is quiet
// that is one write per line, as soon as the line is logged; under load the
// goroutine writes at most once every Gather, so one write carries every
// line logged in that time and the cost of a line falls as the load rises.
//
// Lines keep their order. A line is lost only if the process dies between
// logging it and the next write, which is at most Gather and a system call;
// Close writes out everything logged before it. Lambda freezes a process
// between invocations, where a line could wait a long time, so the service
// writes its log directly there.
package logwriter

import (
	"io"
	"sync"
	"time"
)

// Gather is the least time from one write to the next. A line logged
// sooner than that after the previous write waits out the rest of it with
// the lines logged after it, so at 24,000 lines/s a write carries about 24
// lines. Writing whatever had come in while the previous write was in the
// kernel cost the endpoint 1.8µs of CPU per delivery in its profile; with
// Gather, the server's CPU per delivery fell by about 3% in interleaved
// runs of the endpoint bench at 256 connections.
const Gather = time.Millisecond

// Most is how many bytes may wait for the file: a caller logging beyond it
// waits for the write in flight, so that a stalled file (a full pipe) slows
// the service down rather than filling its memory.
const Most = 1 << 20

// keep is the largest buffer kept for reuse after a write.
const keep = 64 << 10

// Writer is an io.Writer whose writes reach the file it wraps from one
// goroutine of its own. It is safe for concurrent use.
type Writer struct {
	out  io.Writer
	wake chan struct{} // one token: the pending lines are to be written
	done chan struct{} // closed when the goroutine has written its last

	mu      sync.Mutex
	room    sync.Cond // broadcast when the goroutine takes the pending lines
	pending []byte
	spare   []byte // the buffer of the previous write, for reuse
	closed  bool
	err     error // the first write error, for Close
}

// New starts a Writer that writes to out; Close stops it.
func New(out io.Writer) *Writer {
	w := &Writer{out: out, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.room.L = &w.mu
	go w.run()
	return w
}

// Write queues p for the file and returns at once, unless Most bytes are
// already waiting. After Close it writes p directly.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	for len(w.pending) > 0 && len(w.pending)+len(p) > Most && !w.closed {
		w.room.Wait()
	}
	if w.closed {
		// After what was pending, never beside it: the goroutine needs mu to
		// finish, and once it has, mu orders the direct writes.
		w.mu.Unlock()
		<-w.done
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.out.Write(p)
	}
	w.pending = append(w.pending, p...)
	select {
	case w.wake <- struct{}{}:
	default: // a token is already waiting: the goroutine will take p with it
	}
	w.mu.Unlock()
	return len(p), nil
}

// run writes out what is pending each time it is woken, but not sooner
// than Gather after its previous write, until Close.
func (w *Writer) run() {
	defer close(w.done)
	var last time.Time
	for range w.wake {
		if wait := Gather - time.Since(last); wait > 0 {
			time.Sleep(wait)
		}
		w.mu.Lock()
		lines := w.pending
		w.pending, w.spare = w.spare[:0], nil
		w.room.Broadcast()
		w.mu.Unlock()
		if len(lines) == 0 {
			continue // a token left by lines the previous write took
		}
		last = time.Now()
		_, err := w.out.Write(lines)
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = err
		}
		if cap(lines) <= keep {
			w.spare = lines[:0]
		}
		w.mu.Unlock()
	}
}

// Close writes out every line logged before it and returns the first error
// the file gave, if any. Later writes go to the file directly.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return nil
	}
	w.closed = true
	close(w.wake) // the goroutine still takes a token already sent
	w.room.Broadcast()
	w.mu.Unlock()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
