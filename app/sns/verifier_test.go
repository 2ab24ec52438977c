package sns

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// env is a Verifier wired to a fake SNS that serves pemData at testCertURL.
type env struct {
	sns     *fakeSNS
	v       *Verifier
	fetches atomic.Int64 // OnFetch calls
}

func newEnv(t testing.TB, pemData []byte, opts func(*Options)) *env {
	t.Helper()
	e := &env{sns: newFakeSNS(t)}
	e.sns.Serve(certPath(), pemData)
	o := Options{
		TopicARNs:  []string{testTopic},
		MaxAge:     time.Hour,
		HTTPClient: e.sns.Client,
		Now:        func() time.Time { return t0.Add(time.Minute) },
		OnFetch:    func(string, error, time.Duration) { e.fetches.Add(1) },
	}
	if opts != nil {
		opts(&o)
	}
	v, err := NewVerifier(o)
	if err != nil {
		t.Fatal(err)
	}
	e.v = v
	return e
}

func TestVerifyAcceptsAGenuineMessage(t *testing.T) {
	tests := []struct {
		name string
		m    func(t *testing.T) *Message
	}{
		{"a notification signed with SignatureVersion 1", func(t *testing.T) *Message { return signed(t, "1") }},
		{"a notification signed with SignatureVersion 2", func(t *testing.T) *Message { return signed(t, "2") }},
		{"a notification without a Subject", func(t *testing.T) *Message {
			m := testMessage(TypeNotification)
			m.Subject, m.HasSubject = "", false
			return sign(t, m, signerKey())
		}},
		{"a subscription confirmation", func(t *testing.T) *Message {
			return sign(t, testMessage(TypeSubscriptionConfirmation), signerKey())
		}},
		{"an unsubscribe confirmation", func(t *testing.T) *Message {
			return sign(t, testMessage(TypeUnsubscribeConfirmation), signerKey())
		}},
		{"a message that went through Parse", func(t *testing.T) *Message {
			m := signed(t, "1")
			m.Message = "a \"quoted\"\nline\tcafé 😀"
			sign(t, m, signerKey())
			body := object([]kv{
				{"Type", `"Notification"`}, {"MessageId", `"` + m.MessageID + `"`}, {"TopicArn", `"` + m.TopicARN + `"`},
				{"Subject", `"` + m.Subject + `"`}, {"Message", `"a \"quoted\"\nline\tcaf\u00e9 \ud83d\ude00"`},
				{"Timestamp", `"` + m.Timestamp + `"`}, {"SignatureVersion", `"1"`}, {"Signature", `"` + m.Signature + `"`},
				{"SigningCertURL", `"` + m.SigningCertURL + `"`},
			})
			p, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, pemOf(t, goodCert()), nil)
			if err := e.v.Verify(context.Background(), tt.m(t)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVerifyRefusesAMessageThatBreaksARule(t *testing.T) {
	other := func(mut func(*certSpec)) []byte {
		s := goodCert()
		mut(&s)
		return pemOf(t, s)
	}
	ecdsaKey := &mustECDSA().PublicKey
	tests := []struct {
		name    string
		cert    []byte            // served at testCertURL; nil for the good one
		opts    func(*Options)    // nil for newEnv's
		message func(*Message)    // applied after signing
		before  func(*Message)    // applied before signing
		class   error             // the error class
		as      func(error) error // the error's type, through errors.As
		want    string            // in the message
		network bool              // whether the certificate may be fetched
	}{
		{name: "an unknown signature version", message: func(m *Message) { m.SignatureVersion = "3" },
			class: ErrRejected, as: isErr(ErrUnknownSignatureVersion), want: `unknown signature version: "3", want "1" (SHA-1) or "2" (SHA-256)`},
		{name: "a missing signature version", message: func(m *Message) { m.SignatureVersion = "" },
			class: ErrRejected, as: isErr(ErrUnknownSignatureVersion), want: "SignatureVersion is missing"},
		{name: "a padded signature version", message: func(m *Message) { m.SignatureVersion = " 1" },
			class: ErrRejected, as: isErr(ErrUnknownSignatureVersion), want: `" 1"`},
		{name: "a signature version other than the signed one", message: func(m *Message) { m.SignatureVersion = "1" },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match the message (RSA PKCS #1 v1.5 with SHA-1)", network: true},
		{name: "a signature by another key", before: func(m *Message) {}, message: func(m *Message) { sign(t, m, otherKey()) },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match the message (RSA PKCS #1 v1.5 with SHA-256)", network: true},
		{name: "a tampered Message", message: func(m *Message) { m.Message += " " },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match", network: true},
		{name: "a tampered Subject", message: func(m *Message) { m.Subject = "Job update!" },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match", network: true},
		{name: "a removed Subject", message: func(m *Message) { m.Subject, m.HasSubject = "", false },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match", network: true},
		{name: "a tampered MessageId", message: func(m *Message) { m.MessageID = "x" },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match", network: true},
		{name: "a re-formatted Timestamp", message: func(m *Message) { m.Timestamp = "2026-03-06T19:55:38.903000Z" },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match", network: true},
		{name: "a changed Type", message: func(m *Message) { m.Type = TypeUnsubscribeConfirmation },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match", network: true},
		{name: "a flipped signature bit", message: func(m *Message) { m.Signature = flipBase64(m.Signature) },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match", network: true},
		{name: "a truncated signature", message: func(m *Message) { m.Signature = m.Signature[:len(m.Signature)-4] },
			class: ErrRejected, as: asErr[*SignatureError], want: "does not match", network: true},
		{name: "a signature that is not base64", message: func(m *Message) { m.Signature = "not*base64" },
			class: ErrRejected, as: asErr[*SignatureError], want: "Signature is not valid base64"},
		{name: "a signature without padding", message: func(m *Message) { m.Signature = strings.TrimRight(m.Signature, "=") + "A" },
			class: ErrRejected, as: asErr[*SignatureError], want: "Signature is not valid base64"},
		{name: "a signature with a line break", message: func(m *Message) { m.Signature = m.Signature[:10] + "\n" + m.Signature[10:] },
			class: ErrRejected, as: asErr[*SignatureError], want: "Signature contains a line break"},
		{name: "an empty signature", message: func(m *Message) { m.Signature = "" },
			class: ErrRejected, as: asErr[*SignatureError], want: "Signature is empty"},
		{name: "a topic outside the allow-list", before: func(m *Message) { m.TopicARN = "arn:aws:sns:us-east-1:123456789012:other" },
			class: ErrRejected, as: asErr[*TopicError], want: `topic "arn:aws:sns:us-east-1:123456789012:other" is not in the allow-list`},
		{name: "any topic with an empty allow-list", opts: func(o *Options) { o.TopicARNs = nil },
			class: ErrRejected, as: asErr[*TopicError], want: "is not in the allow-list"},
		{name: "a plain http certificate URL", before: func(m *Message) { m.SigningCertURL = strings.Replace(testCertURL, "https", "http", 1) },
			class: ErrRejected, as: asErr[*CertURLError], want: `scheme "http" is not https`},
		{name: "a certificate URL with a port", before: func(m *Message) { m.SigningCertURL = strings.Replace(testCertURL, ".com/", ".com:443/", 1) },
			class: ErrRejected, as: asErr[*CertURLError], want: "must not name a port"},
		{name: "a certificate URL with user info", before: func(m *Message) { m.SigningCertURL = strings.Replace(testCertURL, "//", "//u:p@", 1) },
			class: ErrRejected, as: asErr[*CertURLError], want: "must not contain user info"},
		{name: "a certificate URL with a query", before: func(m *Message) { m.SigningCertURL = testCertURL + "?a=b" },
			class: ErrRejected, as: asErr[*CertURLError], want: "must not have a query"},
		{name: "a certificate URL with a fragment", before: func(m *Message) { m.SigningCertURL = testCertURL + "#a" },
			class: ErrRejected, as: asErr[*CertURLError], want: "must not have a fragment"},
		{name: "a certificate URL on an S3 bucket called sns", before: func(m *Message) {
			m.SigningCertURL = strings.Replace(testCertURL, "sns.us-east-1", "sns.s3-us-west-2", 1)
		}, class: ErrRejected, as: asErr[*CertURLError], want: `host "sns.s3-us-west-2.amazonaws.com" is not sns.<region>.amazonaws.com`},
		{name: "a certificate URL on another domain", before: func(m *Message) {
			m.SigningCertURL = strings.Replace(testCertURL, "amazonaws.com", "example.com", 1)
		}, class: ErrRejected, as: asErr[*CertURLError], want: "is not sns.<region>.amazonaws.com"},
		{name: "a certificate URL on a lookalike host", before: func(m *Message) {
			m.SigningCertURL = strings.Replace(testCertURL, "amazonaws.com", "amazonaws.com.evil.com", 1)
		}, class: ErrRejected, as: asErr[*CertURLError], want: `host "sns.us-east-1.amazonaws.com.evil.com" is not`},
		{name: "a certificate URL with another path", before: func(m *Message) {
			m.SigningCertURL = "https://sns.us-east-1.amazonaws.com/cert.pem"
		}, class: ErrRejected, as: asErr[*CertURLError], want: `path "/cert.pem" is not /SimpleNotificationService-<hex>.pem`},
		{name: "a certificate for another name", cert: other(func(s *certSpec) { s.cn, s.dns = "evil.example", []string{"evil.example"} }),
			class: ErrRejected, as: asErr[*CertificateError], want: "are not an SNS signing name", network: true},
		{name: "a certificate with an ECDSA key", cert: other(func(s *certSpec) { s.pub = ecdsaKey }),
			class: ErrRejected, as: asErr[*CertificateError], want: "public key is ECDSA, not RSA", network: true},
		{name: "a response of two PEM blocks", cert: append(pemOf(t, goodCert()), pemOf(t, goodCert())...),
			class: ErrRejected, as: asErr[*CertificateError], want: "more than one PEM block", network: true},
		{name: "a response that is not PEM", cert: []byte("<Error>NoSuchKey</Error>"),
			class: ErrRejected, as: asErr[*CertificateError], want: "not a PEM document", network: true},
		{name: "a certificate expired at the message Timestamp", cert: other(func(s *certSpec) { s.notAfter = t0.Add(-time.Second) }),
			class: ErrRejected, as: asErr[*CertificateError], want: `expired at the message Timestamp "` + t0Text + `"`, network: true},
		{name: "a certificate not yet valid at the message Timestamp", cert: other(func(s *certSpec) { s.notBefore = t0.Add(time.Second) }),
			class: ErrRejected, as: asErr[*CertificateError], want: "not yet valid at the message Timestamp", network: true},
		{name: "a message older than MaxAge", opts: func(o *Options) { o.Now = func() time.Time { return t0.Add(61 * time.Minute) } },
			class: ErrRejected, as: asErr[*TimestampError], want: "is 1h1m0s old, more than the maximum age 1h0m0s"},
		{name: "a message more than 5 minutes in the future", opts: func(o *Options) { o.Now = func() time.Time { return t0.Add(-6 * time.Minute) } },
			class: ErrRejected, as: asErr[*TimestampError], want: "is 6m0s in the future, more than 5m0s"},
		{name: "a built message with a bad Timestamp", before: func(m *Message) { m.Timestamp = "yesterday" },
			class: ErrMalformed, as: asErr[*MessageError], want: `Timestamp "yesterday" is not an RFC 3339 time`},
		{name: "a built message with an unknown Type", before: func(m *Message) {}, message: func(m *Message) { m.Type = "Other" },
			class: ErrMalformed, as: asErr[*MessageError], want: `Type "Other" is not a known message type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := tt.cert
			if cert == nil {
				cert = pemOf(t, goodCert())
			}
			e := newEnv(t, cert, tt.opts)
			m := testMessage(TypeNotification)
			if tt.before != nil {
				tt.before(m)
			}
			sign(t, m, signerKey())
			if tt.message != nil {
				tt.message(m)
			}
			err := e.v.Verify(context.Background(), m)
			checkClass(t, err, tt.class)
			if err := tt.as(err); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if n := e.sns.dials.Load(); !tt.network && n != 0 {
				t.Errorf("the verifier opened %d connections for a message it could refuse without any", n)
			}
		})
	}
}

// asErr checks that err is a T.
func asErr[T error](err error) error {
	var target T
	if !errors.As(err, &target) {
		return errors.New("error " + err.Error() + " is not the expected type")
	}
	return nil
}

// isErr checks that err wraps target.
func isErr(target error) func(error) error {
	return func(err error) error {
		if !errors.Is(err, target) {
			return errors.New("error " + err.Error() + " does not wrap " + target.Error())
		}
		return nil
	}
}

// flipBase64 changes one bit of the first signature byte.
func flipBase64(s string) string {
	c := s[0]
	if c == 'A' {
		c = 'B'
	} else {
		c = 'A'
	}
	return string(c) + s[1:]
}

func TestMaxAgeZeroTurnsTheAgeChecksOff(t *testing.T) {
	for _, now := range []time.Time{t0.Add(24 * 365 * time.Hour), t0.Add(-24 * time.Hour)} {
		e := newEnv(t, pemOf(t, goodCert()), func(o *Options) {
			o.MaxAge = 0
			o.Now = func() time.Time { return now }
		})
		if err := e.v.Verify(context.Background(), signed(t, "2")); err != nil {
			t.Errorf("now %v: %v", now, err)
		}
	}
}

func TestAMessageExactlyMaxAgeOldIsAccepted(t *testing.T) {
	e := newEnv(t, pemOf(t, goodCert()), func(o *Options) {
		o.Now = func() time.Time { return t0.Add(time.Hour) }
	})
	if err := e.v.Verify(context.Background(), signed(t, "2")); err != nil {
		t.Fatal(err)
	}
}

func TestTheCertificateIsFetchedOnceAndCached(t *testing.T) {
	e := newEnv(t, pemOf(t, goodCert()), nil)
	for i := range 3 {
		if err := e.v.Verify(context.Background(), signed(t, "2")); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
	}
	if n := e.sns.requests.Load(); n != 1 {
		t.Errorf("%d requests reached SNS, want 1", n)
	}
	if n := e.fetches.Load(); n != 1 {
		t.Errorf("OnFetch was called %d times, want 1", n)
	}
}

// A cached certificate is found by its URL's exact spelling, so the cache
// lets through only the URL that passed the rules when it was stored: a
// variant of it is checked, refused and never fetched.
func TestTheCacheServesOnlyTheURLThatPassed(t *testing.T) {
	e := newEnv(t, pemOf(t, goodCert()), nil)
	if err := e.v.Verify(context.Background(), signed(t, "2")); err != nil {
		t.Fatal(err)
	}
	for _, variant := range []string{
		testCertURL + "?x=1",
		testCertURL + "?",
		"http" + strings.TrimPrefix(testCertURL, "https"),
		strings.Replace(testCertURL, ".amazonaws.com/", ".amazonaws.com:443/", 1),
		strings.Replace(testCertURL, "https://", "https://user@", 1),
	} {
		m := signed(t, "2")
		m.SigningCertURL = variant
		checkErr[*CertURLError](t, e.v.Verify(context.Background(), m), ErrRejected, "")
	}
	if n := e.sns.requests.Load(); n != 1 {
		t.Errorf("%d requests reached SNS, want 1 (the first verify's)", n)
	}
}

func TestConcurrentVerifiesShareOneFetch(t *testing.T) {
	e := newEnv(t, nil, nil)
	good := pemOf(t, goodCert())
	e.sns.Handle(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond) // let the other verifies queue up
		w.Write(good)
	})
	m := signed(t, "1")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() { errs <- e.v.Verify(context.Background(), m) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := e.sns.requests.Load(); n != 1 {
		t.Errorf("%d requests reached SNS, want 1", n)
	}
}

func TestAFailedFetchIsNotCached(t *testing.T) {
	e := newEnv(t, nil, nil)
	good := pemOf(t, goodCert())
	var calls atomic.Int64
	e.sns.Handle(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "slow down", http.StatusServiceUnavailable)
			return
		}
		w.Write(good)
	})
	var gotErr error
	e.v.certs.onFetch = func(_ string, err error, _ time.Duration) { gotErr = err }
	m := signed(t, "2")

	err := e.v.Verify(context.Background(), m)
	checkErr[*FetchError](t, err, ErrUnavailable, "sns: certificate unavailable: GET "+testCertURL+": HTTP status 503 Service Unavailable")
	if gotErr == nil {
		t.Error("OnFetch did not see the failure")
	}
	if err := e.v.Verify(context.Background(), m); err != nil {
		t.Fatalf("the retry failed: %v", err)
	}
	if n := e.sns.requests.Load(); n != 2 {
		t.Errorf("%d requests reached SNS, want 2", n)
	}
}

func TestFetchFailuresAreUnavailable(t *testing.T) {
	tests := []struct {
		name    string
		handle  http.HandlerFunc
		silent  bool // the server does not answer while the client waits
		opts    func(*Options)
		want    string
		wantReq int64
	}{
		{"a 404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, false, nil, "HTTP status 404 Not Found", 1},
		{"a 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "", 500) }, false, nil, "HTTP status 500", 1},
		{"a redirect, which is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://sns.us-west-2.amazonaws.com"+certPath(), http.StatusFound)
		}, false, nil, "HTTP status 302 Found", 1},
		// The silent server answers only once the subtest ends, not when
		// its request's context ends: had it answered then, a client on a
		// loaded machine could read that empty answer as a response.
		{"a response slower than FetchTimeout", nil, true,
			func(o *Options) { o.FetchTimeout = 500 * time.Millisecond }, "", 1}, // long enough for the handshake on a loaded machine, so the request arrives
		{"a network failure", nil, false, func(o *Options) { o.HTTPClient = new(offline).Client() }, "offline: no network in this test", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, tt.opts)
			handle := tt.handle
			if tt.silent {
				// Never answered while the client waits; released before
				// the server closes (cleanups run last first).
				release := make(chan struct{})
				t.Cleanup(func() { close(release) })
				handle = func(http.ResponseWriter, *http.Request) { <-release }
			}
			e.sns.Handle(handle)
			err := e.v.Verify(context.Background(), signed(t, "2"))
			fe := checkErr[*FetchError](t, err, ErrUnavailable, tt.want)
			if fe.URL != testCertURL {
				t.Errorf("FetchError.URL = %q", fe.URL)
			}
			if n := e.sns.requests.Load(); n != tt.wantReq {
				t.Errorf("%d requests reached SNS, want %d", n, tt.wantReq)
			}
		})
	}
}

func TestAnOversizedCertificateResponseIsRefused(t *testing.T) {
	big := append(pemOf(t, goodCert()), strings.Repeat(" ", maxCertSize)...)
	e := newEnv(t, big, nil)
	err := e.v.Verify(context.Background(), signed(t, "2"))
	checkErr[*CertificateError](t, err, ErrRejected, "response is larger than 64 KiB")
}

func TestTheCacheKeepsOnlyCacheSizeCertificates(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.CacheSize = 1 })
	good := pemOf(t, goodCert())
	e.sns.Handle(func(w http.ResponseWriter, r *http.Request) { w.Write(good) })
	a := signed(t, "2")
	b := testMessage(TypeNotification)
	b.SigningCertURL = strings.Replace(testCertURL, "-0123", "-4567", 1)
	sign(t, b, signerKey())
	for _, m := range []*Message{a, a, b, b, a} {
		if err := e.v.Verify(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sns.requests.Load(); n != 3 {
		t.Errorf("%d requests reached SNS, want 3 (a, b, then a again after its eviction)", n)
	}
}

func TestAVerifyThatGivesUpLeavesTheFetchToFinish(t *testing.T) {
	e := newEnv(t, nil, nil)
	good := pemOf(t, goodCert())
	release := make(chan struct{})
	e.sns.Handle(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write(good)
	})
	m := signed(t, "2")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := e.v.Verify(ctx, m)
	checkErr[*FetchError](t, err, ErrUnavailable, "gave up waiting: context deadline exceeded")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v does not wrap context.DeadlineExceeded", err)
	}
	close(release)
	if err := e.v.Verify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if n := e.sns.requests.Load(); n != 1 {
		t.Errorf("%d requests reached SNS, want 1", n)
	}
}

func TestAPinnedCertificateIsUsedWithoutNetwork(t *testing.T) {
	net := new(offline)
	dir := pinDir(t, pemOf(t, goodCert()))
	e := newEnv(t, nil, func(o *Options) { o.CertDir, o.HTTPClient = dir, net.Client() })
	for _, v := range []string{"1", "2"} {
		if err := e.v.Verify(context.Background(), signed(t, v)); err != nil {
			t.Fatal(err)
		}
	}
	if n := net.calls.Load(); n != 0 {
		t.Errorf("%d network requests, want none", n)
	}
	if n := e.fetches.Load(); n != 0 {
		t.Errorf("OnFetch was called %d times for a pinned certificate", n)
	}
}

func TestACertificateMissingFromCertDirIsFetched(t *testing.T) {
	e := newEnv(t, pemOf(t, goodCert()), func(o *Options) { o.CertDir = t.TempDir() })
	if err := e.v.Verify(context.Background(), signed(t, "2")); err != nil {
		t.Fatal(err)
	}
	if n := e.sns.requests.Load(); n != 1 {
		t.Errorf("%d requests reached SNS, want 1", n)
	}
}

func TestPinningSkipsNoRule(t *testing.T) {
	expired := goodCert()
	expired.notAfter = t0.Add(-time.Hour)
	misnamed := goodCert()
	misnamed.cn, misnamed.dns = "evil.example", nil
	tests := []struct {
		name    string
		pinned  []byte
		message func(*Message)
		class   error
		want    string
	}{
		{"a pinned certificate for another name is refused", pemOf(t, misnamed), nil, ErrRejected, "are not an SNS signing name"},
		{"a pinned certificate expired at the Timestamp is refused", pemOf(t, expired), nil, ErrRejected, "expired at the message Timestamp"},
		{"a pinned file of two PEM blocks is refused", append(pemOf(t, goodCert()), pemOf(t, goodCert())...), nil, ErrRejected, "more than one PEM block"},
		{"a pinned file over 64 KiB is refused", append(pemOf(t, goodCert()), strings.Repeat("\n", maxCertSize)...), nil, ErrRejected, "pinned file is larger than 64 KiB"},
		{"a pinned file name under a bad host is refused", pemOf(t, goodCert()), func(m *Message) {
			m.SigningCertURL = strings.Replace(testCertURL, "sns.us-east-1", "sns.s3-us-west-2", 1)
		}, ErrRejected, "is not sns.<region>.amazonaws.com"},
		{"a pinned certificate does not excuse a bad signature", pemOf(t, goodCert()), func(m *Message) { m.Message = "forged" }, ErrRejected, "does not match"},
		{"a pinned certificate does not excuse a foreign topic", pemOf(t, goodCert()), func(m *Message) { m.TopicARN += "x" }, ErrRejected, "is not in the allow-list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			net := new(offline)
			dir := pinDir(t, tt.pinned)
			e := newEnv(t, nil, func(o *Options) { o.CertDir, o.HTTPClient = dir, net.Client() })
			m := signed(t, "2")
			if tt.message != nil {
				tt.message(m)
			}
			err := e.v.Verify(context.Background(), m)
			checkClass(t, err, tt.class)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if n := net.calls.Load(); n != 0 {
				t.Errorf("%d network requests, want none", n)
			}
		})
	}
}

func TestAnUnreadablePinnedFileIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be cannot be read as one.
	if err := os.Mkdir(filepath.Join(dir, certPath()[1:]), 0o700); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil, func(o *Options) { o.CertDir, o.HTTPClient = dir, new(offline).Client() })
	err := e.v.Verify(context.Background(), signed(t, "2"))
	checkErr[*FetchError](t, err, ErrUnavailable, "reading the pinned certificate")
}

func TestNewVerifierRefusesABadConfiguration(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"a negative MaxAge", Options{MaxAge: -time.Second}, "Options.MaxAge -1s is negative"},
		{"a negative FetchTimeout", Options{FetchTimeout: -1}, "Options.FetchTimeout -1ns is negative"},
		{"a negative CacheSize", Options{CacheSize: -1}, "Options.CacheSize -1 is negative"},
		{"an empty topic ARN", Options{TopicARNs: []string{testTopic, ""}}, "Options.TopicARNs holds an empty ARN"},
		{"a missing CertDir", Options{CertDir: filepath.Join(file, "nope")}, "Options.CertDir"},
		{"a CertDir that is a file", Options{CertDir: file}, "is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.opts)
			if err == nil || v != nil {
				t.Fatalf("NewVerifier = %v, %v; want an error", v, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestNewVerifierLeavesTheCallersClientAlone(t *testing.T) {
	c := &http.Client{}
	if _, err := NewVerifier(Options{HTTPClient: c}); err != nil {
		t.Fatal(err)
	}
	if c.CheckRedirect != nil {
		t.Error("NewVerifier changed the caller's client")
	}
}

func TestConcurrentFetchesOfDistinctCertificatesAreBounded(t *testing.T) {
	e := newEnv(t, nil, nil)
	good := pemOf(t, goodCert())
	release := make(chan struct{})
	e.sns.Handle(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write(good)
	})
	var messages []*Message // each with its own certificate URL
	for i := range maxInFlight + 1 {
		m := testMessage(TypeNotification)
		m.SigningCertURL = strings.Replace(testCertURL, "-0123", "-"+strings.Repeat("a", i+1), 1)
		messages = append(messages, sign(t, m, signerKey()))
	}
	var wg sync.WaitGroup
	for _, m := range messages[:maxInFlight] {
		wg.Go(func() {
			if err := e.v.Verify(context.Background(), m); err != nil {
				t.Error(err)
			}
		})
	}
	for {
		e.v.certs.mu.Lock()
		n := len(e.v.certs.calls)
		e.v.certs.mu.Unlock()
		if n == maxInFlight {
			break
		}
		time.Sleep(time.Millisecond)
	}
	err := e.v.Verify(context.Background(), messages[maxInFlight])
	checkErr[*FetchError](t, err, ErrUnavailable, "too many certificate fetches in flight")
	close(release)
	wg.Wait()
	if err := e.v.Verify(context.Background(), messages[maxInFlight]); err != nil {
		t.Errorf("once the others are done: %v", err)
	}
}
