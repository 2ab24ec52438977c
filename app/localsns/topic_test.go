package localsns

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"transcoder/app/sns"
)

// tiny retries quickly, for tests that count attempts.
var tiny = DeliveryPolicy{NumRetries: 2, MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Timeout: 5 * time.Second}

func TestTheHandshakeConfirmsTheSubscriptionAndThenPublishDelivers(t *testing.T) {
	f := newFixture(t, Options{})
	arn, err := f.topic.Subscribe(context.Background(), f.recv.url())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(arn, DefaultTopicARN+":") {
		t.Errorf("subscription ARN %q is not under the topic", arn)
	}

	conf := f.recv.nextOf(t, sns.TypeSubscriptionConfirmation)
	if conf.msg.SignatureVersion != "2" || conf.msg.TopicARN != DefaultTopicARN || conf.msg.Token == "" {
		t.Errorf("confirmation %+v", conf.msg)
	}
	wantURL := f.srv.URL + "/local-sns/?Action=ConfirmSubscription&TopicArn=" + DefaultTopicARN + "&Token=" + conf.msg.Token
	if conf.msg.SubscribeURL != wantURL {
		t.Errorf("SubscribeURL %q, want %q", conf.msg.SubscribeURL, wantURL)
	}
	if h := conf.header.Get("x-amz-sns-subscription-arn"); h != "" {
		t.Errorf("a confirmation carries x-amz-sns-subscription-arn %q", h)
	}
	f.logs.waitFor(t, 1, "localsns: subscription confirmed", "subscription="+arn)

	id := f.publish(t, `{"detail":{"status":"COMPLETE"}}`)
	got := f.recv.nextOf(t, sns.TypeNotification)
	if got.msg.MessageID != id || got.msg.Message != `{"detail":{"status":"COMPLETE"}}` {
		t.Errorf("delivered %+v", got.msg)
	}
	if got.msg.SignatureVersion != "2" {
		t.Errorf("SignatureVersion %q, want 2", got.msg.SignatureVersion)
	}
	if h := got.header.Get("x-amz-sns-subscription-arn"); h != arn {
		t.Errorf("x-amz-sns-subscription-arn %q, want %q", h, arn)
	}
	if !bytes.Equal(got.body, Body(got.msg)) {
		t.Errorf("the body is not Body of what it parses to:\n%s", got.body)
	}
	if _, err := time.Parse(TimestampFormat, got.msg.Timestamp); err != nil {
		t.Errorf("Timestamp %q: %v", got.msg.Timestamp, err)
	}
	f.logs.waitFor(t, 1, "localsns: delivered", "message_id="+id)
	if s := f.topic.Stats(); s != (Stats{Published: 1, Delivered: 2}) {
		t.Errorf("stats %+v", s)
	}
	if p := f.pending(t); len(p) != 0 {
		t.Errorf("delivered messages left on disk: %v", p)
	}
}

func TestTheSigningCertificateIsServedAtItsURL(t *testing.T) {
	f := newFixture(t, Options{})
	url := f.topic.Signer().CertURL()
	if !strings.HasPrefix(url, f.srv.URL+"/local-sns/SimpleNotificationService-") || !strings.HasSuffix(url, ".pem") {
		t.Errorf("CertURL %q", url)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, f.topic.Signer().CertPEM()) {
		t.Errorf("status %s, body is the certificate: %v", resp.Status, bytes.Equal(body, f.topic.Signer().CertPEM()))
	}
	resp, err = http.Get(f.srv.URL + "/local-sns/SimpleNotificationService-0000.pem")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("another certificate name answers %s", resp.Status)
	}
}

func TestTheHandlerAlsoWorksBehindStripPrefix(t *testing.T) {
	f := newFixture(t, Options{})
	h := http.StripPrefix("/local-sns", f.topic.Handler())
	f.handler.Store(&h)
	f.subscribe(t)
	resp, err := http.Get(f.topic.Signer().CertURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the certificate answers %s", resp.Status)
	}
}

