package config_test

import (
	"strings"
	"testing"

	"transcoder/app/config"
)

func TestTheSubscriptionCheckIsOffUntilItsEndpointIsNamed(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:transcoder-dev-events"
	const other = "arn:aws:sns:us-east-1:123456789012:other"
	const url = "https://abc.lambda-url.us-east-1.on.aws/transcode-complete"
	tests := []struct {
		name string
		env  map[string]string
		want config.SubscriptionConfig
		bad  string
	}{
		{"unset, it is off", map[string]string{"SNS_TOPIC_ARNS": topic}, config.SubscriptionConfig{TopicARN: topic}, ""},
		{"an endpoint checks the first allowed topic's subscription", map[string]string{"SNS_TOPIC_ARNS": topic + "," + other, "SNS_SUBSCRIPTION_ENDPOINT": url},
			config.SubscriptionConfig{Endpoint: url, TopicARN: topic}, ""},
		{"a topic of its own and a placeholder ARN are taken as given",
			map[string]string{"SNS_SUBSCRIPTION_ENDPOINT": url, "SNS_SUBSCRIPTION_TOPIC_ARN": other, "SNS_SUBSCRIPTION_ARN": "pending confirmation"},
			config.SubscriptionConfig{Endpoint: url, TopicARN: other, ARN: "pending confirmation"}, ""},
		{"an http endpoint is refused", map[string]string{"SNS_TOPIC_ARNS": topic, "SNS_SUBSCRIPTION_ENDPOINT": "http://abc/transcode-complete"},
			config.SubscriptionConfig{}, "SNS_SUBSCRIPTION_ENDPOINT"},
		{"an endpoint without any topic is refused", map[string]string{"SNS_SUBSCRIPTION_ENDPOINT": url},
			config.SubscriptionConfig{}, "SNS_SUBSCRIPTION_TOPIC_ARN"},
		{"the ARN of another topic's subscription is refused",
			map[string]string{"SNS_TOPIC_ARNS": topic, "SNS_SUBSCRIPTION_ENDPOINT": url, "SNS_SUBSCRIPTION_ARN": other + ":1234"},
			config.SubscriptionConfig{}, "SNS_SUBSCRIPTION_ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if tt.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("Load = %v, want an error naming %s", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Subscription != tt.want {
				t.Fatalf("Subscription = %+v, want %+v", c.Subscription, tt.want)
			}
		})
	}
}
