// Package quotas bounds what one owner may make the service do: how large a
// file it uploads, how long an input runs, how many jobs it submits a day,
// has unfinished at once, and runs on one upload. It knows nothing of HTTP:
// the server asks it before work starts and tells it when a job ends, and
// answers its *Exceeded as a 429 that names the limit.
//
// Counts are kept as sets of job ids in the job store (jobs.Tallies), each
// admitted by one single-item conditional write, so that concurrent
// submissions on many processes never pass a limit together, and a retried
// request or a duplicated event counts once.
package quotas

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"transcoder/app/jobs"
)

// Limits are the bounds; zero turns one off.
type Limits struct {
	MaxUploadSize    int64
	MaxInputDuration time.Duration
	JobsPerDay       int
	JobsRunning      int
	JobsPerUpload    int
}

// Names of the limits, as the configuration spells them: what a refusal
// names, so a person knows which setting applies.
const (
	MaxUploadSize    = "MAX_UPLOAD_SIZE"
	MaxInputDuration = "MAX_INPUT_DURATION"
	JobsPerDay       = "JOBS_PER_DAY"
	JobsRunning      = "JOBS_RUNNING"
	JobsPerUpload    = "JOBS_PER_UPLOAD"
)

// Exceeded is a refusal: which limit, its value, and when trying again may
// succeed (zero: not by waiting).
type Exceeded struct {
	Limit      string
	Value      int64
	RetryAfter time.Duration
	// Message says what happened and what to do, in plain words.
	Message string
}

func (e *Exceeded) Error() string { return e.Message }

