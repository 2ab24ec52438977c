package localengine

import "slices"

// fairQueue holds the jobs waiting for a slot, served round-robin across
// their owners rather than first-in first-out: the next job comes from the
// owner after the one served last (owners in the order they joined the
// queue), and each owner's own jobs go in the order they were queued. An
// owner who queues hundreds of jobs so delays another owner's next job by
// at most one job per owner ahead of it in the round, not by all of its own.
//
// It is not safe for concurrent use: the Engine guards it with its mutex.
type fairQueue struct {
	// owners lists, in the order they joined, every owner with a queued
	// job, and the owner served last even when it has none left, so that
	// the round goes on from its place. Every other owner has a job queued.
	owners []*ownerJobs
	// last is the index in owners of the owner served last, -1 for none.
	last int
}

// ownerJobs is one owner's queued jobs, oldest first.
type ownerJobs struct {
	owner string
	jobs  []*job
}

func newFairQueue() *fairQueue { return &fairQueue{last: -1} }

// push queues j behind its owner's other queued jobs; an owner new to the
// queue joins the round at its end.
func (q *fairQueue) push(j *job) {
	if i := q.find(j.req.Owner); i >= 0 {
		q.owners[i].jobs = append(q.owners[i].jobs, j)
		return
	}
	q.owners = append(q.owners, &ownerJobs{owner: j.req.Owner, jobs: []*job{j}})
}

// pop takes the next job in the round, or nil when none is queued.
func (q *fairQueue) pop() *job {
	n := len(q.owners)
	for k := 1; k <= n; k++ {
		i := (q.last + k) % n
		o := q.owners[i]
		if len(o.jobs) == 0 {
			continue // the owner served last, with nothing left
		}
		j := o.jobs[0]
		o.jobs[0] = nil
		o.jobs = o.jobs[1:]
		prev := q.last
		q.last = i
		if prev >= 0 && prev != i && len(q.owners[prev].jobs) == 0 {
			q.drop(prev) // its place in the round is no longer needed
		}
		return j
	}
	return nil
}

// remove takes j out of the queue (a queued job canceled or stopped), and
// reports whether it was there.
func (q *fairQueue) remove(j *job) bool {
	i := q.find(j.req.Owner)
	if i < 0 {
		return false
	}
	o := q.owners[i]
	k := slices.Index(o.jobs, j)
	if k < 0 {
		return false
	}
	o.jobs = slices.Delete(o.jobs, k, k+1)
	if len(o.jobs) == 0 && i != q.last {
		q.drop(i)
	}
	return true
}

// drop removes the owner at index i from the round, keeping last on the
// same owner, or, when that owner is the one dropped, on the one before it,
// so that the round goes on with the owner that came after it.
func (q *fairQueue) drop(i int) {
	q.owners = slices.Delete(q.owners, i, i+1)
	if i <= q.last {
		q.last--
	}
}

func (q *fairQueue) find(owner string) int {
	return slices.IndexFunc(q.owners, func(o *ownerJobs) bool { return o.owner == owner })
}
