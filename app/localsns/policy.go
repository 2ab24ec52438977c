package localsns

import (
	"fmt"
	"math"
	"time"
)

// Backoff names how the delays of the backoff phase grow from MinDelay to
// MaxDelay, as the backoffFunction of an SNS delivery policy does.
type Backoff int

const (
	// Linear grows the delay by equal steps (SNS's default).
	Linear Backoff = iota
	// Exponential doubles the step each retry: short delays first, then a
	// steep climb to MaxDelay.
	Exponential
)

// String returns the name SNS gives the function.
func (b Backoff) String() string {
	switch b {
	case Linear:
		return "linear"
	case Exponential:
		return "exponential"
	}
	return fmt.Sprintf("Backoff(%d)", int(b))
}

// MaxRetryTime is the longest a delivery may be retried for: SNS refuses
// an HTTP/S delivery policy whose delays add up to more, and the
// application's verifier refuses messages older than that anyway.
const MaxRetryTime = time.Hour

// DeliveryPolicy is the healthyRetryPolicy of an SNS HTTP/S subscription,
// plus the per-attempt timeout. A delivery is tried once, then retried up
// to NumRetries times in four phases, as SNS does:
//
//  1. NumNoDelayRetries retries at once;
//  2. NumMinDelayRetries retries MinDelay apart (pre-backoff);
//  3. the remaining NumRetries − NumNoDelayRetries − NumMinDelayRetries −
//     NumMaxDelayRetries retries with delays growing from MinDelay to
//     MaxDelay by Backoff;
//  4. NumMaxDelayRetries retries MaxDelay apart (post-backoff).
//
// An attempt fails, and is retried, only on a 5xx status, a timeout or a
// connection error; any status from 200 to 499 counts as delivered, as it
// does for SNS. Unlike SNS, delays are not jittered, so that tests are
// repeatable; and the retry count starts again after a restart.
//
// The zero DeliveryPolicy means DefaultDeliveryPolicy. To never retry, set
// any other field (Timeout, say) and leave NumRetries zero.
type DeliveryPolicy struct {
	NumRetries         int           // retries after the first attempt, in all phases
	NumNoDelayRetries  int           // phase 1
	NumMinDelayRetries int           // phase 2
	NumMaxDelayRetries int           // phase 4
	MinDelay           time.Duration // the pre-backoff delay, where backoff starts
	MaxDelay           time.Duration // where backoff ends, the post-backoff delay
	Backoff            Backoff       // how phase 3 grows; Linear if unset
	Timeout            time.Duration // per attempt; zero means DefaultTimeout
}

// MaxNumRetries is the most retries SNS allows in a delivery policy.
const MaxNumRetries = 100

// DefaultTimeout is how long SNS waits for an HTTP/S endpoint to answer.
const DefaultTimeout = 15 * time.Second

// DefaultDeliveryPolicy is SNS's default for HTTP/S subscriptions: three
// retries 20 seconds apart.
var DefaultDeliveryPolicy = DeliveryPolicy{
	NumRetries: 3,
	MinDelay:   20 * time.Second,
	MaxDelay:   20 * time.Second,
	Backoff:    Linear,
	Timeout:    DefaultTimeout,
}

// normalize applies the defaults and checks p, naming the bad field.
func (p DeliveryPolicy) normalize() (DeliveryPolicy, error) {
	if p == (DeliveryPolicy{}) {
		return DefaultDeliveryPolicy, nil
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTimeout
	}
	bad := func(format string, args ...any) (DeliveryPolicy, error) {
		return p, fmt.Errorf("localsns: Options.Policy."+format, args...)
	}
	switch {
	case p.NumRetries < 0 || p.NumRetries > MaxNumRetries:
		return bad("NumRetries %d is not between 0 and %d", p.NumRetries, MaxNumRetries)
	case p.NumNoDelayRetries < 0:
		return bad("NumNoDelayRetries %d is negative", p.NumNoDelayRetries)
	case p.NumMinDelayRetries < 0:
		return bad("NumMinDelayRetries %d is negative", p.NumMinDelayRetries)
	case p.NumMaxDelayRetries < 0:
		return bad("NumMaxDelayRetries %d is negative", p.NumMaxDelayRetries)
	case p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries:
		return bad("NumRetries %d is less than NumNoDelayRetries + NumMinDelayRetries + NumMaxDelayRetries (%d)",
			p.NumRetries, p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries)
	case p.MinDelay < 0:
		return bad("MinDelay %v is negative", p.MinDelay)
	case p.MaxDelay < p.MinDelay:
		return bad("MaxDelay %v is less than MinDelay %v", p.MaxDelay, p.MinDelay)
	case p.Backoff != Linear && p.Backoff != Exponential:
		return bad("Backoff %v is not Linear or Exponential", p.Backoff)
	case p.Timeout < 0:
		return bad("Timeout %v is negative", p.Timeout)
	}
	var total time.Duration
	for n := 1; n <= p.NumRetries; n++ {
		total += p.delay(n)
	}
	if total > MaxRetryTime {
		return bad("delays add up to %v, more than SNS's limit of %v", total, MaxRetryTime)
	}
	return p, nil
}

// delay returns how long to wait before retry n (1 for the first retry).
func (p DeliveryPolicy) delay(n int) time.Duration {
	if n <= p.NumNoDelayRetries {
		return 0
	}
	n -= p.NumNoDelayRetries
	if n <= p.NumMinDelayRetries {
		return p.MinDelay
	}
	n -= p.NumMinDelayRetries
	steps := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	if n > steps {
		return p.MaxDelay
	}
	// Retry n of steps: the fraction of the way from MinDelay to MaxDelay.
	span := float64(p.MaxDelay - p.MinDelay)
	var f float64
	switch p.Backoff {
	case Exponential:
		f = (math.Exp2(float64(n)) - 1) / (math.Exp2(float64(steps)) - 1)
	default:
		f = float64(n) / float64(steps)
	}
	return p.MinDelay + time.Duration(span*f)
}
