// Package snstest signs SNS messages with a key and certificate made for a
// test, the way Amazon SNS does, so that tests and the load benchmark drive
// the production verifier with messages it must accept (or, tampered, refuse)
// without weakening any of its rules: the certificate is pinned through
// SNS_CERT_DIR under a real-looking SNS URL.
package snstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"transcoder/app/sns"
)

// Signer signs messages for one topic.
type Signer struct {
	Key     *rsa.PrivateKey
	CertPEM []byte
	// CertURL is where SNS would publish the certificate; the verifier finds
	// it pinned under path.Base(CertURL).
	CertURL string
	// Topic is the TopicArn of every message.
	Topic string
	// Version is the SignatureVersion used: "1" or "2" (the default).
	Version string
	seq     atomic.Int64
}

// NewSigner makes a fresh 2048-bit key and a certificate for
// sns.amazonaws.com valid from a year ago to a year ahead.
func NewSigner(topic string) (*Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
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
	return &Signer{
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		CertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem",
		Topic:   topic,
		Version: "2",
	}, nil
}

// Pin writes the certificate into dir under the name the verifier looks up.
func (s *Signer) Pin(dir string) error {
	return os.WriteFile(filepath.Join(dir, path.Base(s.CertURL)), s.CertPEM, 0o644)
}

// Notification returns a signed Notification carrying message, stamped at.
func (s *Signer) Notification(message string, at time.Time) *sns.Message {
	m := &sns.Message{
		Type:      sns.TypeNotification,
		MessageID: s.nextID(),
		TopicARN:  s.Topic,
		Message:   message,
		Timestamp: at.UTC().Format("2006-01-02T15:04:05.000Z"),
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
		Timestamp:    at.UTC().Format("2006-01-02T15:04:05.000Z"),
		SubscribeURL: subscribeURL,
	}
	s.Sign(m)
	return m
}

// Sign sets m's SignatureVersion, SigningCertURL and Signature.
func (s *Signer) Sign(m *sns.Message) {
	m.SignatureVersion = s.Version
	m.SigningCertURL = s.CertURL
	data, err := m.StringToSign()
	if err != nil {
		panic(fmt.Sprintf("snstest: signing a %q message: %v", m.Type, err))
	}
	var sig []byte
	if s.Version == "1" {
		h := sha1.Sum(data)
		sig, err = rsa.SignPKCS1v15(nil, s.Key, crypto.SHA1, h[:])
	} else {
		h := sha256.Sum256(data)
		sig, err = rsa.SignPKCS1v15(nil, s.Key, crypto.SHA256, h[:])
	}
	if err != nil {
		panic(fmt.Sprintf("snstest: signing: %v", err))
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
}

func (s *Signer) nextID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq.Add(1))
}

// Body renders m as the JSON body SNS POSTs to an HTTP endpoint.
func Body(m *sns.Message) []byte {
	v := map[string]string{
		"Type":             m.Type,
		"MessageId":        m.MessageID,
		"TopicArn":         m.TopicARN,
		"Message":          m.Message,
		"Timestamp":        m.Timestamp,
		"SignatureVersion": m.SignatureVersion,
		"Signature":        m.Signature,
		"SigningCertURL":   m.SigningCertURL,
	}
	if m.Type == sns.TypeNotification {
		if m.HasSubject || m.Subject != "" {
			v["Subject"] = m.Subject
		}
		v["UnsubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + m.TopicARN + ":sub"
	} else {
		v["Token"] = m.Token
		v["SubscribeURL"] = m.SubscribeURL
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
