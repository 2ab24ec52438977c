package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

// The benchmarks use real messages signed by AWS (java-v2-2026) and their
// pinned certificate, so that the cost of Parse and Verify reads against
// the cost of one raw RSA verification with the same 2048-bit key.
var benchMessages = []struct{ name, file string }{
	{"SV1", "test-notification-with-subject.json"},
	{"SV2", "test-notification-signature-v2.json"},
}

// benchDir is the folder of the benchmarks' messages and certificate.
func benchDir(b *testing.B) string { return filepath.Join(realDir(b), "java-v2-2026") }

func readBench(b *testing.B, file string) []byte {
	b.Helper()
	body, err := os.ReadFile(filepath.Join(benchDir(b), file))
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func benchVerifier(b *testing.B, m *Message) *Verifier {
	b.Helper()
	v, err := NewVerifier(Options{TopicARNs: []string{m.TopicARN}, CertDir: benchDir(b), HTTPClient: new(offline).Client()})
	if err != nil {
		b.Fatal(err)
	}
	if err := v.Verify(context.Background(), m); err != nil { // loads the cache
		b.Fatal(err)
	}
	return v
}

func BenchmarkParse(b *testing.B) {
	body := readBench(b, benchMessages[0].file)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStringToSign(b *testing.B) {
	m, err := Parse(readBench(b, benchMessages[0].file))
	if err != nil {
		b.Fatal(err)
	}
	var buf [2048]byte
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.appendStringToSign(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is Verify with the certificate cached: every rule and
// the RSA verification.
func BenchmarkVerify(b *testing.B) {
	for _, bm := range benchMessages {
		b.Run(bm.name, func(b *testing.B) {
			m, err := Parse(readBench(b, bm.file))
			if err != nil {
				b.Fatal(err)
			}
			v := benchVerifier(b, m)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseAndVerify is the package's whole share of one delivery.
func BenchmarkParseAndVerify(b *testing.B) {
	for _, bm := range benchMessages {
		b.Run(bm.name, func(b *testing.B) {
			body := readBench(b, bm.file)
			m, err := Parse(body)
			if err != nil {
				b.Fatal(err)
			}
			v := benchVerifier(b, m)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				m, err := Parse(body)
				if err != nil {
					b.Fatal(err)
				}
				if err := v.Verify(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawRSAVerify is the baseline: rsa.VerifyPKCS1v15 alone, on a
// precomputed digest, with the same key and signature as BenchmarkVerify,
// beside the verifier's own prepared key (verifyKey) doing the same.
func BenchmarkRawRSAVerify(b *testing.B) {
	for _, bm := range benchMessages {
		b.Run(bm.name, func(b *testing.B) {
			m, err := Parse(readBench(b, bm.file))
			if err != nil {
				b.Fatal(err)
			}
			v := benchVerifier(b, m)
			u, _ := parseCertURL(m.SigningCertURL)
			cert, err := v.certs.get(context.Background(), m.SigningCertURL, u)
			if err != nil {
				b.Fatal(err)
			}
			sig, _ := base64.StdEncoding.DecodeString(m.Signature)
			data, _ := m.StringToSign()
			hash, digest := crypto.SHA1, []byte(nil)
			if m.SignatureVersion == "1" {
				sum := sha1.Sum(data)
				digest = sum[:]
			} else {
				sum := sha256.Sum256(data)
				hash, digest = crypto.SHA256, sum[:]
			}
			b.Run("crypto/rsa", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := rsa.VerifyPKCS1v15(cert.key, hash, digest, sig); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("prepared key", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := cert.verify.verifyPKCS1v15(hash, digest, sig); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
