package transcoding

import (
	"errors"
	"fmt"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/quotas"
)

// Kind is what sort of refusal an *Error is: each kind is one answer of the
// API (package server maps them to status codes, in one place).
type Kind int

// The kinds of refusal.
const (
	// Invalid is a request that breaks a rule; sending it again cannot help.
	Invalid Kind = iota + 1
	// NotFound is a job, upload or notice that is not there, or is another
	// owner's.
	NotFound
	// Conflict is a request the job's state does not allow now.
	Conflict
	// OverQuota is a quota's refusal; the error wraps the *quotas.Exceeded.
	OverQuota
	// NotSupported is something this service's engine cannot do.
	NotSupported
	// EngineFailed is the transcoding engine refusing or failing a call.
	EngineFailed
	// Unavailable is a failure of the service's own (the store, storage,
	// the counts): trying again may help.
	Unavailable
)

// Error is why a use case refused or failed: its Kind, and a Message meant
// for the caller.
type Error struct {
	Kind Kind
	// Message says what was wrong and how to mend it, for the caller.
	Message string
	// Job, when set, is the job as it stands, shown beside the message.
	Job *jobs.Job
	// RetryAfter, when set, is how long to wait before trying again helps.
	RetryAfter time.Duration
	// Op is what the service was doing when an Unavailable failure struck,
	// for the log line; Err is the cause, which the caller is not told.
	Op  string
	Err error
}

// Error returns the caller's message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause: a *quotas.Exceeded for OverQuota, the failing
// dependency's error for Unavailable.
func (e *Error) Unwrap() error { return e.Err }

func invalid(format string, args ...any) *Error {
	return &Error{Kind: Invalid, Message: fmt.Sprintf(format, args...)}
}

func conflict(msg string, j *jobs.Job) *Error {
	return &Error{Kind: Conflict, Message: msg, Job: j}
}

// unavailable is a failure of a dependency while doing op.
func unavailable(op string, err error) *Error {
	return &Error{Kind: Unavailable, Message: op + " failed; try again", Op: op, Err: err}
}

// errNoJob answers for a job the caller may not see, or that is not there:
// the two read alike, so ids leak nothing.
var errNoJob = &Error{Kind: NotFound, Message: "no such job"}

// errNoNotice answers for a notice the caller may not see, or that is not
// there.
var errNoNotice = &Error{Kind: NotFound, Message: "no such message"}

// refusal turns a quota's error into the use case's: OverQuota for a limit
// met, Invalid for an empty file, and Unavailable when counting failed.
// field, if set, is the request field at fault.
func refusal(field string, err error) *Error {
	var ex *quotas.Exceeded
	switch {
	case errors.As(err, &ex):
		return &Error{Kind: OverQuota, Message: ex.Message, RetryAfter: ex.RetryAfter, Err: ex}
	case errors.Is(err, quotas.ErrEmpty):
		if field != "" {
			return invalid("%s: %v", field, err)
		}
		return invalid("%v", err)
	default:
		return unavailable("counting your jobs", err)
	}
}
