package sns

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const localCertURL = "http://127.0.0.1:8080/local-sns/SimpleNotificationService-local.pem"

// localSetup is a verifier that trusts a local signer holding signerKey, and
// a server standing in for the local topic's confirmation handler.
func localSetup(t *testing.T) (*Verifier, *atomic.Int32, string) {
	t.Helper()
	var confirms atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		confirms.Add(1)
	}))
	t.Cleanup(srv.Close)
	block, _ := pem.Decode(pemOf(t, certSpec{cn: "sns.local", notBefore: t0.Add(-time.Hour), notAfter: t0.Add(time.Hour), pub: &signerKey().PublicKey}))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(Options{
		TopicARNs: []string{testTopic},
		Now:       func() time.Time { return t0 },
		MaxAge:    time.Hour,
		Local:     &LocalSigner{CertURL: localCertURL, Cert: cert, SubscribeBase: srv.URL + "/local-sns/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v, &confirms, srv.URL + "/local-sns/"
}

func localMessage(t *testing.T, typ, subscribeURL string) *Message {
	m := testMessage(typ)
	m.SigningCertURL = localCertURL
	if typ != TypeNotification {
		m.SubscribeURL = subscribeURL
	}
	return sign(t, m, signerKey())
}

func TestAConfiguredLocalSignerIsTrustedByItsExactCertificateURL(t *testing.T) {
	v, _, _ := localSetup(t)
	if err := v.Verify(context.Background(), localMessage(t, TypeNotification, "")); err != nil {
		t.Fatalf("a local message was refused: %v", err)
	}
}

func TestALocalSignerStillMeetsEveryOtherRule(t *testing.T) {
	v, _, _ := localSetup(t)
	forged := testMessage(TypeNotification)
	forged.SigningCertURL = localCertURL
	sign(t, forged, otherKey())
	otherTopic := testMessage(TypeNotification)
	otherTopic.SigningCertURL, otherTopic.TopicARN = localCertURL, "arn:aws:sns:us-east-1:123456789012:other"
	sign(t, otherTopic, signerKey())
	stale := testMessage(TypeNotification)
	stale.SigningCertURL, stale.Timestamp = localCertURL, "2026-03-06T17:55:38.903Z"
	sign(t, stale, signerKey())
	nearby := localMessage(t, TypeNotification, "")
	nearby.SigningCertURL = strings.Replace(localCertURL, "8080", "8081", 1)
	tests := []struct {
		name  string
		m     *Message
		class error
		text  string
	}{
		{"a signature by another key", forged, ErrRejected, "signature"},
		{"a topic outside the allow-list", otherTopic, ErrRejected, "topic"},
		{"a Timestamp older than MaxAge", stale, ErrRejected, "old"},
		{"a certificate URL next to the local one", nearby, ErrRejected, "certificate URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(context.Background(), tt.m)
			checkClass(t, err, tt.class)
			if !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("error %q does not mention %q", err, tt.text)
			}
		})
	}
}

func TestALocalSignerCannotBeConfiguredAsAmazonSNS(t *testing.T) {
	_, err := NewVerifier(Options{TopicARNs: []string{testTopic}, Local: &LocalSigner{
		CertURL: testCertURL, Cert: &x509.Certificate{PublicKey: &signerKey().PublicKey}, SubscribeBase: "http://127.0.0.1/",
	}})
	if err == nil || !strings.Contains(err.Error(), "impersonate") {
		t.Fatalf("NewVerifier = %v, want a refusal", err)
	}
}

func TestLocalSubscribeURLsAreFollowedOnlyInTheLocalSignersMessages(t *testing.T) {
	v, confirms, base := localSetup(t)
	good := base + "?Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=abc"
	if err := v.Confirm(context.Background(), localMessage(t, TypeSubscriptionConfirmation, good)); err != nil || confirms.Load() != 1 {
		t.Fatalf("local confirmation: %v, %d requests", err, confirms.Load())
	}
	// An Amazon-signed message naming the local URL is refused unfetched.
	amazon := testMessage(TypeSubscriptionConfirmation)
	amazon.SubscribeURL = good
	checkClass(t, v.Confirm(context.Background(), sign(t, amazon, signerKey())), ErrRejected)
	for _, bad := range []string{
		base + "?Action=Subscribe&TopicArn=" + testTopic + "&Token=abc",
		base + "?Action=ConfirmSubscription&TopicArn=" + testTopic,
		strings.Replace(base, "/local-sns/", "/elsewhere/", 1) + "?Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=abc",
	} {
		checkClass(t, v.Confirm(context.Background(), localMessage(t, TypeSubscriptionConfirmation, bad)), ErrRejected)
	}
	if confirms.Load() != 1 {
		t.Fatalf("a refused SubscribeURL was fetched: %d requests", confirms.Load())
	}
}
