package redrive_test

import (
	"testing"
	"time"

	"transcoder/app/internal/snstest"
	"transcoder/app/redrive"
)

func TestADeadLetterIsReadAsPostedOrUnwrappedFromAnotherTopic(t *testing.T) {
	ours, err := snstest.NewSigner("arn:aws:sns:us-east-1:123456789012:transcoder-dev-events")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := snstest.NewSigner("arn:aws:sns:us-east-1:123456789012:operators")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m := ours.Notification(`{"detail":{}}`, now)
	tests := []struct {
		name    string
		body    []byte
		wrapped bool
		// topic is the TopicArn of the message read; empty: refused.
		topic string
	}{
		{"the document SNS would have POSTed is read as is", snstest.Body(m), false, ours.Topic},
		{"a notification carrying such a document yields the inner one", snstest.Body(theirs.Notification(string(snstest.Body(m)), now)), true, ours.Topic},
		{"a notification carrying anything else is itself the message", snstest.Body(theirs.Notification(`{"MessageId":"x"}`, now)), false, theirs.Topic},
		{"a body that is not an SNS message is refused", []byte(`{"hello":"world"}`), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, wrapped, err := redrive.Decode(tt.body)
			if tt.topic == "" {
				if err == nil {
					t.Fatal("Decode accepted it")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if wrapped != tt.wrapped {
				t.Errorf("wrapped = %t, want %t", wrapped, tt.wrapped)
			}
			if got.TopicARN != tt.topic {
				t.Fatalf("Decode gave a message of %s, want one of %s", got.TopicARN, tt.topic)
			}
			if tt.topic == ours.Topic && (got.MessageID != m.MessageID || got.Signature != m.Signature) {
				t.Errorf("Decode gave message %s, want ours, %s, with its signature", got.MessageID, m.MessageID)
			}
		})
	}
}
