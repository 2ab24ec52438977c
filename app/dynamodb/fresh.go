package dynamodb

import (
	"sync"
	"time"
)

// freshWindow is how long Due looks up a job this store wrote with a call
// due at once, unless the index lists it or the job is no longer due first:
// the one-minute schedule that retries due calls finds it by then in any
// case. freshLimit bounds how many such jobs are remembered; past it, the
// others wait for the index.
const (
	freshWindow = time.Minute
	freshLimit  = 1024
)

// freshDue remembers the jobs this store has just written with a webhook
// call due at once, which byDue, eventually consistent, may not list yet.
// On Lambda the request that owes a call delivers it inline, right after
// the write: without this, that Due would often miss the call, which would
// then wait for the next scheduled pass.
type freshDue struct {
	mu   sync.Mutex
	ids  map[string]freshWrite
	seen uint64 // writes remembered so far, numbering them
}

// freshWrite is one remembered write.
type freshWrite struct {
	at time.Time
	n  uint64
}

// add remembers that id was written at t.
func (f *freshDue) add(id string, t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids == nil {
		f.ids = map[string]freshWrite{}
	}
	if _, ok := f.ids[id]; ok || len(f.ids) < freshLimit {
		f.seen++
		f.ids[id] = freshWrite{at: t, n: f.seen}
	}
}

// list returns the writes made within freshWindow of now, by job id,
// forgetting the older ones.
func (f *freshDue) list(now time.Time) map[string]freshWrite {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]freshWrite{}
	for id, w := range f.ids {
		if now.Sub(w.at) > freshWindow {
			delete(f.ids, id)
			continue
		}
		out[id] = w
	}
	return out
}

// forget drops the write w of id (as list returned it), once the index
// lists the job or it is no longer due; a later write of id is kept.
func (f *freshDue) forget(id string, w freshWrite) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids[id].n == w.n {
		delete(f.ids, id)
	}
}
