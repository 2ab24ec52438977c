package subscription_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"transcoder/app/subscription"
)

const (
	topic    = "arn:aws:sns:us-east-1:123456789012:transcoder-dev-events"
	endpoint = "https://abc123.lambda-url.us-east-1.on.aws/transcode-complete"
	subARN   = topic + ":5f0c7e8a-1111-4222-8333-444455556666"
)

// sub is one subscription the stand-in keeps.
type sub struct {
	arn, protocol, endpoint string
	pending                 bool
}

// call is one request the stand-in received, reduced to what the tests
// assert.
type call struct {
	Action, TopicArn, SubscriptionArn, Protocol, Endpoint, ReturnSubscriptionArn string
}

func (c call) String() string {
	var b strings.Builder
	b.WriteString(c.Action)
	for _, kv := range [][2]string{{"TopicArn", c.TopicArn}, {"SubscriptionArn", c.SubscriptionArn}, {"Protocol", c.Protocol},
		{"Endpoint", c.Endpoint}, {"ReturnSubscriptionArn", c.ReturnSubscriptionArn}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
		}
	}
	return b.String()
}

// snsAPI is a stand-in for the SNS Query API on loopback: it answers
// GetSubscriptionAttributes, ListSubscriptionsByTopic (pageSize entries a
// page) and Subscribe from the subscriptions it keeps, with SNS's XML, and
// records every request. fail names an action to answer with an
// AuthorizationError, as SNS does when the role lacks the permission.
type snsAPI struct {
	mu       sync.Mutex
	subs     []sub
	calls    []call
	fail     string
	pageSize int
}

func (s *snsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := r.PostForm
	c := call{Action: f.Get("Action"), TopicArn: f.Get("TopicArn"), SubscriptionArn: f.Get("SubscriptionArn"),
		Protocol: f.Get("Protocol"), Endpoint: f.Get("Endpoint"), ReturnSubscriptionArn: f.Get("ReturnSubscriptionArn")}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	w.Header().Set("Content-Type", "text/xml")
	if c.Action == s.fail {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code>`+
			`<Message>User is not authorized to perform: SNS:%s</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`, c.Action)
		return
	}
	var body bytes.Buffer
	esc := func(v string) string { var b bytes.Buffer; xml.EscapeText(&b, []byte(v)); return b.String() }
	switch c.Action {
	case "GetSubscriptionAttributes":
		i := slices.IndexFunc(s.subs, func(x sub) bool { return x.arn == c.SubscriptionArn })
		if i < 0 {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Subscription does not exist</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`)
			return
		}
		x := s.subs[i]
		fmt.Fprintf(&body, `<GetSubscriptionAttributesResult><Attributes>`+
			`<entry><key>Endpoint</key><value>%s</value></entry><entry><key>Protocol</key><value>%s</value></entry>`+
			`<entry><key>PendingConfirmation</key><value>%t</value></entry><entry><key>TopicArn</key><value>%s</value></entry>`+
			`</Attributes></GetSubscriptionAttributesResult>`, esc(x.endpoint), x.protocol, x.pending, topic)
	case "ListSubscriptionsByTopic":
		start := 0
		fmt.Sscan(f.Get("NextToken"), &start)
		end := min(start+s.pageSize, len(s.subs))
		body.WriteString(`<ListSubscriptionsByTopicResult><Subscriptions>`)
		for _, x := range s.subs[start:end] {
			arn := x.arn
			if x.pending {
				arn = "PendingConfirmation"
			}
			fmt.Fprintf(&body, `<member><TopicArn>%s</TopicArn><Protocol>%s</Protocol><SubscriptionArn>%s</SubscriptionArn>`+
				`<Owner>123456789012</Owner><Endpoint>%s</Endpoint></member>`, topic, x.protocol, arn, esc(x.endpoint))
		}
		body.WriteString(`</Subscriptions>`)
		if end < len(s.subs) {
			fmt.Fprintf(&body, `<NextToken>%d</NextToken>`, end)
		}
		body.WriteString(`</ListSubscriptionsByTopicResult>`)
	case "Subscribe":
		i := slices.IndexFunc(s.subs, func(x sub) bool { return x.protocol == c.Protocol && x.endpoint == c.Endpoint })
		if i < 0 {
			http.Error(w, "the stand-in only re-requests confirmation of subscriptions it has", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(&body, `<SubscribeResult><SubscriptionArn>%s</SubscriptionArn></SubscribeResult>`, s.subs[i].arn)
	default:
		http.Error(w, "unknown action "+c.Action, http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, `<%sResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">%s<ResponseMetadata><RequestId>r-3</RequestId></ResponseMetadata></%sResponse>`,
		c.Action, body.String(), c.Action)
}

// taken returns the calls made since the last taken, as strings.
func (s *snsAPI) taken() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.calls {
		out = append(out, c.String())
	}
	s.calls = nil
	return out
}

// clock is a settable time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)} }

