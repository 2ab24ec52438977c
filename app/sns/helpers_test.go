package sns

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"transcoder/app/internal/shared"
)

// t0 is the Timestamp of the generated messages.
const t0Text = "2026-03-06T19:55:38.903Z"

var t0 = func() time.Time {
	t, err := time.Parse(time.RFC3339, t0Text)
	if err != nil {
		panic(err)
	}
	return t
}()

const (
	testTopic   = "arn:aws:sns:us-east-1:123456789012:transcoder-jobs"
	testCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"
)

// realDir is the folder of real AWS-signed messages, beside the checkout
// (../shared/testdata/sns-real): a test that calls it is skipped where the
// folder is missing, and fails in CI (shared.Dir).
func realDir(t testing.TB) string {
	t.Helper()
	return shared.Dir(t, "sns-real")
}

// Keys are generated once per test binary: RSA key generation is slow.
var (
	signerKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	otherKey  = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	caKey     = sync.OnceValue(func() *ecdsa.PrivateKey { return mustECDSA() })
)

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func mustECDSA() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// certSpec describes a signing certificate for a test.
type certSpec struct {
	cn        string
	dns       []string
	notBefore time.Time
	notAfter  time.Time
	pub       crypto.PublicKey
}

// goodCert is a certificate like SNS's own, for signerKey, valid around t0.
func goodCert() certSpec {
	return certSpec{
		cn:        "sns.amazonaws.com",
		dns:       []string{"sns.amazonaws.com"},
		notBefore: t0.Add(-30 * 24 * time.Hour),
		notAfter:  t0.Add(300 * 24 * time.Hour),
		pub:       &signerKey().PublicKey,
	}
}

// pemOf issues the certificate described by s (signed by the test CA; the
// verifier does not check chains) and returns it as PEM.
func pemOf(t testing.TB, s certSpec) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: s.cn},
		DNSNames:     s.dns,
		NotBefore:    s.notBefore,
		NotAfter:     s.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test CA"},
		NotBefore:    s.notBefore,
		NotAfter:     s.notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, s.pub, caKey())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// testMessage returns an unsigned message of the given type dated t0.
func testMessage(typ string) *Message {
	m := &Message{
		Type:             typ,
		MessageID:        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicARN:         testTopic,
		Message:          `{"job":"j-1","state":"DONE"}`,
		Timestamp:        t0Text,
		SignatureVersion: "2",
		SigningCertURL:   testCertURL,
	}
	switch typ {
	case TypeNotification:
		m.Subject, m.HasSubject = "Job update", true
		m.UnsubscribeURL = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + testTopic + ":1"
	default:
		m.Token = "2336412f37fb687f5d51e6e2425929f52e8e3531"
		m.SubscribeURL = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" +
			testTopic + "&Token=" + m.Token
	}
	return m
}

// sign sets m.Signature as SNS would, with key and m.SignatureVersion.
func sign(t testing.TB, m *Message, key *rsa.PrivateKey) *Message {
	t.Helper()
	data, err := m.StringToSign()
	if err != nil {
		t.Fatal(err)
	}
	var sig []byte
	switch m.SignatureVersion {
	case "1":
		sum := sha1.Sum(data)
		sig, err = rsa.SignPKCS1v15(nil, key, crypto.SHA1, sum[:])
	default:
		sum := sha256.Sum256(data)
		sig, err = rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return m
}

// signed returns a Notification signed by signerKey with the given version.
func signed(t testing.TB, version string) *Message {
	m := testMessage(TypeNotification)
	m.SignatureVersion = version
	return sign(t, m, signerKey())
}

// fakeSNS is a TLS server that stands in for every SNS host. Its Client
// dials the server whatever address a request names, and trusts only the
// test CA, which issued the server a certificate for the SNS host names
// the tests use: TLS is verified as in production, and the package's URL
// rules are what decide which URLs are requested at all.
type fakeSNS struct {
	srv      *httptest.Server
	Client   *http.Client
	requests atomic.Int64 // requests that reached the server
	dials    atomic.Int64 // connections the client opened

	mu     sync.Mutex
	handle http.HandlerFunc
}

// snsHosts are the host names the fake SNS server has a certificate for.
var snsHosts = []string{
	"sns.us-east-1.amazonaws.com",
	"sns.us-west-2.amazonaws.com",
	"sns.eu-west-1.amazonaws.com",
	"sns.cn-north-1.amazonaws.com.cn",
}

var serverTLS = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	key := mustECDSA()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fake SNS test root"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey().PublicKey, caKey())
	if err != nil {
		panic(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: snsHosts[0]},
		DNSNames:     snsHosts,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey())
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}, pool
})

func newFakeSNS(t testing.TB) *fakeSNS {
	t.Helper()
	f := &fakeSNS{}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.mu.Lock()
		h := f.handle
		f.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	cert, pool := serverTLS()
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	f.srv.StartTLS()
	addr := f.srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			f.dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}
	f.Client = &http.Client{Transport: tr}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		f.srv.Close()
	})
	return f
}

// Handle sets what the server answers.
func (f *fakeSNS) Handle(h http.HandlerFunc) {
	f.mu.Lock()
	f.handle = h
	f.mu.Unlock()
}

// Serve answers GET path with body and 404 for anything else.
func (f *fakeSNS) Serve(path string, body []byte) {
	f.Handle(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	})
}

// offline is an HTTP client that fails every request and counts them, for
// tests that must not touch the network.
type offline struct{ calls atomic.Int64 }

func (o *offline) RoundTrip(*http.Request) (*http.Response, error) {
	o.calls.Add(1)
	return nil, errors.New("offline: no network in this test")
}

func (o *offline) Client() *http.Client { return &http.Client{Transport: o} }

// certPath is the path of testCertURL.
func certPath() string { return testCertURL[strings.Index(testCertURL, "/Simple"):] }

// pinDir writes pemData as the pinned certificate for testCertURL.
func pinDir(t testing.TB, pemData []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, certPath()[1:]), pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// classes are the three error classes.
var classes = []error{ErrMalformed, ErrRejected, ErrUnavailable}

// checkClass fails the test unless err wraps want and no other class.
func checkClass(t testing.TB, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one of class %v", want)
	}
	for _, c := range classes {
		if got := errors.Is(err, c); got != (c == want) {
			t.Fatalf("errors.Is(%q, %v) = %v; want class %v only", err, c, got, want)
		}
	}
}

// checkErr checks err's class, its type (through errors.As on target, when
// not nil) and that its message contains substr.
func checkErr[T error](t testing.TB, err error, class error, substr string) T {
	t.Helper()
	checkClass(t, err, class)
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %q (%T) is not a %T", err, err, target)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
	return target
}
