// Package snstest signs SNS messages with a key and certificate made for a
// test, the way Amazon SNS does, so that tests and the load benchmark drive
// the production verifier with messages it must accept (or, tampered, refuse)
// without weakening any of its rules: the certificate is pinned through
// SNS_CERT_DIR under a real-looking SNS URL.
//
// Signing and the delivery body are package localsns's, the project's one
// owner of both; snstest adds only what a test needs and the local topic
// must never have: a certificate named for sns.amazonaws.com at an Amazon
// URL, and message ids and tokens that count up.
package snstest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"transcoder/app/localsns"
	"transcoder/app/sns"
)

// Signer signs messages for one topic.
type Signer struct {
	// Key is the private key messages are signed with, for a benchmark
	// that measures RSA itself.
	Key *rsa.PrivateKey
	// Topic is the TopicArn of every message.
	Topic string
	// Version is the SignatureVersion used: "1" or "2" (the default).
	Version string

	signer *localsns.Signer
	seq    atomic.Int64
}

// NewSigner makes a fresh 2048-bit key and a certificate for
// sns.amazonaws.com valid from a year ago to a year ahead, served (as far as
// the verifier knows) at an Amazon URL whose name follows the certificate.
func NewSigner(topic string) (*Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, localsns.KeyBits)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		DNSNames:     []string{"sns.amazonaws.com"},
		NotBefore:    now.AddDate(-1, 0, 0),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	certURL := "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return &Signer{
		Key:     key,
		Topic:   topic,
		Version: "2",
		signer:  localsns.NewSigner(key, certPEM, certURL),
	}, nil
}

// Pin writes the certificate into dir under the name the verifier looks up,
// path.Base of its URL.
func (s *Signer) Pin(dir string) error {
	return os.WriteFile(filepath.Join(dir, path.Base(s.signer.CertURL())), s.signer.CertPEM(), 0o644)
}

// Notification returns a signed Notification carrying message, stamped at,
// with an UnsubscribeURL as SNS gives one.
func (s *Signer) Notification(message string, at time.Time) *sns.Message {
	m := &sns.Message{
		Type:           sns.TypeNotification,
		MessageID:      s.nextID(),
		TopicARN:       s.Topic,
		Message:        message,
		Timestamp:      at.UTC().Format(localsns.TimestampFormat),
		UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + s.Topic + ":sub",
	}
	s.Sign(m)
	return m
}

// Confirmation returns a signed SubscriptionConfirmation or
// UnsubscribeConfirmation whose SubscribeURL is subscribeURL.
func (s *Signer) Confirmation(typ, subscribeURL string, at time.Time) *sns.Message {
	m := &sns.Message{
		Type:         typ,
		MessageID:    s.nextID(),
		Token:        "token-" + strconv.FormatInt(s.seq.Load(), 10),
		TopicARN:     s.Topic,
		Message:      "You have chosen to subscribe to the topic " + s.Topic + ".",
		Timestamp:    at.UTC().Format(localsns.TimestampFormat),
		SubscribeURL: subscribeURL,
	}
	s.Sign(m)
	return m
}

// Sign sets m's SignatureVersion (s.Version), SigningCertURL and Signature,
// as after a change to a signed field. It panics if m cannot be signed: a
// test's mistake.
func (s *Signer) Sign(m *sns.Message) {
	if err := s.signer.Sign(m, s.Version); err != nil {
		panic(fmt.Sprintf("snstest: signing a %q message: %v", m.Type, err))
	}
}

func (s *Signer) nextID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq.Add(1))
}

// Body renders m as the JSON body SNS POSTs to an HTTP endpoint: it is
// localsns.Body, named here so that a test needs one import.
func Body(m *sns.Message) []byte { return localsns.Body(m) }
