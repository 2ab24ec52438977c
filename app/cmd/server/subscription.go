package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"transcoder/app/config"
	"transcoder/app/internal/metrics"
	"transcoder/app/subscription"
)

// startCheckBudget bounds the subscription check at start: on Lambda it runs
// in the function's init, which must never fail or linger because of it.
const startCheckBudget = 3 * time.Second

// checkEvery is how often a long-running server checks its subscription,
// as the Lambda schedule does.
const checkEvery = time.Minute

// subscriptionChecker builds the check that keeps the endpoint's SNS
// subscription confirmed, counting its results on reg; nil when
// SNS_SUBSCRIPTION_ENDPOINT is unset.
func subscriptionChecker(ctx context.Context, cfg *config.Config, logger *slog.Logger, reg *metrics.Registry) (*subscription.Checker, error) {
	sc := cfg.Subscription
	if sc.Endpoint == "" {
		return nil, nil
	}
	awsCfg, err := awsConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("SNS_SUBSCRIPTION_ENDPOINT: loading AWS configuration: %w", err)
	}
	checks := reg.CounterVec("transcoder_sns_subscription_checks_total",
		"Checks of the endpoint's own SNS subscription by result (confirmed, requested, pending, missing, failed, skipped).", "result")
	opts := subscription.Options{
		API:             awssns.NewFromConfig(awsCfg),
		TopicARN:        sc.TopicARN,
		Endpoint:        sc.Endpoint,
		SubscriptionARN: sc.ARN,
		Logger:          logger.With("component", "subscription"),
		OnCheck:         func(r subscription.Result) { checks.WithLabelValues(string(r)).Inc() },
	}
	return subscription.New(opts)
}

// checkAtStart checks the subscription once, within startCheckBudget; what
// it finds is logged, and nothing it finds stops the start.
func checkAtStart(ctx context.Context, c *subscription.Checker) {
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, startCheckBudget)
	defer cancel()
	c.Check(ctx) //nolint:errcheck // logged by the checker
}

// watchSubscription checks the subscription at start and then every
// interval until ctx is done: a server that is not on Lambda has no
// schedule to do it.
func watchSubscription(ctx context.Context, c *subscription.Checker, every time.Duration) {
	if c == nil {
		return
	}
	checkAtStart(ctx, c)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			checkAtStart(ctx, c)
		}
	}
}
