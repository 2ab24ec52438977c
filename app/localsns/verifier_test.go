package localsns

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"transcoder/app/sns"
)

// TestTheProductionVerifierAcceptsAndConfirmsThroughTheLocalTopic drives
// the completion endpoint's own steps (sns.Parse, Verify, Confirm) against
// the topic, trusting it the one way package sns allows: by pinning its
// certificate URL, certificate and SubscribeURL base (Topic.LocalSigner).
func TestTheProductionVerifierAcceptsAndConfirmsThroughTheLocalTopic(t *testing.T) {
	f := newFixture(t, Options{})
	v, err := sns.NewVerifier(sns.Options{
		TopicARNs: []string{DefaultTopicARN},
		MaxAge:    time.Hour,
		Local:     f.topic.LocalSigner(),
	})
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan *sns.Message, 10)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m, err := sns.Parse(body)
		if err != nil {
			t.Errorf("%v\n%s", err, body)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		err = v.Verify(r.Context(), m)
		if err == nil && m.Type == sns.TypeSubscriptionConfirmation {
			err = v.Confirm(r.Context(), m)
		}
		if err != nil {
			t.Errorf("the verifier refused a %s: %v", m.Type, err)
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		accepted <- m
	}))
	t.Cleanup(endpoint.Close)

	arn, err := f.topic.Subscribe(context.Background(), endpoint.URL)
	if err != nil {
		t.Fatal(err)
	}
	f.logs.waitFor(t, 1, "localsns: subscription confirmed", "subscription="+arn)
	id := f.publish(t, "verified")
	for _, want := range []string{sns.TypeSubscriptionConfirmation, sns.TypeNotification} {
		select {
		case m := <-accepted:
			if m.Type != want {
				t.Errorf("accepted a %s, want a %s", m.Type, want)
			}
			if m.Type == sns.TypeNotification && m.MessageID != id {
				t.Errorf("accepted %s, want %s", m.MessageID, id)
			}
		case <-time.After(guard):
			t.Fatalf("no %s was accepted", want)
		}
	}
}
