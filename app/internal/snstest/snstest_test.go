package snstest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"transcoder/app/internal/snstest"
	"transcoder/app/sns"
)

const topic = "arn:aws:sns:us-east-1:123456789012:transcoder-events"

// verifier is the production verifier, trusting only what s pinned.
func verifier(t *testing.T, s *snstest.Signer) *sns.Verifier {
	t.Helper()
	certs := t.TempDir()
	if err := s.Pin(certs); err != nil {
		t.Fatal(err)
	}
	v, err := sns.NewVerifier(sns.Options{TopicARNs: []string{topic}, MaxAge: time.Hour, CertDir: certs})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestThePinnedVerifierAcceptsWhatTheSignerSigns(t *testing.T) {
	now := time.Now()
	for _, version := range []string{"1", "2"} {
		s, err := snstest.NewSigner(topic)
		if err != nil {
			t.Fatal(err)
		}
		s.Version = version
		v := verifier(t, s)
		tests := []struct {
			name string
			m    *sns.Message
		}{
			{"a notification", s.Notification(`{"detail":{}}`, now)},
			{"a subscription confirmation", s.Confirmation(sns.TypeSubscriptionConfirmation, "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", now)},
		}
		for _, tt := range tests {
			t.Run(tt.name+", signature version "+version, func(t *testing.T) {
				m, err := sns.Parse(snstest.Body(tt.m))
				if err != nil {
					t.Fatalf("Parse(Body(m)): %v", err)
				}
				if err := v.Verify(context.Background(), m); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			})
		}
	}
}

func TestThePinnedVerifierRefusesATamperedMessageUntilItIsSignedAgain(t *testing.T) {
	s, err := snstest.NewSigner(topic)
	if err != nil {
		t.Fatal(err)
	}
	v := verifier(t, s)
	m := s.Notification("COMPLETE", time.Now())
	m.Message = "ERROR"
	if err := v.Verify(context.Background(), m); !errors.Is(err, sns.ErrRejected) {
		t.Fatalf("Verify(tampered) = %v, want a rejection", err)
	}
	s.Sign(m)
	if err := v.Verify(context.Background(), m); err != nil {
		t.Fatalf("Verify(signed again) = %v", err)
	}
}

func TestEachMessageHasItsOwnID(t *testing.T) {
	s, err := snstest.NewSigner(topic)
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.Notification("a", time.Now()), s.Notification("b", time.Now())
	if a.MessageID == b.MessageID {
		t.Fatalf("two notifications share MessageId %q", a.MessageID)
	}
}
