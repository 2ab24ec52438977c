package sns

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// maxCertSize caps a signing certificate, fetched or pinned. Real ones are
// about 2 KiB.
const maxCertSize = 64 << 10

// minRSABits is the smallest signing key accepted; SNS uses 2048 bits.
const minRSABits = 2048

// signingCert is what Verify needs of a signing certificate once its
// message-independent checks have passed; its validity period is checked
// against each message's Timestamp.
type signingCert struct {
	key       *rsa.PublicKey
	verify    *verifyKey // key, prepared for verifying
	notBefore time.Time
	notAfter  time.Time
}

// parseSigningCert checks that data is exactly one PEM CERTIFICATE block
// (whitespace around it aside) holding an X.509 certificate with an RSA key
// of at least minRSABits, issued to an SNS signing name.
//
// The certificate chain is not verified: the certificate is trusted because
// it was fetched over verified TLS from an SNS host (or pinned by the
// operator), and its name is a second check on that.
func parseSigningCert(certURL string, data []byte) (*signingCert, error) {
	fail := func(format string, args ...any) (*signingCert, error) {
		return nil, &CertificateError{URL: certURL, Reason: fmt.Sprintf(format, args...)}
	}
	data = bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(data, []byte("-----BEGIN ")) {
		return fail("not a PEM document")
	}
	block, rest := pem.Decode(data)
	switch {
	case block == nil:
		return fail("not a PEM document")
	case block.Type != "CERTIFICATE":
		return fail("PEM block is %s, not CERTIFICATE", quote(block.Type))
	case len(block.Headers) > 0:
		return fail("PEM block has headers")
	}
	if rest = bytes.TrimSpace(rest); len(rest) > 0 {
		if bytes.Contains(rest, []byte("-----BEGIN ")) {
			return fail("more than one PEM block")
		}
		return fail("data after the PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fail("not an X.509 certificate: %v", err)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fail("public key is %v, not RSA", cert.PublicKeyAlgorithm)
	}
	if n := key.N.BitLen(); n < minRSABits {
		return fail("RSA key has %d bits, fewer than %d", n, minRSABits)
	}
	if !hasSigningName(cert) {
		return fail("subject CN %s and DNS names %q are not an SNS signing name (sns.amazonaws.com, ...)",
			quote(cert.Subject.CommonName), cert.DNSNames)
	}
	verify, err := newVerifyKey(key)
	if err != nil {
		return fail("%v", err)
	}
	return &signingCert{key: key, verify: verify, notBefore: cert.NotBefore, notAfter: cert.NotAfter}, nil
}

func hasSigningName(cert *x509.Certificate) bool {
	if isSigningName(cert.Subject.CommonName) {
		return true
	}
	for _, n := range cert.DNSNames {
		if isSigningName(n) {
			return true
		}
	}
	return false
}

// isSigningName reports whether name is one of the names SNS signing
// certificates are issued to, in any partition reachable by a URL that
// ValidateCertURL accepts (amazonaws.com and amazonaws.com.cn):
//
//	sns.amazonaws.com                   most regions (all the real certificates seen)
//	sns.<region>.amazonaws.com          regional form named in the AWS documentation
//	sns-<region>.amazonaws.com          GovCloud, China (sns-us-gov-west-1, sns-cn-north-1)
//	sns-signing.<region>.amazonaws.com  opt-in regions (af-south-1, il-central-1, ...)
//
// each also under amazonaws.com.cn. The list follows the AWS SDK for Java
// v2 sns-message-manager (SnsHostProvider). Wildcards never match.
func isSigningName(name string) bool {
	name = strings.ToLower(name)
	base, ok := strings.CutSuffix(name, ".amazonaws.com")
	if !ok {
		if base, ok = strings.CutSuffix(name, ".amazonaws.com.cn"); !ok {
			return false
		}
	}
	if base == "sns" {
		return true
	}
	for _, prefix := range []string{"sns.", "sns-signing.", "sns-"} {
		if region, ok := strings.CutPrefix(base, prefix); ok {
			return isRegion(region)
		}
	}
	return false
}

// validAt checks the certificate's validity period at the message's
// Timestamp, not at the wall clock: SNS retries a delivery for up to an
// hour with the original Timestamp and signature, and MaxAge bounds how old
// that Timestamp may be.
func (c *signingCert) validAt(certURL, timestamp string, t time.Time) error {
	switch {
	case t.Before(c.notBefore):
		return &CertificateError{URL: certURL, Reason: fmt.Sprintf(
			"not yet valid at the message Timestamp %s (valid from %s)",
			quote(timestamp), c.notBefore.UTC().Format(time.RFC3339))}
	case t.After(c.notAfter):
		return &CertificateError{URL: certURL, Reason: fmt.Sprintf(
			"expired at the message Timestamp %s (valid until %s)",
			quote(timestamp), c.notAfter.UTC().Format(time.RFC3339))}
	}
	return nil
}
