package sns

import (
	"encoding/pem"
	"testing"
	"time"
)

func TestIsSigningNameKnowsEveryPartitionsForm(t *testing.T) {
	for name, want := range map[string]bool{
		"sns.amazonaws.com":                      true,
		"SNS.amazonaws.com":                      true,
		"sns.amazonaws.com.cn":                   true,
		"sns.us-west-2.amazonaws.com":            true,
		"sns.cn-north-1.amazonaws.com.cn":        true,
		"sns-us-gov-west-1.amazonaws.com":        true,
		"sns-cn-north-1.amazonaws.com.cn":        true,
		"sns-signing.il-central-1.amazonaws.com": true,
		"sns-signing.af-south-1.amazonaws.com":   true,
		"sns-signing.amazonaws.com":              false,
		"sns-signing.s3.amazonaws.com":           false,
		"*.amazonaws.com":                        false,
		"sns.*.amazonaws.com":                    false,
		"amazonaws.com":                          false,
		"sqs.amazonaws.com":                      false,
		"sns.s3-us-west-2.amazonaws.com":         false,
		"sns.amazonaws.com.evil.com":             false,
		"evil-sns.amazonaws.com":                 false,
		"sns.example.com":                        false,
		"":                                       false,
	} {
		if got := isSigningName(name); got != want {
			t.Errorf("isSigningName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestParseSigningCertAcceptsAnSNSCertificate(t *testing.T) {
	tests := []struct {
		name string
		spec func(*certSpec)
		wrap func([]byte) []byte
	}{
		{"with the name as CN and DNS name", func(*certSpec) {}, nil},
		{"with the name as CN only", func(s *certSpec) { s.dns = nil }, nil},
		{"with the name as one of several DNS names", func(s *certSpec) { s.cn = "Amazon"; s.dns = []string{"example.com", "sns.amazonaws.com"} }, nil},
		{"with a regional signing name", func(s *certSpec) { s.cn = "sns-signing.il-central-1.amazonaws.com"; s.dns = nil }, nil},
		{"surrounded by whitespace", func(*certSpec) {}, func(b []byte) []byte { return append(append([]byte("\n \r\n"), b...), "\n\n"...) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := goodCert()
			tt.spec(&s)
			data := pemOf(t, s)
			if tt.wrap != nil {
				data = tt.wrap(data)
			}
			c, err := parseSigningCert(testCertURL, data)
			if err != nil {
				t.Fatal(err)
			}
			if !c.key.Equal(&signerKey().PublicKey) {
				t.Error("the key is not the certificate's")
			}
		})
	}
}

func TestParseSigningCertRefusesEverythingElse(t *testing.T) {
	good := pemOf(t, goodCert())
	der, _ := pem.Decode(good)
	ecdsaSpec := goodCert()
	ecdsaSpec.pub = &mustECDSA().PublicKey
	smallSpec := goodCert()
	smallSpec.pub = &mustRSA(1024).PublicKey
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"an empty document", nil, "not a PEM document"},
		{"DER instead of PEM", der.Bytes, "not a PEM document"},
		{"text before the PEM block", append([]byte("hello\n"), good...), "not a PEM document"},
		{"a truncated PEM block", good[:len(good)-20], "not a PEM document"},
		{"two PEM blocks", append(append([]byte{}, good...), good...), "more than one PEM block"},
		{"text after the PEM block", append(append([]byte{}, good...), "trailing"...), "data after the PEM block"},
		{"a private key block", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1}}), `PEM block is "RSA PRIVATE KEY", not CERTIFICATE`},
		{"a block with headers", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: der.Bytes}), "PEM block has headers"},
		{"garbage in a CERTIFICATE block", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")}), "not an X.509 certificate"},
		{"an ECDSA key", pemOf(t, ecdsaSpec), "public key is ECDSA, not RSA"},
		{"a 1024-bit RSA key", pemOf(t, smallSpec), "RSA key has 1024 bits, fewer than 2048"},
		{"another name", pemOf(t, certSpec{cn: "evil.example", dns: []string{"evil.example"},
			notBefore: t0.Add(-time.Hour), notAfter: t0.Add(time.Hour), pub: &signerKey().PublicKey}),
			`subject CN "evil.example" and DNS names ["evil.example"] are not an SNS signing name`},
		{"a wildcard name", pemOf(t, certSpec{cn: "*.amazonaws.com", dns: []string{"*.amazonaws.com"},
			notBefore: t0.Add(-time.Hour), notAfter: t0.Add(time.Hour), pub: &signerKey().PublicKey}),
			"are not an SNS signing name"},
		{"a lookalike name", pemOf(t, certSpec{cn: "sns.amazonaws.com.evil.com",
			notBefore: t0.Add(-time.Hour), notAfter: t0.Add(time.Hour), pub: &signerKey().PublicKey}),
			"are not an SNS signing name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseSigningCert(testCertURL, tt.data)
			if c != nil {
				t.Error("parseSigningCert returned a certificate with its error")
			}
			e := checkErr[*CertificateError](t, err, ErrRejected, tt.want)
			if e.URL != testCertURL {
				t.Errorf("CertificateError.URL = %q", e.URL)
			}
		})
	}
}

func TestCertificateValidityIsJudgedAtTheMessageTimestamp(t *testing.T) {
	c, err := parseSigningCert(testCertURL, pemOf(t, goodCert()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   time.Time
		want string // empty when valid
	}{
		{"a Timestamp inside the period is valid", t0, ""},
		{"a Timestamp at NotBefore is valid", c.notBefore, ""},
		{"a Timestamp at NotAfter is valid", c.notAfter, ""},
		{"a Timestamp before NotBefore is refused", c.notBefore.Add(-time.Millisecond), "not yet valid at the message Timestamp"},
		{"a Timestamp after NotAfter is refused", c.notAfter.Add(time.Millisecond), "expired at the message Timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.validAt(testCertURL, tt.at.Format(time.RFC3339Nano), tt.at)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkErr[*CertificateError](t, err, ErrRejected, tt.want)
		})
	}
}
