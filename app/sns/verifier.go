package sns

import (
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults for the zero values of Options.
const (
	// DefaultFetchTimeout bounds one certificate fetch or confirmation,
	// well inside SNS's 15-second delivery timeout.
	DefaultFetchTimeout = 5 * time.Second
	// DefaultCacheSize is how many signing certificates are kept. SNS uses
	// one per region at a time and rotates it about yearly.
	DefaultCacheSize = 16
)

// MaxClockSkew is how far in the future a Timestamp may be when MaxAge is
// set: clocks differ, but not by much.
const MaxClockSkew = 5 * time.Minute

// Options configures a Verifier. The zero value of each field is a safe
// default except TopicARNs, which must list the topics to accept.
//
// Besides Amazon SNS, the only signer trusted is the one Local names
// explicitly; there is no switch that skips a check.
type Options struct {
	// TopicARNs lists the topics whose messages are accepted; any other
	// TopicArn is a *TopicError. An empty list accepts nothing.
	TopicARNs []string

	// MaxAge is how old a message's Timestamp may be; a Timestamp more than
	// MaxClockSkew in the future is refused too. Zero turns both checks
	// off (the application uses an hour: SNS retries for about that long).
	// Since certificate validity is judged at the Timestamp, MaxAge is also
	// what stops a message signed long ago, under a since-expired
	// certificate, from being replayed: zero is for tests.
	MaxAge time.Duration

	// CertDir optionally names a directory of pinned signing certificates,
	// each stored under the last path segment of its URL
	// (SimpleNotificationService-<hex>.pem). A pinned certificate is used
	// without network access; every other rule still applies to it and to
	// its URL. Certificates not found there are fetched.
	CertDir string

	// HTTPClient fetches certificates and confirms subscriptions; nil means
	// a client on http.DefaultTransport. Redirects are never followed,
	// whatever the client's CheckRedirect says. The URL rules are checked
	// before the client sees a URL, so tests can pass a client whose
	// Transport dials a local TLS server for every address without
	// weakening any rule.
	HTTPClient *http.Client

	// FetchTimeout bounds each certificate fetch and each confirmation;
	// zero means DefaultFetchTimeout.
	FetchTimeout time.Duration

	// CacheSize is how many signing certificates are cached; zero means
	// DefaultCacheSize.
	CacheSize int

	// Now returns the current time, for the age checks; nil means
	// time.Now. Certificate validity is judged at the message's Timestamp,
	// not at Now.
	Now func() time.Time

	// OnFetch, if set, is called after every network fetch of a
	// certificate (not for cache hits or pinned files) with its URL, its
	// outcome and its duration, so that the application can count fetches
	// without this package knowing its metrics library. It may be called
	// from any goroutine, concurrently.
	OnFetch func(url string, err error, d time.Duration)

	// Local, if set, is the one signer besides Amazon SNS whose messages
	// are accepted: see LocalSigner. Nil in any deployment on AWS.
	Local *LocalSigner
}

// Verifier checks that SNS messages are authentic, fresh and meant for us,
// and confirms subscriptions. It is safe for concurrent use.
type Verifier struct {
	topics  map[string]struct{}
	maxAge  time.Duration
	now     func() time.Time
	client  *http.Client
	timeout time.Duration
	certs   *certStore
	local   *localTrust
}

// NewVerifier checks opts and returns a Verifier. Its errors describe a bad
// configuration, not a message, and belong to no error class.
func NewVerifier(opts Options) (*Verifier, error) {
	switch {
	case opts.MaxAge < 0:
		return nil, fmt.Errorf("sns: Options.MaxAge %v is negative", opts.MaxAge)
	case opts.FetchTimeout < 0:
		return nil, fmt.Errorf("sns: Options.FetchTimeout %v is negative", opts.FetchTimeout)
	case opts.CacheSize < 0:
		return nil, fmt.Errorf("sns: Options.CacheSize %d is negative", opts.CacheSize)
	}
	for _, arn := range opts.TopicARNs {
		if arn == "" {
			return nil, errors.New("sns: Options.TopicARNs holds an empty ARN")
		}
	}
	if opts.CertDir != "" {
		fi, err := os.Stat(opts.CertDir)
		if err != nil {
			return nil, fmt.Errorf("sns: Options.CertDir: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("sns: Options.CertDir %q is not a directory", opts.CertDir)
		}
	}

	var local *localTrust
	if opts.Local != nil {
		var err error
		if local, err = newLocalTrust(opts.Local); err != nil {
			return nil, err
		}
	}
	v := &Verifier{
		local:   local,
		topics:  make(map[string]struct{}, len(opts.TopicARNs)),
		maxAge:  opts.MaxAge,
		now:     opts.Now,
		timeout: opts.FetchTimeout,
	}
	for _, arn := range opts.TopicARNs {
		v.topics[arn] = struct{}{}
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.timeout == 0 {
		v.timeout = DefaultFetchTimeout
	}
	// A copy, so that the caller's client keeps its own redirect policy.
	v.client = &http.Client{}
	if opts.HTTPClient != nil {
		*v.client = *opts.HTTPClient
	}
	v.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	size := opts.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	v.certs = newCertStore(v.client, v.timeout, opts.CertDir, size, opts.OnFetch)
	return v, nil
}

// Verify checks every rule a message must pass before it is acted upon, the
// cheap ones first so that junk never causes network access: the signature
// version, the topic allow-list, the certificate URL, the age, the
// signature's encoding; then the certificate (cached, pinned or fetched:
// its form, key, name and validity at the Timestamp) and the signature
// itself.
//
// A nil error means m is authentic in every signed field. Errors are of the
// three classes; the typed errors say which rule failed.
func (v *Verifier) Verify(ctx context.Context, m *Message) error {
	hash, err := signatureHash(m.SignatureVersion)
	if err != nil {
		return err
	}
	if err := v.checkTopic(m.TopicARN); err != nil {
		return err
	}
	// The certificate, when this URL's is at hand: the local topic's, or
	// one cached, whose URL passed parseCertURL when it was stored. Any
	// other URL is checked here, before anything else is read.
	var (
		cert *signingCert
		u    *url.URL
	)
	if v.local != nil && m.SigningCertURL == v.local.certURL {
		cert = v.local.cert
	} else if c, hit := v.certs.cached(m.SigningCertURL); hit {
		cert = c
	} else if u, err = parseCertURL(m.SigningCertURL); err != nil {
		return err
	}
	ts, err := parseTimestamp(m.Timestamp)
	if err != nil {
		return &MessageError{Field: "Timestamp", Reason: quote(m.Timestamp) + " is not an RFC 3339 time"}
	}
	if err := v.checkAge(m.Timestamp, ts); err != nil {
		return err
	}
	var stack [2048]byte
	signed, err := m.appendStringToSign(stack[:0])
	if err != nil {
		return err
	}
	sig, err := decodeSignature(m.Signature)
	if err != nil {
		return err
	}

	if cert == nil {
		if cert, err = v.certs.get(ctx, m.SigningCertURL, u); err != nil {
			return err
		}
	}
	if err := cert.validAt(m.SigningCertURL, m.Timestamp, ts); err != nil {
		return err
	}
	return verifySignature(cert.verify, hash, signed, sig)
}

func (v *Verifier) checkTopic(arn string) error {
	if _, ok := v.topics[arn]; !ok {
		return &TopicError{TopicARN: arn}
	}
	return nil
}

func (v *Verifier) checkAge(timestamp string, t time.Time) error {
	if v.maxAge == 0 {
		return nil
	}
	now := v.now()
	if age := now.Sub(t); age > v.maxAge {
		return &TimestampError{Timestamp: timestamp, Reason: fmt.Sprintf(
			"Timestamp %s is %v old, more than the maximum age %v",
			quote(timestamp), age.Round(time.Second), v.maxAge)}
	}
	if ahead := t.Sub(now); ahead > MaxClockSkew {
		return &TimestampError{Timestamp: timestamp, Reason: fmt.Sprintf(
			"Timestamp %s is %v in the future, more than %v",
			quote(timestamp), ahead.Round(time.Second), MaxClockSkew)}
	}
	return nil
}

// signatureHash maps a SignatureVersion to its hash.
func signatureHash(version string) (crypto.Hash, error) {
	switch version {
	case "1":
		return crypto.SHA1, nil
	case "2":
		return crypto.SHA256, nil
	case "":
		return 0, fmt.Errorf("%w: SignatureVersion is missing", ErrUnknownSignatureVersion)
	}
	return 0, fmt.Errorf("%w: %s, want \"1\" (SHA-1) or \"2\" (SHA-256)", ErrUnknownSignatureVersion, quote(version))
}

// decodeSignature decodes standard, padded base64. Line breaks, which the
// standard decoder skips, are refused: one signature has one spelling.
func decodeSignature(s string) ([]byte, error) {
	if s == "" {
		return nil, &SignatureError{Reason: "Signature is empty"}
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, &SignatureError{Reason: "Signature contains a line break"}
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, &SignatureError{Reason: "Signature is not valid base64: " + err.Error()}
	}
	return sig, nil
}

// verifySignature checks an RSA PKCS #1 v1.5 signature with the
// certificate's prepared key (see verifyKey), not
// x509.Certificate.CheckSignature, which also refuses SHA-1, the hash of
// SignatureVersion 1.
func verifySignature(key *verifyKey, hash crypto.Hash, signed, sig []byte) error {
	var err error
	if hash == crypto.SHA1 {
		sum := sha1.Sum(signed)
		err = key.verifyPKCS1v15(hash, sum[:], sig)
	} else {
		sum := sha256.Sum256(signed)
		err = key.verifyPKCS1v15(hash, sum[:], sig)
	}
	if err != nil {
		return &SignatureError{Reason: fmt.Sprintf(
			"does not match the message (RSA PKCS #1 v1.5 with %v)", hash)}
	}
	return nil
}

// Confirm confirms the subscription a verified SubscriptionConfirmation
// asks for, by GETting its SubscribeURL. Call it only after Verify accepted
// m. It refuses any other message type, a topic outside the allow-list, a
// SubscribeURL that ValidateSubscribeURL refuses or whose TopicArn differs
// from the message's (class ErrRejected, nothing fetched); a network
// failure or a status outside 2xx is a *ConfirmError (class
// ErrUnavailable), so that SNS sends the confirmation again.
func (v *Verifier) Confirm(ctx context.Context, m *Message) error {
	var err error
	if m.Type != TypeSubscriptionConfirmation {
		return &SubscribeURLError{URL: m.SubscribeURL, Reason: fmt.Sprintf(
			"message type is %s, not SubscriptionConfirmation", quote(m.Type))}
	}
	if err := v.checkTopic(m.TopicARN); err != nil {
		return err
	}
	// The local signer's SubscribeURLs are accepted only in its own
	// messages: an SNS message never sends the endpoint anywhere else.
	var q url.Values
	isLocal := false
	if v.local != nil && m.SigningCertURL == v.local.certURL {
		q, isLocal, err = v.local.subscribeQuery(m.SubscribeURL)
	}
	if !isLocal {
		_, q, err = parseSubscribeURL(m.SubscribeURL)
	}
	if err != nil {
		return err
	}
	if arn := q.Get("TopicArn"); arn != m.TopicARN {
		return &SubscribeURLError{URL: m.SubscribeURL, Reason: fmt.Sprintf(
			"TopicArn parameter %s differs from the message's TopicArn %s", quote(arn), quote(m.TopicARN))}
	}

	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.SubscribeURL, nil)
	if err != nil {
		return &ConfirmError{URL: m.SubscribeURL, Err: err}
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return &ConfirmError{URL: m.SubscribeURL, Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxCertSize))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &ConfirmError{URL: m.SubscribeURL, Err: fmt.Errorf("HTTP status %s", resp.Status)}
	}
	return nil
}