func TestConfirmSubscriptionRefusesAWrongTokenOrTopic(t *testing.T) {
	f := newFixture(t, Options{})
	f.recv.confirm.Store(false)
	if _, err := f.topic.Subscribe(context.Background(), f.recv.url()); err != nil {
		t.Fatal(err)
	}
	conf := f.recv.nextOf(t, sns.TypeSubscriptionConfirmation)
	good := conf.msg.Token
	base := f.srv.URL + "/local-sns/?Action=ConfirmSubscription"
	for name, tc := range map[string]struct {
		url    string
		status int
	}{
		"a wrong token":           {base + "&TopicArn=" + DefaultTopicARN + "&Token=" + strings.Repeat("0", len(good)), http.StatusBadRequest},
		"no token":                {base + "&TopicArn=" + DefaultTopicARN, http.StatusBadRequest},
		"the token's prefix":      {base + "&TopicArn=" + DefaultTopicARN + "&Token=" + good[:10], http.StatusBadRequest},
		"another topic":           {base + "&TopicArn=arn:aws:sns:us-east-1:000000000000:other&Token=" + good, http.StatusNotFound},
		"an unknown action":       {f.srv.URL + "/local-sns/?Action=Publish&TopicArn=" + DefaultTopicARN, http.StatusBadRequest},
		"an unknown resource":     {f.srv.URL + "/local-sns/elsewhere", http.StatusNotFound},
		"an unknown subscription": {f.srv.URL + "/local-sns/?Action=Unsubscribe&SubscriptionArn=" + DefaultTopicARN + ":nope", http.StatusNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !bytes.Contains(body, []byte("<ErrorResponse")) {
				t.Errorf("status %s, body %s; want %d and an ErrorResponse", resp.Status, body, tc.status)
			}
		})
	}
	if n := f.logs.count("localsns: subscription confirmed", ""); n != 0 {
		t.Fatalf("a refused request confirmed the subscription")
	}

	// The right token, by POST as the ConfirmSubscription API allows, confirms.
	resp, err := http.PostForm(f.srv.URL+"/local-sns/", map[string][]string{
		"Action": {"ConfirmSubscription"}, "TopicArn": {DefaultTopicARN}, "Token": {good},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<SubscriptionArn>"+DefaultTopicARN+":")) {
		t.Errorf("status %s, body %s", resp.Status, body)
	}
}

func TestPublishHoldsDeliveriesUntilTheSubscriptionConfirms(t *testing.T) {
	f := newFixture(t, Options{})
	f.recv.confirm.Store(false)
	arn, err := f.topic.Subscribe(context.Background(), f.recv.url())
	if err != nil {
		t.Fatal(err)
	}
	conf := f.recv.nextOf(t, sns.TypeSubscriptionConfirmation)
	f.logs.waitFor(t, 1, "localsns: delivered", "type="+sns.TypeSubscriptionConfirmation)

	first := f.publish(t, "first")
	second := f.publish(t, "second")
	if p := f.pending(t); len(p) != 2 {
		t.Fatalf("held deliveries on disk: %v, want 2", p)
	}
	if n := len(f.recv.got); n != 0 {
		t.Fatalf("%d deliveries before the subscription was confirmed", n)
	}

	resp, err := http.Get(conf.msg.SubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	f.logs.waitFor(t, 1, "localsns: subscription confirmed", "subscription="+arn)
	for _, want := range []string{first, second} {
		if got := f.recv.nextOf(t, sns.TypeNotification); got.msg.MessageID != want {
			t.Errorf("delivered %s, want %s (in publish order)", got.msg.MessageID, want)
		}
	}
}

func TestSubscribingAgainReturnsTheSameSubscription(t *testing.T) {
	f := newFixture(t, Options{})
	arn := f.subscribe(t)
	again, err := f.topic.Subscribe(context.Background(), f.recv.url())
	if err != nil {
		t.Fatal(err)
	}
	if again != arn {
		t.Errorf("second Subscribe gave %q, want %q", again, arn)
	}
	// A confirmed subscription gets no second confirmation: the next
	// delivery is the notification.
	id := f.publish(t, "after")
	if got := f.recv.nextOf(t, sns.TypeNotification); got.msg.MessageID != id {
		t.Errorf("got %s, want %s", got.msg.MessageID, id)
	}
}

func TestUnsubscribeStopsDeliveriesAndForgetsThoseDue(t *testing.T) {
	f := newFixture(t, Options{Policy: DeliveryPolicy{NumRetries: 1, MinDelay: 30 * time.Minute, MaxDelay: 30 * time.Minute}})
	arn := f.subscribe(t)
	f.recv.setAnswer(func(int) int { return http.StatusServiceUnavailable })
	f.publish(t, "never")
	f.logs.waitFor(t, 1, "localsns: delivery failed; will retry", "")
	if p := f.pending(t); len(p) != 1 {
		t.Fatalf("pending on disk: %v", p)
	}

	resp, err := http.Get(f.srv.URL + "/local-sns/?Action=Unsubscribe&SubscriptionArn=" + arn)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<UnsubscribeResponse")) {
		t.Fatalf("status %s, body %s", resp.Status, body)
	}
	if p := f.pending(t); len(p) != 0 {
		t.Errorf("deliveries to a deleted subscription left on disk: %v", p)
	}
	if _, err := f.topic.Publish(context.Background(), "to nobody"); err != nil {
		t.Fatal(err)
	}
	if p := f.pending(t); len(p) != 0 {
		t.Errorf("a message published with no subscription was queued: %v", p)
	}
}

