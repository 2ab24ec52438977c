package config

import (
	"net/url"
	"strings"

	"transcoder/app/settings"
)

// SubscriptionConfig names the endpoint's own SNS subscription, which the
// service keeps confirmed: at start and on every scheduled tick it looks at
// the subscription and, while it is pending confirmation, asks SNS to send a
// new confirmation. The check is off when Endpoint is empty (local mode).
type SubscriptionConfig struct {
	// Endpoint is the subscribed URL, exactly as subscribed: the Function
	// URL + /transcode-complete (SNS_SUBSCRIPTION_ENDPOINT).
	Endpoint string
	// TopicARN is the topic subscribed to (SNS_SUBSCRIPTION_TOPIC_ARN);
	// the first of SNS_TOPIC_ARNS by default.
	TopicARN string
	// ARN is the subscription's ARN if known (SNS_SUBSCRIPTION_ARN); empty,
	// or a placeholder such as "pending confirmation", means it is found by
	// listing the topic's subscriptions for Endpoint.
	ARN string
}

// loadSubscription reads the subscription the service keeps confirmed.
func (c *Config) loadSubscription(r *reader) {
	s := &c.Subscription
	s.Endpoint = r.get(settings.EnvSNSSubscriptionEndpoint, "")
	s.ARN = r.get(settings.EnvSNSSubscriptionARN, "")
	def := ""
	if len(c.TopicARNs) > 0 {
		def = c.TopicARNs[0]
	}
	s.TopicARN = r.get(settings.EnvSNSSubscriptionTopicARN, def)
	if s.Endpoint == "" {
		return
	}
	if u, err := url.Parse(s.Endpoint); err != nil || u.Scheme != "https" || u.Host == "" {
		r.bad(settings.EnvSNSSubscriptionEndpoint, "%q is not an https URL (the Function URL + /transcode-complete, as subscribed)", s.Endpoint)
	}
	if !settings.IsTopicARN(s.TopicARN) {
		r.bad(settings.EnvSNSSubscriptionTopicARN, "%q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>); SNS_SUBSCRIPTION_ENDPOINT needs it, or SNS_TOPIC_ARNS", s.TopicARN)
	}
	if strings.HasPrefix(s.ARN, "arn:") && !strings.HasPrefix(s.ARN, s.TopicARN+":") {
		r.bad(settings.EnvSNSSubscriptionARN, "%q is not a subscription to %s: unset it to find the subscription by listing the topic", s.ARN, s.TopicARN)
	}
}
