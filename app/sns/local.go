package sns

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// LocalSigner is a signer other than Amazon SNS that a Verifier trusts
// because its configuration names it: the local SNS of a one-machine
// deployment, which signs with a key of its own. Trust is by identity, not by
// relaxing a rule: only a message whose SigningCertURL is exactly CertURL is
// checked against Cert (which is never fetched), and every other rule — the
// signature version and signature, the topic allow-list, the age, the
// certificate's validity at the Timestamp — applies to it unchanged.
type LocalSigner struct {
	// CertURL is the exact SigningCertURL of the signer's messages.
	CertURL string
	// Cert is the signer's certificate; its key must be RSA.
	Cert *x509.Certificate
	// SubscribeBase is the exact scheme, host and path (no query) of the
	// signer's SubscribeURLs, such as http://127.0.0.1:8080/local-sns/.
	SubscribeBase string
}

// localTrust is a LocalSigner, checked.
type localTrust struct {
	certURL string
	cert    *signingCert
	base    *url.URL
}

func newLocalTrust(l *LocalSigner) (*localTrust, error) {
	if l.CertURL == "" || l.Cert == nil || l.SubscribeBase == "" {
		return nil, errors.New("sns: Options.Local needs CertURL, Cert and SubscribeBase")
	}
	if _, err := parseCertURL(l.CertURL); err == nil {
		return nil, fmt.Errorf("sns: Options.Local.CertURL %s is an Amazon SNS URL: a local signer must not impersonate SNS", quote(l.CertURL))
	}
	key, ok := l.Cert.PublicKey.(*rsa.PublicKey)
	if !ok || key.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("sns: Options.Local.Cert must have an RSA key of at least %d bits", minRSABits)
	}
	verify, err := newVerifyKey(key)
	if err != nil {
		return nil, fmt.Errorf("sns: Options.Local.Cert: %w", err)
	}
	base, err := url.Parse(l.SubscribeBase)
	if err != nil || base.Host == "" || base.RawQuery != "" || base.Fragment != "" || base.User != nil {
		return nil, fmt.Errorf("sns: Options.Local.SubscribeBase %s is not scheme://host/path", quote(l.SubscribeBase))
	}
	return &localTrust{
		certURL: l.CertURL,
		cert:    &signingCert{key: key, verify: verify, notBefore: l.Cert.NotBefore, notAfter: l.Cert.NotAfter},
		base:    base,
	}, nil
}

// subscribeQuery checks that raw is one of the local signer's SubscribeURLs
// and returns its query, or reports false when raw is not the signer's.
func (l *localTrust) subscribeQuery(raw string) (url.Values, bool, error) {
	if l == nil {
		return nil, false, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != l.base.Scheme || u.Host != l.base.Host || u.User != nil ||
		strings.TrimSuffix(u.EscapedPath(), "/") != strings.TrimSuffix(l.base.EscapedPath(), "/") {
		return nil, false, nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, true, &SubscribeURLError{URL: raw, Reason: "query is not valid: " + err.Error()}
	}
	for _, k := range subscribeParams {
		if vs := q[k]; len(vs) != 1 || vs[0] == "" {
			return nil, true, &SubscribeURLError{URL: raw, Reason: "query parameter " + k + " is missing or repeated"}
		}
	}
	if len(q) != len(subscribeParams) {
		return nil, true, &SubscribeURLError{URL: raw, Reason: "query has parameters besides Action, TopicArn, Token"}
	}
	if q.Get("Action") != "ConfirmSubscription" {
		return nil, true, &SubscribeURLError{URL: raw, Reason: "Action is " + quote(q.Get("Action")) + ", not ConfirmSubscription"}
	}
	return q, true, nil
}