// Keeper applies Limits to owners. The operator (owner "" with operator
// true) is bound by none of them. A nil *Keeper bounds nothing but empty
// files.
type Keeper struct {
	Limits  Limits
	Tallies jobs.Tallies
	// Jobs is read to free running places whose jobs have ended without
	// telling (a process that stopped between the two).
	Jobs jobs.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (k *Keeper) now() time.Time {
	if k.Now != nil {
		return k.Now().UTC()
	}
	return time.Now().UTC()
}

// CheckUpload refuses an upload of size bytes past MaxUploadSize. An empty
// file is refused too: there is nothing to transcode.
func (k *Keeper) CheckUpload(size int64) error {
	if size <= 0 {
		return ErrEmpty
	}
	if k == nil {
		return nil
	}
	if max := k.Limits.MaxUploadSize; max > 0 && size > max {
		return &Exceeded{Limit: MaxUploadSize, Value: max,
			Message: fmt.Sprintf("this file is %s; this service takes files up to %s (%s)", Bytes(size), Bytes(max), MaxUploadSize)}
	}
	return nil
}

// ErrEmpty refuses a file of no bytes.
var ErrEmpty = errors.New("the file is empty: there is nothing in it to transcode; choose the file again, or export it again from the program that made it")

// CheckDuration refuses an input that runs longer than MaxInputDuration.
func (k *Keeper) CheckDuration(d time.Duration) error {
	if k == nil {
		return nil
	}
	if max := k.Limits.MaxInputDuration; max > 0 && d > max {
		return &Exceeded{Limit: MaxInputDuration, Value: int64(max / time.Second),
			Message: fmt.Sprintf("this file is %s long; this service takes files up to %s (%s): trim it or split it, then upload again",
				Duration(d), Duration(max), MaxInputDuration)}
	}
	return nil
}

// Admission is a job's place in the owner's counts, taken by Admit.
type Admission struct {
	k     *Keeper
	taken []place
}

type place struct{ key, member string }

// Admit takes the job's places in every count that applies to owner: the
// upload's jobs, the owner's jobs today, and its unfinished jobs. Past a
// limit it takes none and returns the *Exceeded that refused it. The running
// place is given back by Ended once the job is terminal; on a submission
// that fails before the job exists, call Admission.Undo.
func (k *Keeper) Admit(ctx context.Context, owner, upload, jobID string, operator bool) (*Admission, error) {
	a := &Admission{k: k}
	if k == nil || operator {
		return a, nil
	}
	now := k.now()
	tomorrow := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	counts := []struct {
		name    string
		limit   int
		key     string
		member  string
		expires time.Time
	}{
		{JobsPerUpload, k.Limits.JobsPerUpload, "upload:" + upload, jobID, now.Add(90 * 24 * time.Hour)},
		{JobsPerDay, k.Limits.JobsPerDay, "day:" + owner + ":" + now.Format(time.DateOnly), jobID, tomorrow.Add(24 * time.Hour)},
		// A running place names when it was taken, so that a sweep can
		// tell a job being stored right now from one that never was.
		{JobsRunning, k.Limits.JobsRunning, runningKey(owner), jobID + "@" + strconv.FormatInt(now.Unix(), 10), time.Time{}},
	}
	for _, c := range counts {
		if c.limit <= 0 {
			continue
		}
		ok, err := k.admit(ctx, c.name, c.key, c.member, c.limit, c.expires)
		if err == nil && !ok {
			err = k.refusal(c.name, c.limit, now, tomorrow)
		}
		if err != nil {
			a.Undo(context.WithoutCancel(ctx))
			return nil, err
		}
		a.taken = append(a.taken, place{c.key, c.member})
	}
	return a, nil
}

// orphanAge is how long after taking a running place a job must exist in
// the store: past it, a place whose job is not there (its submission
// stopped between the two) is swept.
const orphanAge = 2 * time.Minute

// runningPlace splits a running place into its job and when it was taken.
func runningPlace(member string) (jobID string, taken time.Time) {
	id, at, _ := strings.Cut(member, "@")
	sec, _ := strconv.ParseInt(at, 10, 64)
	return id, time.Unix(sec, 0)
}

// admit takes one place; for the running count, a refusal first frees the
// places of jobs that have ended, then tries once more.
func (k *Keeper) admit(ctx context.Context, name, key, member string, limit int, expires time.Time) (bool, error) {
	ok, _, err := k.Tallies.Admit(ctx, key, member, limit, expires)
	if err != nil || ok || name != JobsRunning || k.Jobs == nil {
		return ok, err
	}
	freed, err := k.sweep(ctx, key)
	if err != nil || freed == 0 {
		return false, err
	}
	ok, _, err = k.Tallies.Admit(ctx, key, member, limit, expires)
	return ok, err
}

// sweep releases the running places of jobs that are terminal (or gone).
func (k *Keeper) sweep(ctx context.Context, key string) (int, error) {
	members, err := k.Tallies.Members(ctx, key)
	if err != nil {
		return 0, err
	}
	freed := 0
	for _, m := range members {
		id, taken := runningPlace(m)
		j, err := k.Jobs.Get(ctx, id)
		switch {
		case errors.Is(err, jobs.ErrNotFound) && k.now().Sub(taken) > orphanAge, err == nil && j.State.Terminal():
		case err != nil && !errors.Is(err, jobs.ErrNotFound):
			return freed, err
		default:
			continue
		}
		if err := k.Tallies.Release(ctx, key, m); err != nil {
			return freed, err
		}
		freed++
	}
	return freed, nil
}

func (k *Keeper) refusal(name string, limit int, now, tomorrow time.Time) *Exceeded {
	switch name {
	case JobsPerUpload:
		return &Exceeded{Limit: name, Value: int64(limit),
			Message: fmt.Sprintf("this upload has been transcoded %d times, as many as this service allows (%s): upload the file again to run more jobs on it", limit, name)}
	case JobsPerDay:
		return &Exceeded{Limit: name, Value: int64(limit), RetryAfter: tomorrow.Sub(now),
			Message: fmt.Sprintf("you have started %d jobs today, as many as this service allows a day (%s): try again after midnight UTC", limit, name)}
	default:
		return &Exceeded{Limit: name, Value: int64(limit), RetryAfter: 30 * time.Second,
			Message: fmt.Sprintf("you have %d jobs unfinished, as many as this service runs at once for one person (%s): wait for one to finish, then try again", limit, name)}
	}
}

// Undo gives back every place the admission took: for a job that was never
// started.
func (a *Admission) Undo(ctx context.Context) error {
	var errs []error
	for _, p := range a.taken {
		errs = append(errs, a.k.Tallies.Release(ctx, p.key, p.member))
	}
	a.taken = nil
	return errors.Join(errs...)
}

// Ended gives back j's running place once j is terminal; it is harmless to
// call more than once, and does nothing for an open job.
func (k *Keeper) Ended(ctx context.Context, j *jobs.Job) error {
	if k == nil || k.Limits.JobsRunning <= 0 || !j.State.Terminal() || j.Owner == "" {
		return nil
	}
	key := runningKey(j.Owner)
	members, err := k.Tallies.Members(ctx, key)
	if err != nil {
		return err
	}
	for _, m := range members {
		if id, _ := runningPlace(m); id == j.ID {
			if err := k.Tallies.Release(ctx, key, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func runningKey(owner string) string { return "running:" + owner }

// Bytes says a size the way a person reads it.
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, u := float64(n), ""
	for _, s := range []string{"KB", "MB", "GB", "TB"} {
		if v /= unit; v < unit {
			u = s
			break
		}
		u = s
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), u)
	}
	return fmt.Sprintf("%.1f %s", v, u)
}

// Duration says a duration the way a person reads it: 1h12m, 30m, 45s.
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	case m > 0 && s > 0:
		return fmt.Sprintf("%dm%ds", m, s)
	case m > 0:
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%ds", s)
}
