package webhooks

import (
	"math/rand/v2"
	"time"
)

// The bounds of DefaultBackoff.
const (
	firstRetry = time.Second
	maxRetry   = time.Hour
)

// DefaultBackoff is the delay before the next call after attempt failed
// calls (attempt counts from 1): a ceiling of 1s doubling with each attempt
// up to 1h, less a random quarter of it, so that calls that failed together
// (a receiver that was down) do not all come back at the same moment.
// With the default of 10 attempts, the tenth and last call is made 6.5 to
// 8.5 minutes after the first; the one-hour ceiling is reached after the
// thirteenth failed call.
func DefaultBackoff(attempt int) time.Duration {
	ceiling := maxRetry
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 12 { // 1s << 12 is past the hour
		ceiling = min(maxRetry, firstRetry<<(attempt-1))
	}
	return ceiling - rand.N(ceiling/4)
}
