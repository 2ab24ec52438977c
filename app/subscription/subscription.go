// Package subscription keeps the endpoint's SNS subscription confirmed.
//
// SNS sends a new HTTPS subscription's SubscriptionConfirmation once. If it
// reaches the Function URL before the URL's permissions take effect (a 403),
// SNS takes it as delivered and never sends it again, and the subscription
// stays PendingConfirmation, delivering nothing. A Checker, run at start and
// on the function's scheduled tick, notices that and asks SNS to send a new
// confirmation (Subscribe with the same topic, protocol and endpoint), which
// the endpoint then confirms as it confirms any other.
package subscription

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
)

// API is the part of the SNS API a Checker calls; *sns.Client is the real
// one.
type API interface {
	GetSubscriptionAttributes(ctx context.Context, in *awssns.GetSubscriptionAttributesInput, opts ...func(*awssns.Options)) (*awssns.GetSubscriptionAttributesOutput, error)
	ListSubscriptionsByTopic(ctx context.Context, in *awssns.ListSubscriptionsByTopicInput, opts ...func(*awssns.Options)) (*awssns.ListSubscriptionsByTopicOutput, error)
	Subscribe(ctx context.Context, in *awssns.SubscribeInput, opts ...func(*awssns.Options)) (*awssns.SubscribeOutput, error)
}

// Defaults for the zero values of Options.
const (
	// DefaultResubscribeInterval is the least time between two
	// confirmation requests: SNS throttles Subscribe, and a confirmation
	// takes a few seconds to arrive and be confirmed.
	DefaultResubscribeInterval = 5 * time.Minute
	// DefaultConfirmedInterval is how long a subscription seen confirmed
	// is taken to stay so before it is looked at again.
	DefaultConfirmedInterval = time.Hour
)

// pendingARN is what SNS (and so Pulumi) gives instead of the ARN of a
// subscription that is not confirmed.
const pendingARN = "PendingConfirmation"

