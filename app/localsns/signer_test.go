package localsns

import (
	"bytes"
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"transcoder/app/sns"
)

func testSigner(t *testing.T) *Signer {
	t.Helper()
	certPEM, err := newCertificate(testKey(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return NewSigner(testKey(), certPEM, "http://127.0.0.1:1/SimpleNotificationService-0123.pem")
}

func testMessages() map[string]*sns.Message {
	return map[string]*sns.Message{
		"a notification": {
			Type: sns.TypeNotification, MessageID: "9b4a2b0e-7a67-4c3b-8b9e-5f7f4d1a6a01",
			TopicARN: testTopicARN, Message: `{"detail":{"status":"COMPLETE"}}`,
			Timestamp: "2024-05-02T10:11:12.345Z",
		},
		"a notification with a subject": {
			Type: sns.TypeNotification, MessageID: "id-2", TopicARN: testTopicARN,
			Subject: "Job done", HasSubject: true, Message: "hello", Timestamp: "2024-05-02T10:11:12.345Z",
		},
		"a notification with an empty subject": {
			Type: sns.TypeNotification, MessageID: "id-3", TopicARN: testTopicARN,
			HasSubject: true, Message: "hello", Timestamp: "2024-05-02T10:11:12.345Z",
		},
		"a subscription confirmation": {
			Type: sns.TypeSubscriptionConfirmation, MessageID: "id-4", Token: "abc123",
			TopicARN: testTopicARN, Message: "You have chosen to subscribe.\nVisit the URL.",
			SubscribeURL: "http://127.0.0.1:1/?Action=ConfirmSubscription&TopicArn=" + testTopicARN + "&Token=abc123",
			Timestamp:    "2024-05-02T10:11:12.345Z",
		},
		"an unsubscribe confirmation": {
			Type: sns.TypeUnsubscribeConfirmation, MessageID: "id-5", Token: "abc123",
			TopicARN: testTopicARN, Message: "You have unsubscribed.",
			SubscribeURL: "http://127.0.0.1:1/?Action=ConfirmSubscription&TopicArn=" + testTopicARN + "&Token=abc123",
			Timestamp:    "2024-05-02T10:11:12.345Z",
		},
	}
}

func TestASignedMessageVerifiesAgainstTheSignersCertificateAndATamperedOneDoesNot(t *testing.T) {
	s := testSigner(t)
	for name, m := range testMessages() {
		for _, version := range []string{"1", "2"} {
			t.Run(name+" with SignatureVersion "+version, func(t *testing.T) {
				if err := s.Sign(m, version); err != nil {
					t.Fatal(err)
				}
				if m.SignatureVersion != version || m.SigningCertURL != s.CertURL() {
					t.Errorf("SignatureVersion %q, SigningCertURL %q", m.SignatureVersion, m.SigningCertURL)
				}
				if err := checkSignature(m, s.Certificate()); err != nil {
					t.Fatalf("does not verify: %v", err)
				}
				tampered := *m
				tampered.Message += "!"
				if checkSignature(&tampered, s.Certificate()) == nil {
					t.Error("a changed Message still verifies")
				}
			})
		}
	}
}

func TestSignRefusesAnUnknownVersionOrType(t *testing.T) {
	s := testSigner(t)
	for name, tc := range map[string]struct {
		m       sns.Message
		version string
	}{
		"an empty version":    {sns.Message{Type: sns.TypeNotification}, ""},
		"version 3":           {sns.Message{Type: sns.TypeNotification}, "3"},
		"an unknown type":     {sns.Message{Type: "Gossip"}, "2"},
		"a message with none": {sns.Message{}, "2"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Sign(&tc.m, tc.version); err == nil {
				t.Fatal("Sign succeeded")
			}
			if tc.m.Signature != "" {
				t.Error("Sign set a Signature though it failed")
			}
		})
	}
}

func TestNewSignerPanicsOnACertificateThatIsNotTheKeys(t *testing.T) {
	otherCert, err := newCertificate(otherKey(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, certPEM := range map[string][]byte{
		"not PEM":                      []byte("nope"),
		"a certificate of another key": otherCert,
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewSigner did not panic")
				}
			}()
			NewSigner(testKey(), certPEM, "")
		})
	}
}

