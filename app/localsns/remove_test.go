package localsns

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"transcoder/app/sns"
)

// removedLine is the one log line SubscribeOnly writes when it removes
// subscriptions.
const removedLine = "localsns: removed the subscriptions of endpoints no longer served; their undone notifications go to the new endpoint"

// keptEndpoints reads the endpoints the subscriptions file holds.
func keptEndpoints(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, SubscriptionsFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc subscriptionsDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var endpoints []string
	for _, s := range doc.Subscriptions {
		endpoints = append(endpoints, s.Endpoint)
	}
	return endpoints
}

func TestSubscribeOnlyRemovesTheEndpointOfAnEarlierRunAndHandsItsNotificationsOn(t *testing.T) {
	tests := []struct {
		name        string
		confirmed   bool // whether the earlier run's endpoint confirmed before it went away
		wantDropped int  // its confirmations still due
	}{
		{"an endpoint that had confirmed", true, 0},
		{"an endpoint whose confirmation never got through", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			// Retries far apart: a removed subscription that kept its
			// deliveries would leave their files on disk.
			policy := DeliveryPolicy{NumRetries: 1, MinDelay: 30 * time.Minute, MaxDelay: 30 * time.Minute}
			f := newFixture(t, Options{Policy: policy})

			// The earlier run: its endpoint subscribes, then goes away
			// with a notification undone.
			old := newReceiver(t)
			old.cert.Store(f.topic.Signer().Certificate())
			if !tt.confirmed {
				old.srv.Close()
			}
			oldARN, err := f.topic.Subscribe(ctx, old.url())
			if err != nil {
				t.Fatal(err)
			}
			if tt.confirmed {
				old.nextOf(t, sns.TypeSubscriptionConfirmation)
				f.logs.waitFor(t, 1, "localsns: subscription confirmed", "subscription="+oldARN)
				old.srv.Close()
			} else {
				f.logs.waitFor(t, 1, "localsns: delivery failed; will retry", "type="+sns.TypeSubscriptionConfirmation)
			}
			id := f.publish(t, "published before the restart")
			if tt.confirmed {
				f.logs.waitFor(t, 1, "localsns: delivery failed; will retry", "message_id="+id)
			}
			f.topic.Close()

			// The restart, on another address: the fixture's receiver.
			f.open(t, Options{Policy: policy})
			arn, err := f.topic.SubscribeOnly(ctx, f.recv.url())
			if err != nil {
				t.Fatal(err)
			}
			if arn == oldARN {
				t.Fatal("the new endpoint got the old endpoint's subscription")
			}
			f.recv.nextOf(t, sns.TypeSubscriptionConfirmation)
			got := f.recv.nextOf(t, sns.TypeNotification)
			if got.msg.MessageID != id || got.msg.Message != "published before the restart" {
				t.Errorf("handed on %+v", got.msg)
			}
			if h := got.header.Get("x-amz-sns-subscription-arn"); h != arn {
				t.Errorf("delivered under subscription %q, want %q", h, arn)
			}
			if !strings.HasSuffix(got.msg.UnsubscribeURL, "SubscriptionArn="+arn) {
				t.Errorf("UnsubscribeURL %q is not the new subscription's", got.msg.UnsubscribeURL)
			}
			f.logs.waitFor(t, 1, "localsns: delivered", "message_id="+id)

			if n := f.logs.count(removedLine, "moved=1"); n != 1 {
				t.Errorf("%d removal lines with moved=1, want 1", n)
			}
			if n := f.logs.count(removedLine, "dropped="+strconv.Itoa(tt.wantDropped)); n != 1 {
				t.Errorf("%d removal lines with dropped=%d, want 1", n, tt.wantDropped)
			}
			if got := keptEndpoints(t, f.dir); len(got) != 1 || got[0] != f.recv.url() {
				t.Errorf("the subscriptions file keeps %v, want only %s", got, f.recv.url())
			}
			if p := f.pending(t); len(p) != 0 {
				t.Errorf("deliveries left on disk after the one due was made: %v", p)
			}

			// Nothing comes back: a later message and a later start know
			// only the new endpoint, and log no second removal.
			next := f.publish(t, "after")
			if got := f.recv.nextOf(t, sns.TypeNotification); got.msg.MessageID != next {
				t.Errorf("got %s, want %s", got.msg.MessageID, next)
			}
			f.logs.waitFor(t, 1, "localsns: delivered", "message_id="+next)
			if p := f.pending(t); len(p) != 0 {
				t.Errorf("a message published after the removal was queued for the removed endpoint too: %v", p)
			}
			f.topic.Close()
			f.open(t, Options{Policy: policy})
			if again, err := f.topic.SubscribeOnly(ctx, f.recv.url()); err != nil || again != arn {
				t.Errorf("SubscribeOnly after a restart = %q, %v; want %q", again, err, arn)
			}
			if n := f.logs.count(removedLine, ""); n != 1 {
				t.Errorf("%d removal lines in all, want 1", n)
			}
		})
	}
}

func TestSubscribeOnlyWithNoOtherSubscriptionIsSubscribe(t *testing.T) {
	f := newFixture(t, Options{})
	arn, err := f.topic.SubscribeOnly(context.Background(), f.recv.url())
	if err != nil {
		t.Fatal(err)
	}
	f.recv.nextOf(t, sns.TypeSubscriptionConfirmation)
	f.logs.waitFor(t, 1, "localsns: subscription confirmed", "subscription="+arn)
	again, err := f.topic.SubscribeOnly(context.Background(), f.recv.url())
	if err != nil || again != arn {
		t.Fatalf("SubscribeOnly again = %q, %v; want %q", again, err, arn)
	}
	id := f.publish(t, "once")
	if got := f.recv.nextOf(t, sns.TypeNotification); got.msg.MessageID != id {
		t.Errorf("got %s %s, want the notification %s", got.msg.Type, got.msg.MessageID, id)
	}
	if n := f.logs.count(removedLine, ""); n != 0 {
		t.Errorf("%d removal lines with nothing to remove", n)
	}
}