// Options configures a Checker.
type Options struct {
	// API is the SNS client.
	API API
	// TopicARN is the topic the endpoint is subscribed to.
	TopicARN string
	// Endpoint is the subscribed URL, exactly as subscribed (the Function
	// URL + /transcode-complete).
	Endpoint string
	// SubscriptionARN is the subscription's ARN if known; empty, or
	// anything that is not an ARN (Pulumi's "pending confirmation"), means
	// it is found by listing the topic's subscriptions for Endpoint.
	SubscriptionARN string
	// ResubscribeInterval is the least time between two confirmation
	// requests; zero means DefaultResubscribeInterval.
	ResubscribeInterval time.Duration
	// ConfirmedInterval is how long a confirmed subscription is left
	// alone; zero means DefaultConfirmedInterval.
	ConfirmedInterval time.Duration
	// Logger says what each check found and did; nil logs nothing.
	Logger *slog.Logger
	// OnCheck, if set, is told each check's Result, for metrics.
	OnCheck func(Result)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Result is what one Check found and did.
type Result string

// The results of a check.
const (
	// Skipped: the subscription was seen confirmed lately, or confirmation
	// was requested lately; nothing was asked of SNS.
	Skipped Result = "skipped"
	// Confirmed: the subscription is confirmed; nothing to do.
	Confirmed Result = "confirmed"
	// Requested: the subscription is pending, and SNS was asked to send a
	// new confirmation.
	Requested Result = "requested"
	// Pending: the subscription is pending, and confirmation was requested
	// too recently to ask again.
	Pending Result = "pending"
	// Missing: the topic has no subscription for the endpoint; that is for
	// the stack (pulumi up) to fix, not for the endpoint.
	Missing Result = "missing"
	// Failed: SNS could not be asked; the next check tries again.
	Failed Result = "failed"
)

// Checker checks one subscription. It is safe for concurrent use; checks run
// one at a time.
type Checker struct {
	opts Options

	mu sync.Mutex
	// endpoint is Options.Endpoint.
	endpoint string
	// arn is the subscription's ARN, if given.
	arn string
	// quietUntil is when the next check asks SNS anything.
	quietUntil time.Time
	// requested is when confirmation was last requested.
	requested time.Time
}

// New checks opts and returns a Checker.
func New(opts Options) (*Checker, error) {
	switch {
	case opts.API == nil:
		return nil, errors.New("subscription: Options.API is nil")
	case !strings.HasPrefix(opts.TopicARN, "arn:"):
		return nil, fmt.Errorf("subscription: Options.TopicARN %q is not an SNS topic ARN", opts.TopicARN)
	case !strings.HasPrefix(opts.Endpoint, "https://"):
		return nil, fmt.Errorf("subscription: Options.Endpoint %q is not an https URL", opts.Endpoint)
	case opts.ResubscribeInterval < 0 || opts.ConfirmedInterval < 0:
		return nil, errors.New("subscription: the intervals of Options must not be negative")
	}
	if opts.ResubscribeInterval == 0 {
		opts.ResubscribeInterval = DefaultResubscribeInterval
	}
	if opts.ConfirmedInterval == 0 {
		opts.ConfirmedInterval = DefaultConfirmedInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Checker{opts: opts, endpoint: opts.Endpoint}
	if isARN(opts.SubscriptionARN) {
		c.arn = opts.SubscriptionARN
	}
	return c, nil
}

// Tick checks the subscription, for the function's scheduled event; the
// Result is logged and counted, and an error does not stop the tick.
func (c *Checker) Tick(ctx context.Context) { c.Check(ctx) }

// Check looks at the subscription and, when it is pending and confirmation
// was not requested within ResubscribeInterval, asks SNS to send a new
// confirmation. Errors are logged and returned as well: they are never fatal
// to the caller, and the next check tries again.
func (c *Checker) Check(ctx context.Context) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.check(ctx)
	log := c.opts.Logger.With("topic", c.opts.TopicARN, "endpoint", c.endpoint, "result", string(r))
	if c.arn != "" {
		log = log.With("subscription", c.arn)
	}
	switch r {
	case Skipped:
		log.Debug("sns subscription check skipped: looked at lately")
	case Confirmed:
		log.Info("sns subscription is confirmed")
	case Requested:
		log.Warn("sns subscription is pending confirmation: asked SNS to send a new confirmation")
	case Pending:
		log.Warn("sns subscription is still pending confirmation; confirmation was asked for lately",
			"asked", c.requested.UTC().Format(time.RFC3339))
	case Missing:
		log.Error("sns topic has no subscription for this endpoint: run pulumi up to create it")
	case Failed:
		log.Error("sns subscription check failed; the next check tries again", "err", err)
	}
	if c.opts.OnCheck != nil {
		c.opts.OnCheck(r)
	}
	return r, err
}

func (c *Checker) check(ctx context.Context) (Result, error) {
	now := c.opts.Now()
	if now.Before(c.quietUntil) {
		return Skipped, nil
	}
	pending, err := c.pending(ctx)
	switch {
	case err != nil:
		return Failed, err
	case pending == nil:
		return Missing, nil
	case !*pending:
		c.quietUntil = now.Add(c.opts.ConfirmedInterval)
		return Confirmed, nil
	}
	if !c.requested.IsZero() && now.Sub(c.requested) < c.opts.ResubscribeInterval {
		return Pending, nil
	}
	// Counted before the call: a failed or throttled call must wait too.
	c.requested = now
	if _, err := c.opts.API.Subscribe(ctx, &awssns.SubscribeInput{
		TopicArn:              &c.opts.TopicARN,
		Protocol:              ptr("https"),
		Endpoint:              &c.endpoint,
		ReturnSubscriptionArn: true,
	}); err != nil {
		return Failed, fmt.Errorf("sns:Subscribe %s to %s: %w", c.endpoint, c.opts.TopicARN, err)
	}
	return Requested, nil
}

// pending says whether the subscription is pending confirmation; nil means
// there is no such subscription. A subscription whose ARN is known is asked
// for its PendingConfirmation attribute; otherwise the topic's list of
// subscriptions tells, since it shows a pending one's ARN as
// "PendingConfirmation". The list is read at every check rather than the
// ARN kept: so a function that may list the topic's subscriptions needs no
// permission on any subscription.
func (c *Checker) pending(ctx context.Context) (*bool, error) {
	if c.arn == "" {
		arn, found, err := c.find(ctx)
		if err != nil || !found {
			return nil, err
		}
		return ptr(arn == pendingARN), nil
	}
	out, err := c.opts.API.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &c.arn})
	if err != nil {
		var nf interface{ ErrorCode() string }
		if errors.As(err, &nf) && nf.ErrorCode() == "NotFound" {
			// Deleted since (a pending one expires after three days):
			// look for it by listing from now on.
			c.arn = ""
			return nil, nil
		}
		return nil, fmt.Errorf("sns:GetSubscriptionAttributes %s: %w", c.arn, err)
	}
	return ptr(out.Attributes["PendingConfirmation"] == "true"), nil
}

// find lists the topic's subscriptions for the endpoint's: its ARN, which is
// "PendingConfirmation" while it is pending.
func (c *Checker) find(ctx context.Context) (arn string, found bool, err error) {
	in := &awssns.ListSubscriptionsByTopicInput{TopicArn: &c.opts.TopicARN}
	for {
		out, err := c.opts.API.ListSubscriptionsByTopic(ctx, in)
		if err != nil {
			return "", false, fmt.Errorf("sns:ListSubscriptionsByTopic %s: %w", c.opts.TopicARN, err)
		}
		for _, s := range out.Subscriptions {
			if deref(s.Protocol) == "https" && deref(s.Endpoint) == c.endpoint {
				return deref(s.SubscriptionArn), true, nil
			}
		}
		if deref(out.NextToken) == "" {
			return "", false, nil
		}
		in.NextToken = out.NextToken
	}
}

// isARN tells a subscription ARN from the placeholders given for a pending
// one ("PendingConfirmation", "pending confirmation").
func isARN(s string) bool { return strings.HasPrefix(s, "arn:") }

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
