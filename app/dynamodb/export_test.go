package dynamodb

import "time"

// SetRetry changes how often and how patiently Apply retries a conflict.
func SetRetry(s *Store, attempts int, backoff time.Duration) {
	s.attempts, s.backoff, s.maxBackoff = attempts, backoff, backoff
}

// BeforePut makes Apply call f between reading a job and writing it back,
// where another writer's change makes the conditional write fail. Set it
// before the store's first call.
func BeforePut(s *Store, f func()) { s.beforePut = f }
