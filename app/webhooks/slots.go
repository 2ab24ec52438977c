package webhooks

import (
	"sync"

	"transcoder/app/jobs"
)

// slots keeps count of the jobs whose calls a dispatcher's workers are
// making, in all its passes at once: one worker per job, at most
// concurrency workers, and at most ownerCap of them for one owner.
type slots struct {
	concurrency int
	ownerCap    int

	mu       sync.Mutex
	inFlight int
	owners   map[string]int // workers per owner
	// busy holds the jobs being worked on; true when a pass found more due
	// for the job meanwhile.
	busy map[string]bool
	// changed is closed, and replaced, whenever a worker finishes.
	changed chan struct{}
}

func newSlots(concurrency int) *slots {
	return &slots{
		concurrency: concurrency,
		ownerCap:    max(1, concurrency/2),
		owners:      map[string]int{},
		busy:        map[string]bool{},
		changed:     make(chan struct{}),
	}
}

// A job's fate at start.
type startResult int

const (
	started startResult = iota // the caller runs a worker for the job
	wait                       // no slot for now: try again once one is freed
	taken                      // a worker has the job already, and will look again
)

// start takes a slot for j's calls, if one is free and j's owner has fewer
// than its share. When a worker has j already, start asks it to kick
// another pass once it is done, so that the calls found meanwhile are made.
func (s *slots) start(j *jobs.Job) startResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.busy[j.ID]; busy {
		s.busy[j.ID] = true
		return taken
	}
	if s.inFlight >= s.concurrency || s.owners[j.Owner] >= s.ownerCap {
		return wait
	}
	s.busy[j.ID] = false
	s.inFlight++
	s.owners[j.Owner]++
	return started
}

// freed returns a channel closed when a worker next finishes. Taken before
// start is tried, it cannot miss a slot freed in between.
func (s *slots) freed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// release gives back the slot of a worker on j, and reports whether a pass
// found more due for j meanwhile.
func (s *slots) release(j *jobs.Job) (again bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	again = s.busy[j.ID]
	delete(s.busy, j.ID)
	s.inFlight--
	if s.owners[j.Owner]--; s.owners[j.Owner] == 0 {
		delete(s.owners, j.Owner)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return again
}

// finish ends the worker on j, kicking a pass when one skipped j meanwhile.
func (d *Dispatcher) finish(j *jobs.Job) {
	if d.slots.release(j) {
		d.Kick()
	}
}
