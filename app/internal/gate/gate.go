// Package gate lets a store refuse calls once it begins closing and wait
// for the calls already under way, so that Close never pulls a database out
// from under a call.
package gate

import "sync"

// Gate admits calls until Close. The zero value is open.
type Gate struct {
	mu       sync.RWMutex // guards closed against calls entering
	closed   bool
	inflight sync.WaitGroup
}

// Enter registers a call, or reports false once Close has begun. Every call
// admitted must Leave.
func (g *Gate) Enter() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return false
	}
	g.inflight.Add(1)
	return true
}

// Leave ends a call Enter admitted.
func (g *Gate) Leave() { g.inflight.Done() }

// Close refuses new calls and waits for those under way to Leave.
func (g *Gate) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.inflight.Wait()
}