func TestFailedDeliveriesAreRetriedAsSNSRetriesThem(t *testing.T) {
	for name, tc := range map[string]struct {
		answers  []int // per attempt; the last repeats
		attempts int
		stats    Stats
		done     string // the log line that ends the delivery
	}{
		"a 500 twice then 200 is delivered on the third attempt": {
			[]int{500, 500, 200}, 3, Stats{Published: 1, Delivered: 2, Retried: 2}, "localsns: delivered",
		},
		"a 4xx counts as delivered and is not retried": {
			[]int{404}, 1, Stats{Published: 1, Delivered: 2}, "localsns: delivered",
		},
		"a 3xx counts as delivered and is not followed": {
			[]int{302}, 1, Stats{Published: 1, Delivered: 2}, "localsns: delivered",
		},
		"an endpoint that hangs past the timeout is tried again": {
			[]int{0, 200}, 2, Stats{Published: 1, Delivered: 2, Retried: 1}, "localsns: delivered",
		},
		"a dropped connection is tried again": {
			[]int{-1, 200}, 2, Stats{Published: 1, Delivered: 2, Retried: 1}, "localsns: delivered",
		},
		"when retries run out the delivery is given up and logged": {
			[]int{503}, 3, Stats{Published: 1, Delivered: 1, Retried: 2, GivenUp: 1},
			"localsns: gave up on a delivery: the retry policy is exhausted",
		},
	} {
		t.Run(name, func(t *testing.T) {
			policy := tiny
			policy.Timeout = 300 * time.Millisecond // only the hanging endpoint waits for it
			f := newFixture(t, Options{Policy: policy})
			f.subscribe(t)
			f.recv.setAnswer(func(n int) int { return tc.answers[min(n, len(tc.answers))-1] })

			id := f.publish(t, "retry me")
			f.logs.waitFor(t, 1, tc.done, "message_id="+id)
			for range tc.attempts {
				if got := f.recv.nextOf(t, sns.TypeNotification); got.msg.MessageID != id {
					t.Errorf("got %s, want %s", got.msg.MessageID, id)
				}
			}
			if n := len(f.recv.got); n != 0 {
				t.Errorf("%d attempts more than %d", n, tc.attempts)
			}
			if s := f.topic.Stats(); s != tc.stats {
				t.Errorf("stats %+v, want %+v", s, tc.stats)
			}
			if p := f.pending(t); len(p) != 0 {
				t.Errorf("a finished delivery left on disk: %v", p)
			}
		})
	}
}

func TestDuplicatesSendsEveryMessageTwiceWithTheSameIDAndSignature(t *testing.T) {
	f := newFixture(t, Options{Duplicates: 1})
	f.subscribe(t)
	bodies := map[string][][]byte{}
	var ids []string
	for i := range 3 {
		ids = append(ids, f.publish(t, fmt.Sprint("message ", i)))
	}
	for range 2 * len(ids) {
		got := f.recv.nextOf(t, sns.TypeNotification)
		bodies[got.msg.MessageID] = append(bodies[got.msg.MessageID], got.body)
	}
	for _, id := range ids {
		if b := bodies[id]; len(b) != 2 || !bytes.Equal(b[0], b[1]) {
			t.Errorf("message %s arrived %d times (identical: %v), want twice the same", id, len(b), len(b) == 2 && bytes.Equal(b[0], b[1]))
		}
	}
	f.logs.waitFor(t, 2*len(ids), "localsns: delivered", "type="+sns.TypeNotification)
	if s := f.topic.Stats(); s != (Stats{Published: 3, Delivered: 7, Duplicated: 3}) {
		t.Errorf("stats %+v", s)
	}
}

func TestReorderDeliversABurstOutOfOrderAndEveryMessageExactlyOnce(t *testing.T) {
	f := newFixture(t, Options{Reorder: 300 * time.Millisecond, Rand: rand.New(rand.NewPCG(1, 2))})
	f.subscribe(t)
	const n = 20
	var published []string
	for i := range n {
		published = append(published, f.publish(t, fmt.Sprint("event ", i)))
	}
	var arrived []string
	for range n {
		arrived = append(arrived, f.recv.nextOf(t, sns.TypeNotification).msg.MessageID)
	}
	f.logs.waitFor(t, n, "localsns: delivered", "type="+sns.TypeNotification)
	if k := len(f.recv.got); k != 0 {
		t.Errorf("%d deliveries more than one per message", k)
	}
	if slices.Equal(arrived, published) {
		t.Error("the burst arrived in publish order")
	}
	slices.Sort(arrived)
	slices.Sort(published)
	if !slices.Equal(arrived, published) {
		t.Errorf("arrived %v, want each of %v once", arrived, published)
	}
	if s := f.topic.Stats(); s.Duplicated != 0 || s.Delivered != n+1 {
		t.Errorf("stats %+v", s)
	}
}

