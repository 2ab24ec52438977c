//go:build !transcoder_lambda

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"transcoder/app/config"
	"transcoder/app/internal/snstest"
)

// pendingSNS stands in for the SNS Query API on loopback with one
// subscription that stays pending, and records each request's Action.
type pendingSNS struct {
	mu      sync.Mutex
	actions []string
}

func (p *pendingSNS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	action := r.PostForm.Get("Action")
	p.mu.Lock()
	p.actions = append(p.actions, action+" "+r.PostForm.Get("SubscriptionArn")+r.PostForm.Get("Endpoint"))
	p.mu.Unlock()
	var result string
	switch action {
	case "GetSubscriptionAttributes":
		result = `<GetSubscriptionAttributesResult><Attributes><entry><key>PendingConfirmation</key><value>true</value></entry></Attributes></GetSubscriptionAttributesResult>`
	case "ListSubscriptionsByTopic":
		result = `<ListSubscriptionsByTopicResult><Subscriptions><member><TopicArn>` + topic + `</TopicArn><Protocol>https</Protocol>` +
			`<SubscriptionArn>PendingConfirmation</SubscriptionArn><Owner>123456789012</Owner>` +
			`<Endpoint>https://abc.lambda-url.us-east-1.on.aws/transcode-complete</Endpoint></member></Subscriptions></ListSubscriptionsByTopicResult>`
	case "Subscribe":
		result = `<SubscribeResult><SubscriptionArn>` + topic + `:sub-1</SubscriptionArn></SubscribeResult>`
	default:
		http.Error(w, "unexpected "+action, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">%s<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></%sResponse>`, action, result, action)
}

func (p *pendingSNS) taken() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.actions
	p.actions = nil
	return out
}

func TestTheFunctionReRequestsConfirmationOfAPendingSubscriptionAtStartThenRateLimitsItsTicks(t *testing.T) {
	const endpoint = "https://abc.lambda-url.us-east-1.on.aws/transcode-complete"
	tests := []struct {
		name string
		env  map[string]string
		// start and tick are the requests made at start and on the tick.
		start, tick []string
	}{
		{"with the subscription's ARN given, its attributes are read",
			map[string]string{"SNS_SUBSCRIPTION_ENDPOINT": endpoint, "SNS_SUBSCRIPTION_ARN": topic + ":sub-1"},
			[]string{"GetSubscriptionAttributes " + topic + ":sub-1", "Subscribe " + endpoint},
			[]string{"GetSubscriptionAttributes " + topic + ":sub-1"}},
		{"with the ARN Pulumi gives a pending subscription, the topic's subscriptions are listed",
			map[string]string{"SNS_SUBSCRIPTION_ENDPOINT": endpoint, "SNS_SUBSCRIPTION_TOPIC_ARN": topic, "SNS_SUBSCRIPTION_ARN": "pending confirmation"},
			[]string{"ListSubscriptionsByTopic ", "Subscribe " + endpoint},
			[]string{"ListSubscriptionsByTopic "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &pendingSNS{}
			stand := httptest.NewServer(api)
			defer stand.Close()
			home := t.TempDir()
			for k, v := range map[string]string{
				"AWS_ENDPOINT_URL_SNS": stand.URL, "AWS_REGION": "us-east-1",
				"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
				"AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
			} {
				t.Setenv(k, v)
			}
			signer, err := snstest.NewSigner(topic)
			if err != nil {
				t.Fatal(err)
			}
			env := testEnv(t, signer, t.TempDir())
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			logger := slog.New(slog.DiscardHandler)
			svc, err := newService(context.Background(), cfg, logger, "http://127.0.0.1:1")
			if err != nil {
				t.Fatal(err)
			}
			defer svc.close(logger)

			checkAtStart(context.Background(), svc.subscription)
			if got := api.taken(); !slices.Equal(got, tt.start) {
				t.Fatalf("at start the function asked %q, want %q: a look, then a new confirmation", got, tt.start)
			}
			handle := lambdaHandler(svc.srv, svc.webhooks, svc.subscription)
			raw, _ := json.Marshal(map[string]any{"source": "aws.events", "detail-type": "Scheduled Event", "detail": map[string]any{}})
			if _, err := handle(context.Background(), raw); err != nil {
				t.Fatal(err)
			}
			if got := api.taken(); !slices.Equal(got, tt.tick) {
				t.Fatalf("the next tick asked %q, want only %q (a confirmation was asked for just now)", got, tt.tick)
			}

			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			svc.srv.ServeHTTP(rec, req)
			for _, want := range []string{
				`transcoder_sns_subscription_checks_total{result="requested"} 1`,
				`transcoder_sns_subscription_checks_total{result="pending"} 1`,
			} {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
		})
	}
}
