package localsns

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"transcoder/app/atomicfile"
	"transcoder/app/sns"
)

// Names and shapes of the signing material kept in a data directory.
const (
	// KeyFile holds the signer's RSA private key (PKCS #8 PEM), mode 0600.
	KeyFile = "signing-key.pem"
	// CertFile holds the signer's self-signed certificate (PEM), mode
	// 0600 like everything in the directory: whoever needs it fetches it
	// from the topic, not from the disk.
	CertFile = "signing-cert.pem"
	// CertCommonName is the subject (and only DNS name) of the certificate:
	// a name no real SNS certificate carries, so that it can never be taken
	// for Amazon's, and that the verifier must pin rather than recognise.
	CertCommonName = "sns.local"
	// CertValidity is how long a new certificate is valid. A certificate is
	// regenerated (same key, new certificate and so a new URL) only once it
	// has expired, so a development machine keeps one trust for years.
	CertValidity = 10 * 365 * 24 * time.Hour
	// KeyBits is the size of the RSA key, that of SNS's own.
	KeyBits = 2048
)

// Signer signs SNS messages with a key of its own, as Amazon SNS signs
// them with its: RSA PKCS #1 v1.5 over Message.StringToSign, SHA-1 for
// SignatureVersion 1 and SHA-256 for 2. It is safe for concurrent use.
type Signer struct {
	key     *rsa.PrivateKey
	certPEM []byte
	cert    *x509.Certificate
	certURL string
}

// NewSigner returns a Signer for key whose certificate is certPEM, served
// at certURL. It is for tests and for callers that keep key and
// certificate themselves; it panics if certPEM is not one PEM certificate
// for key's public key, which is a programming error.
func NewSigner(key *rsa.PrivateKey, certPEM []byte, certURL string) *Signer {
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		panic("localsns: NewSigner: " + err.Error())
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		panic("localsns: NewSigner: the certificate is not for this key")
	}
	return &Signer{key: key, certPEM: bytes.Clone(certPEM), cert: cert, certURL: certURL}
}

// LoadOrCreateSigner returns a Signer whose key and certificate live in
// dir (KeyFile, CertFile), creating them the first time, so that a restart
// keeps the trust a verifier was given. A certificate that has expired, is
// missing or does not match the key is replaced, with a log line on
// slog.Default(); the key never is. Messages name certURL as their
// SigningCertURL: the caller serves CertPEM there.
func LoadOrCreateSigner(dir, certURL string) (*Signer, error) {
	key, certPEM, err := loadOrCreateKeyPair(dir, time.Now(), slog.Default())
	if err != nil {
		return nil, err
	}
	return NewSigner(key, certPEM, certURL), nil
}

// Sign sets m's SignatureVersion to version ("1" or "2"), its
// SigningCertURL to the signer's, and its Signature over m.StringToSign().
// The signed fields must already be final.
func (s *Signer) Sign(m *sns.Message, version string) error {
	var hash crypto.Hash
	switch version {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return fmt.Errorf("localsns: signature version %q is not \"1\" (SHA-1) or \"2\" (SHA-256)", version)
	}
	data, err := m.StringToSign()
	if err != nil {
		return fmt.Errorf("localsns: signing: %w", err)
	}
	var digest []byte
	if hash == crypto.SHA1 {
		sum := sha1.Sum(data)
		digest = sum[:]
	} else {
		sum := sha256.Sum256(data)
		digest = sum[:]
	}
	sig, err := rsa.SignPKCS1v15(nil, s.key, hash, digest)
	if err != nil {
		return fmt.Errorf("localsns: signing: %w", err)
	}
	m.SignatureVersion = version
	m.SigningCertURL = s.certURL
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// CertPEM returns the PEM certificate, the bytes to serve at CertURL and
// to pin in a verifier.
func (s *Signer) CertPEM() []byte { return bytes.Clone(s.certPEM) }

// Certificate returns the parsed certificate, for a verifier that pins it.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// CertURL returns the SigningCertURL the signer writes into messages.
func (s *Signer) CertURL() string { return s.certURL }

// certName returns the file name SNS gives a certificate,
// SimpleNotificationService-<hex>.pem, with <hex> taken from its digest so
// that a new certificate gets a new URL and no cache serves the old one.
func certName(certPEM []byte) string {
	sum := sha256.Sum256(certPEM)
	return "SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"
}

// loadOrCreateKeyPair reads or makes the key and certificate in dir.
func loadOrCreateKeyPair(dir string, now time.Time, logger *slog.Logger) (*rsa.PrivateKey, []byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("localsns: %w", err)
	}
	keyPath := filepath.Join(dir, KeyFile)
	key, err := readKey(keyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if key, err = rsa.GenerateKey(rand.Reader, KeyBits); err != nil {
			return nil, nil, fmt.Errorf("localsns: generating the signing key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("localsns: encoding the signing key: %w", err)
		}
		if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, nil, err
		}
		logger.Info("localsns: created a signing key", slog.String("path", keyPath))
	case err != nil:
		return nil, nil, err
	}

	certPath := filepath.Join(dir, CertFile)
	certPEM, err := os.ReadFile(certPath)
	var reason string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "there is none"
	case err != nil:
		return nil, nil, fmt.Errorf("localsns: %w", err)
	default:
		cert, perr := parseCertPEM(certPEM)
		switch {
		case perr != nil:
			reason = perr.Error()
		case !key.PublicKey.Equal(cert.PublicKey):
			reason = "it is not for the signing key"
		case now.After(cert.NotAfter):
			reason = "it expired at " + cert.NotAfter.UTC().Format(time.RFC3339)
		case now.Before(cert.NotBefore):
			reason = "it is not valid before " + cert.NotBefore.UTC().Format(time.RFC3339)
		}
	}
	if reason == "" {
		return key, certPEM, nil
	}
	if certPEM, err = newCertificate(key, now); err != nil {
		return nil, nil, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o600); err != nil {
		return nil, nil, err
	}
	logger.Warn("localsns: made a new signing certificate; verifiers that pinned the old one must pin this one",
		slog.String("path", certPath), slog.String("because", reason))
	return key, certPEM, nil
}

func readKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // fs.ErrNotExist is the caller's cue to create one
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("localsns: %s is not a PEM file", path)
	}
	var parsed any
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("localsns: %s holds a %q block, not a private key", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("localsns: %s: %w", path, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("localsns: %s holds a %T, not an RSA key", path, parsed)
	}
	if n := key.N.BitLen(); n < KeyBits {
		return nil, fmt.Errorf("localsns: %s holds a %d-bit key, fewer than %d", path, n, KeyBits)
	}
	return key, nil
}

// newCertificate makes a self-signed certificate for key, valid from an
// hour before now (clocks differ) for CertValidity.
func newCertificate(key *rsa.PrivateKey, now time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("localsns: certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: CertCommonName},
		DNSNames:     []string{CertCommonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(CertValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("localsns: making the certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func parseCertPEM(data []byte) (*x509.Certificate, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("more than one PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
		return nil, errors.New("the certificate's key is not RSA")
	}
	return cert, nil
}

// writeFileAtomic replaces path with data so that a crash leaves either
// the old file or the new one, never a torn one (see atomicfile).
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := atomicfile.Write(path, data, perm); err != nil {
		return fmt.Errorf("localsns: %w", err)
	}
	return nil
}