// checker is a Checker whose SDK client talks to api on loopback.
func checker(t *testing.T, api *snsAPI, arn string, clk *clock, logs *bytes.Buffer) *subscription.Checker {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	client := awssns.New(awssns.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	})
	c, err := subscription.New(subscription.Options{
		API: client, TopicARN: topic, Endpoint: endpoint, SubscriptionARN: arn,
		Now: clk.now, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	getAttrs  = "GetSubscriptionAttributes SubscriptionArn=" + subARN
	list      = "ListSubscriptionsByTopic TopicArn=" + topic
	subscribe = "Subscribe TopicArn=" + topic + " Protocol=https Endpoint=" + endpoint + " ReturnSubscriptionArn=true"
)

func TestTheCheckerAsksForANewConfirmationOnlyWhileTheSubscriptionIsPending(t *testing.T) {
	other := sub{arn: topic + ":0000", protocol: "https", endpoint: "https://elsewhere.example/transcode-complete"}
	email := sub{arn: topic + ":1111", protocol: "email", endpoint: endpoint}
	type step struct {
		advance time.Duration
		want    subscription.Result
		calls   []string
	}
	tests := []struct {
		name  string
		arn   string
		subs  []sub
		fail  string
		steps []step
	}{
		{"a confirmed subscription is left alone, and not looked at again for an hour", subARN,
			[]sub{{subARN, "https", endpoint, false}}, "", []step{
				{0, subscription.Confirmed, []string{getAttrs}},
				{30 * time.Minute, subscription.Skipped, nil},
				{31 * time.Minute, subscription.Confirmed, []string{getAttrs}},
			}},
		{"a pending subscription gets one new confirmation", subARN,
			[]sub{{subARN, "https", endpoint, true}}, "", []step{
				{0, subscription.Requested, []string{getAttrs, subscribe}},
			}},
		{"a subscription still pending within the rate limit is not asked for again until it passes", subARN,
			[]sub{{subARN, "https", endpoint, true}}, "", []step{
				{0, subscription.Requested, []string{getAttrs, subscribe}},
				{time.Minute, subscription.Pending, []string{getAttrs}},
				{3 * time.Minute, subscription.Pending, []string{getAttrs}},
				{time.Minute, subscription.Requested, []string{getAttrs, subscribe}},
			}},
		{"a \"pending confirmation\" ARN is resolved by listing the topic, past other endpoints and pages", "pending confirmation",
			[]sub{other, email, {subARN, "https", endpoint, true}}, "", []step{
				{0, subscription.Requested, []string{list, list, subscribe}},
				{time.Minute, subscription.Pending, []string{list, list}},
			}},
		{"a confirmed subscription found by listing needs no more questions, for an hour", "",
			[]sub{other, {subARN, "https", endpoint, false}}, "", []step{
				{0, subscription.Confirmed, []string{list}},
				{59 * time.Minute, subscription.Skipped, nil},
			}},
		{"a subscription of a given ARN that is gone is looked for by listing", subARN,
			[]sub{other}, "", []step{
				{0, subscription.Missing, []string{getAttrs}},
				{time.Minute, subscription.Missing, []string{list}},
			}},
		{"a topic without the endpoint's subscription is reported, not subscribed", "",
			[]sub{other, email}, "", []step{
				{0, subscription.Missing, []string{list}},
				{time.Minute, subscription.Missing, []string{list}},
			}},
		{"a refused GetSubscriptionAttributes is reported and tried again on the next check", subARN,
			[]sub{{subARN, "https", endpoint, true}}, "GetSubscriptionAttributes", []step{
				{0, subscription.Failed, []string{getAttrs}},
				{time.Minute, subscription.Failed, []string{getAttrs}},
			}},
		{"a refused Subscribe is reported and waits out the rate limit too", subARN,
			[]sub{{subARN, "https", endpoint, true}}, "Subscribe", []step{
				{0, subscription.Failed, []string{getAttrs, subscribe}},
				{time.Minute, subscription.Pending, []string{getAttrs}},
				{5 * time.Minute, subscription.Failed, []string{getAttrs, subscribe}},
			}},
		{"a refused ListSubscriptionsByTopic is reported", "pending confirmation",
			[]sub{{subARN, "https", endpoint, true}}, "ListSubscriptionsByTopic", []step{
				{0, subscription.Failed, []string{list}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &snsAPI{subs: tt.subs, fail: tt.fail, pageSize: 2}
			clk := newClock()
			var logs bytes.Buffer
			c := checker(t, api, tt.arn, clk, &logs)
			for i, s := range tt.steps {
				clk.advance(s.advance)
				got, err := c.Check(context.Background())
				if got != s.want {
					t.Errorf("check %d: %s (%v), want %s", i+1, got, err, s.want)
				}
				if (err != nil) != (s.want == subscription.Failed) {
					t.Errorf("check %d: error %v with result %s", i+1, err, got)
				}
				if calls := api.taken(); !slices.Equal(calls, s.calls) {
					t.Errorf("check %d made\n  %s\nwant\n  %s", i+1, strings.Join(calls, "\n  "), strings.Join(s.calls, "\n  "))
				}
			}
			last := tt.steps[len(tt.steps)-1].want
			if !strings.Contains(logs.String(), "result="+string(last)) {
				t.Errorf("the log does not say what the last check found (%s):\n%s", last, logs.String())
			}
			if last == subscription.Failed && !strings.Contains(logs.String(), "AuthorizationError") {
				t.Errorf("the log does not say why the check failed:\n%s", logs.String())
			}
		})
	}
}

func TestTheCheckerRefusesAnIncompleteConfiguration(t *testing.T) {
	api := awssns.New(awssns.Options{Region: "us-east-1"})
	tests := []struct {
		name string
		opts subscription.Options
	}{
		{"without a client", subscription.Options{TopicARN: topic, Endpoint: endpoint}},
		{"without a topic", subscription.Options{API: api, Endpoint: endpoint}},
		{"without an endpoint", subscription.Options{API: api, TopicARN: topic}},
		{"with an http endpoint", subscription.Options{API: api, TopicARN: topic, Endpoint: "http://abc/transcode-complete"}},
		{"with a negative interval", subscription.Options{API: api, TopicARN: topic, Endpoint: endpoint, ResubscribeInterval: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := subscription.New(tt.opts); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}
