package webhooks

import (
	"math/rand/v2"
	"time"
)

// The default retry schedule: DefaultMaxAttempts calls, the delay between
// them growing from firstRetry by doubling up to maxRetry, each delay
// jittered by up to a tenth either way.
//
// Receivers are most often down for a night or a weekend morning, not for
// seconds, so the schedule spans about a day: the last call comes 22 to 27
// hours after the first (RetryWindow computes it; a test keeps this figure,
// the package documentation's and the README's equal to it).
const (
	// DefaultMaxAttempts is how many calls a transition gets, the first
	// included, unless Options.MaxAttempts says otherwise.
	DefaultMaxAttempts = 20

	firstRetry = time.Second
	maxRetry   = 4 * time.Hour
	// jitter is the fraction of a delay that is random either way, so that
	// calls that failed together (a receiver that was down) do not all
	// come back at the same moment.
	jitter = 10
)

// DefaultBackoff is the delay before the next call after attempt failed
// calls (attempt counts from 1): a nominal 1s doubling with each attempt up
// to 4h (reached after the fifteenth failed call), made up to a tenth
// shorter or longer at random. See BackoffBounds for the exact range.
func DefaultBackoff(attempt int) time.Duration {
	lo, hi := BackoffBounds(attempt)
	return lo + rand.N(hi-lo+1)
}

// BackoffBounds returns the shortest and longest delay DefaultBackoff may
// give after attempt failed calls.
func BackoffBounds(attempt int) (lo, hi time.Duration) {
	nominal := maxRetry
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 15 { // 1s << 14 is past 4h
		nominal = min(maxRetry, firstRetry<<(attempt-1))
	}
	return nominal - nominal/jitter, nominal + nominal/jitter
}

// RetryWindow returns the shortest and longest time from the first call of
// a transition to its last under DefaultBackoff, when every call fails and
// maxAttempts calls are made: how long a receiver may be down and still get
// the call.
func RetryWindow(maxAttempts int) (shortest, longest time.Duration) {
	for attempt := 1; attempt < maxAttempts; attempt++ {
		lo, hi := BackoffBounds(attempt)
		shortest += lo
		longest += hi
	}
	return shortest, longest
}