func TestLoadOrCreateSignerKeepsTheKeyAndCertificateAcrossLoads(t *testing.T) {
	dir := seededDir(t)
	first, err := LoadOrCreateSigner(dir, "http://a/SimpleNotificationService-1.pem")
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateSigner(dir, "http://b/SimpleNotificationService-1.pem")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.CertPEM(), second.CertPEM()) {
		t.Error("the certificate changed between loads")
	}
	if second.CertURL() != "http://b/SimpleNotificationService-1.pem" {
		t.Errorf("CertURL %q is not the one given", second.CertURL())
	}
	cert := first.Certificate()
	if cert.Subject.CommonName != CertCommonName {
		t.Errorf("subject CN %q, want %q", cert.Subject.CommonName, CertCommonName)
	}
	if life := cert.NotAfter.Sub(cert.NotBefore); life < 9*365*24*time.Hour {
		t.Errorf("the certificate is valid for only %v", life)
	}
	if !testKey().PublicKey.Equal(cert.PublicKey) {
		t.Error("the certificate is not for the key in dir")
	}
}

func TestANewDirectoryGetsAKeyOnlyItsOwnerCanRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := LoadOrCreateSigner(dir, "http://a/x.pem")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, KeyFile): 0o600, filepath.Join(dir, CertFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != want {
			t.Errorf("%s mode %v, want %v", filepath.Base(path), mode, want)
		}
	}
	key, err := readKey(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != KeyBits || !key.PublicKey.Equal(s.Certificate().PublicKey) {
		t.Errorf("the key has %d bits or is not the certificate's", key.N.BitLen())
	}
}

func TestACertificateIsReplacedOnlyWhenItCannotServeAndTheKeyIsKept(t *testing.T) {
	otherKeyCert := func(t *testing.T) []byte {
		c, err := newCertificate(otherKey(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := time.Now()
	for name, tc := range map[string]struct {
		cert     func(t *testing.T) []byte // written before loading; nil writes none
		at       time.Time
		replaced bool
		because  string
	}{
		"a valid certificate is kept": {
			cert: func(t *testing.T) []byte { c, _ := newCertificate(testKey(), now); return c },
			at:   now,
		},
		"a missing certificate is made": {
			at: now, replaced: true, because: "there is none",
		},
		"an expired certificate is replaced": {
			cert: func(t *testing.T) []byte { c, _ := newCertificate(testKey(), now); return c },
			at:   now.Add(CertValidity + time.Hour), replaced: true, because: "it expired at",
		},
		"a garbled certificate is replaced": {
			cert: func(t *testing.T) []byte {
				return []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
			},
			at: now, replaced: true,
		},
		"a certificate for another key is replaced": {
			cert: otherKeyCert, at: now, replaced: true, because: "it is not for the signing key",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := seededDir(t)
			var before []byte
			if tc.cert != nil {
				before = tc.cert(t)
				if err := os.WriteFile(filepath.Join(dir, CertFile), before, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			logs := newLogSink()
			key, certPEM, err := loadOrCreateKeyPair(dir, tc.at, slog.New(logs))
			if err != nil {
				t.Fatal(err)
			}
			if !key.Equal(testKey()) {
				t.Error("the key was replaced")
			}
			const msg = "localsns: made a new signing certificate; verifiers that pinned the old one must pin this one"
			if got := bytes.Equal(certPEM, before); got == tc.replaced {
				t.Errorf("certificate kept = %v, want %v", got, !tc.replaced)
			}
			if n := logs.count(msg, ""); (n == 1) != tc.replaced {
				t.Errorf("%d log lines about a new certificate", n)
			}
			if tc.because != "" && !logs.hasAttrPrefix("because", tc.because) {
				t.Errorf("no log line says %q", tc.because)
			}
			onDisk, err := os.ReadFile(filepath.Join(dir, CertFile))
			if err != nil || !bytes.Equal(onDisk, certPEM) {
				t.Errorf("the certificate on disk is not the one returned (%v)", err)
			}
			cert, err := x509.ParseCertificate(mustDER(t, certPEM))
			if err != nil {
				t.Fatal(err)
			}
			if tc.at.Before(cert.NotBefore) || tc.at.After(cert.NotAfter) {
				t.Errorf("the certificate is not valid at %v", tc.at)
			}
		})
	}
}
