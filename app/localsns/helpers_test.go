package localsns

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"transcoder/app/sns"
)

// testTopicARN is the topic of hand-made messages.
const testTopicARN = "arn:aws:sns:us-west-2:123456789012:MyTopic"

// guard bounds every wait for something that must happen; reaching it
// fails the test. It is never what a test asserts.
const guard = 20 * time.Second

// testKey is one RSA key for the whole run: generating one per test would
// cost more CPU than everything else together.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		panic(err)
	}
	return key
})

// otherKey is a second key, for certificates that must not match testKey.
var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		panic(err)
	}
	return key
})

// mustDER returns the DER bytes of a PEM certificate.
func mustDER(t *testing.T, certPEM []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("not PEM")
	}
	return block.Bytes
}

// seededDir returns a new data directory holding testKey, so that Open
// finds a key and only has to make a certificate.
func seededDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkSignature verifies m's signature with crypto/rsa against cert, as
// any SNS verifier would, independently of the code that signed it.
func checkSignature(m *sns.Message, cert *x509.Certificate) error {
	data, err := m.StringToSign()
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return err
	}
	key := cert.PublicKey.(*rsa.PublicKey)
	switch m.SignatureVersion {
	case "1":
		sum := sha1.Sum(data)
		return rsa.VerifyPKCS1v15(key, crypto.SHA1, sum[:], sig)
	case "2":
		sum := sha256.Sum256(data)
		return rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig)
	}
	return fmt.Errorf("SignatureVersion %q", m.SignatureVersion)
}

// logSink is a slog.Handler that keeps every record, so that a test can
// wait for the log line that marks the end of what it triggered.
type logSink struct {
	mu      sync.Mutex
	records []slog.Record
	changed chan struct{} // closed and replaced on every record
}

func newLogSink() *logSink { return &logSink{changed: make(chan struct{})} }

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSink) WithGroup(string) slog.Handler            { return s }

func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, r.Clone())
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// count returns how many records have msg and, if attr is "key=value",
// that attribute.
func (s *logSink) count(msg, attr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.records {
		if r.Message == msg && (attr == "" || hasAttr(r, attr)) {
			n++
		}
	}
	return n
}

func hasAttr(r slog.Record, attr string) bool {
	key, value, _ := strings.Cut(attr, "=")
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key && a.Value.String() == value {
			found = true
		}
		return !found
	})
	return found
}

// hasAttrPrefix reports whether a record has attribute key with a value
// that starts with prefix.
func (s *logSink) hasAttrPrefix(key, prefix string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.records {
		found := false
		r.Attrs(func(a slog.Attr) bool {
			found = a.Key == key && strings.HasPrefix(a.Value.String(), prefix)
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// waitFor waits until at least n records have msg (and attr).
func (s *logSink) waitFor(t *testing.T, n int, msg, attr string) {
	t.Helper()
	deadline := time.After(guard)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if s.count(msg, attr) >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("waited for %d log lines %q %s; have %d", n, msg, attr, s.count(msg, attr))
		}
	}
}