func TestWithoutReorderABurstArrivesInPublishOrder(t *testing.T) {
	f := newFixture(t, Options{})
	f.subscribe(t)
	var published, arrived []string
	for i := range 10 {
		published = append(published, f.publish(t, fmt.Sprint("event ", i)))
	}
	for range published {
		arrived = append(arrived, f.recv.nextOf(t, sns.TypeNotification).msg.MessageID)
	}
	if !slices.Equal(arrived, published) {
		t.Errorf("arrived %v, want %v", arrived, published)
	}
}

func TestARestartResumesAnUndoneDeliveryWithTheSameTrust(t *testing.T) {
	policy := DeliveryPolicy{NumRetries: 1, MinDelay: 30 * time.Minute, MaxDelay: 30 * time.Minute}
	f := newFixture(t, Options{Policy: policy})
	arn := f.subscribe(t)
	first := f.topic
	certPEM, certURL := first.Signer().CertPEM(), first.Signer().CertURL()

	f.recv.setAnswer(func(int) int { return -1 }) // down: the connection drops
	id := f.publish(t, "survive a restart")
	f.logs.waitFor(t, 1, "localsns: delivery failed; will retry", "message_id="+id)
	f.recv.nextOf(t, sns.TypeNotification)
	first.Close()
	if p := f.pending(t); len(p) != 1 {
		t.Fatalf("pending on disk after Close: %v, want 1", p)
	}
	if _, err := first.Publish(context.Background(), "late"); err != ErrClosed {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}

	f.recv.setAnswer(func(int) int { return http.StatusOK }) // up again
	f.open(t, Options{Policy: policy})
	if !bytes.Equal(f.topic.Signer().CertPEM(), certPEM) || f.topic.Signer().CertURL() != certURL {
		t.Error("the certificate or its URL changed across the restart")
	}
	got := f.recv.nextOf(t, sns.TypeNotification)
	if got.msg.MessageID != id || got.msg.Message != "survive a restart" {
		t.Errorf("resumed %+v", got.msg)
	}
	if h := got.header.Get("x-amz-sns-subscription-arn"); h != arn {
		t.Errorf("the subscription changed across the restart: %q, want %q", h, arn)
	}
	f.logs.waitFor(t, 1, "localsns: delivered", "message_id="+id)
	if p := f.pending(t); len(p) != 0 {
		t.Errorf("pending on disk after delivery: %v", p)
	}
}

func TestOpenRefusesOptionsItCannotHonour(t *testing.T) {
	for name, tc := range map[string]struct {
		opts Options
		want string
	}{
		"no directory":               {Options{BaseURL: "http://127.0.0.1:1"}, "Options.Dir is empty"},
		"no base URL":                {Options{Dir: "d"}, "Options.BaseURL is empty"},
		"a base URL with a query":    {Options{Dir: "d", BaseURL: "http://127.0.0.1:1/?a=b"}, "no user info, query or fragment"},
		"a relative base URL":        {Options{Dir: "d", BaseURL: "/local-sns"}, "not an http or https URL"},
		"a malformed ARN":            {Options{Dir: "d", BaseURL: "http://h", TopicARN: "arn:aws:sqs:q"}, "Options.TopicARN"},
		"a duplicate rate above one": {Options{Dir: "d", BaseURL: "http://h", Duplicates: 1.5}, "Options.Duplicates 1.5"},
		"a negative reorder":         {Options{Dir: "d", BaseURL: "http://h", Reorder: -1}, "Options.Reorder"},
		"a bad policy":               {Options{Dir: "d", BaseURL: "http://h", Policy: DeliveryPolicy{NumRetries: -1}}, "Options.Policy.NumRetries"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestOpenRefusesADirectoryThatBelongsToAnotherTopic(t *testing.T) {
	f := newFixture(t, Options{})
	f.subscribe(t)
	f.topic.Close()
	_, err := Open(context.Background(), Options{Dir: f.dir, BaseURL: f.srv.URL, TopicARN: "arn:aws:sns:us-east-1:000000000000:other"})
	if err == nil || !strings.Contains(err.Error(), "belongs to topic") {
		t.Errorf("error %v", err)
	}
}

func TestPublishRefusesWhatSNSRefuses(t *testing.T) {
	f := newFixture(t, Options{})
	for name, message := range map[string]string{
		"invalid UTF-8":     "\xff\xfe",
		"more than 256 KiB": strings.Repeat("x", MaxMessageSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.topic.Publish(context.Background(), message); err == nil {
				t.Error("Publish accepted it")
			}
		})
	}
	if s := f.topic.Stats(); s.Published != 0 {
		t.Errorf("stats %+v", s)
	}
}
