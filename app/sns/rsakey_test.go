package sns

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"math/big"
	"sync"
	"testing"
)

// rawKey signs any encoded message (s = em^d mod n), so that the tests can
// hand both verifiers signatures whose s^e is exactly a chosen, malformed
// encoding, which no PKCS #1 signer would produce.
type rawKey struct {
	pub *rsa.PublicKey
	d   *big.Int
}

func (k rawKey) size() int { return (k.pub.N.BitLen() + 7) / 8 }

// sign returns em^d mod n as a k-byte signature; em must be less than n.
func (k rawKey) sign(t testing.TB, em []byte) []byte {
	t.Helper()
	m := new(big.Int).SetBytes(em)
	if m.Cmp(k.pub.N) >= 0 {
		t.Fatalf("encoded message is not less than the modulus")
	}
	return new(big.Int).Exp(m, k.d, k.pub.N).FillBytes(make([]byte, k.size()))
}

// newRawKey makes an RSA key from primes of pbits and qbits with public
// exponent e.
func newRawKey(pbits, qbits, e int) rawKey {
	E := big.NewInt(int64(e))
	one := big.NewInt(1)
	prime := func(bits int) *big.Int {
		for {
			p, err := rand.Prime(rand.Reader, bits)
			if err != nil {
				panic(err)
			}
			if new(big.Int).GCD(nil, nil, E, new(big.Int).Sub(p, one)).Cmp(one) == 0 {
				return p
			}
		}
	}
	for {
		p, q := prime(pbits), prime(qbits)
		if p.Cmp(q) == 0 {
			continue
		}
		n := new(big.Int).Mul(p, q)
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		d := new(big.Int).ModInverse(E, phi)
		if d == nil {
			continue
		}
		return rawKey{pub: &rsa.PublicKey{N: n, E: e}, d: d}
	}
}

var (
	// The signer's own key, and keys whose sizes and exponents differ from
	// it: a modulus of 2047 bits (k = 256 with a zero top bit), one of
	// 2050 bits (k = 257), and e = 3.
	testRawKeys = sync.OnceValue(func() map[string]rawKey {
		s := signerKey()
		return map[string]rawKey{
			"2048 bits, e=65537": {pub: &s.PublicKey, d: s.D},
			"2047 bits, e=65537": newRawKey(1024, 1023, 65537),
			"2050 bits, e=65537": newRawKey(1025, 1025, 65537),
			"3072 bits, e=3":     newRawKey(1536, 1536, 3),
		}
	})
)

// encodeEM is EMSA-PKCS1-v1_5: 0x00 0x01 0xff... 0x00 prefix digest.
func encodeEM(k int, prefix, digest []byte) []byte {
	em := bytes.Repeat([]byte{0xff}, k)
	em[0], em[1] = 0, 1
	t := len(prefix) + len(digest)
	em[k-t-1] = 0
	copy(em[k-t:], prefix)
	copy(em[k-len(digest):], digest)
	return em
}

// agree verifies sig both ways and fails unless both verifiers give the same
// answer; it returns that answer.
func agree(t testing.TB, key rawKey, v *verifyKey, hash crypto.Hash, digest, sig []byte) bool {
	t.Helper()
	want := rsa.VerifyPKCS1v15(key.pub, hash, digest, sig) == nil
	got := v.verifyPKCS1v15(hash, digest, sig) == nil
	if got != want {
		t.Fatalf("%v, %d-byte digest, signature %x: verifyKey says %v, crypto/rsa says %v",
			hash, len(digest), sig, got, want)
	}
	return got
}

func TestVerifyKeyAgreesWithCryptoRSA(t *testing.T) {
	s1 := sha1.Sum([]byte("message"))
	s256 := sha256.Sum256([]byte("message"))
	digests := map[crypto.Hash][]byte{crypto.SHA1: s1[:], crypto.SHA256: s256[:]}
	sha224 := []byte{0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c}

	for name, key := range testRawKeys() {
		v, err := newVerifyKey(key.pub)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k := key.size()
		for hash, digest := range digests {
			prefix := digestInfoPrefixes[hash]
			good := encodeEM(k, prefix, digest)
			other := sha256.Sum256([]byte("another message"))
			edit := func(f func(em []byte) []byte) []byte {
				return f(bytes.Clone(good))
			}
			t.Run(name+"/"+hash.String(), func(t *testing.T) {
				sig := key.sign(t, good)
				if !agree(t, key, v, hash, digest, sig) {
					t.Fatal("a genuine signature is refused")
				}
				if key.pub == &signerKey().PublicKey {
					std, err := rsa.SignPKCS1v15(nil, signerKey(), hash, digest)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(std, sig) || !agree(t, key, v, hash, digest, std) {
						t.Fatal("crypto/rsa's own signature differs or is refused")
					}
				}

				// Signatures of other encodings, each of which both refuse.
				forged := map[string][]byte{
					"first byte 1":                 edit(func(em []byte) []byte { em[0] = 1; return em }),
					"block type 2":                 edit(func(em []byte) []byte { em[1] = 2; return em }),
					"a padding byte 0xfe":          edit(func(em []byte) []byte { em[5] = 0xfe; return em }),
					"last padding byte 0x00":       edit(func(em []byte) []byte { em[k-len(prefix)-len(digest)-2] = 0; return em }),
					"separator 0x01":               edit(func(em []byte) []byte { em[k-len(prefix)-len(digest)-1] = 1; return em }),
					"prefix byte changed":          edit(func(em []byte) []byte { em[k-len(digest)-3] ^= 0x10; return em }),
					"digest byte changed":          edit(func(em []byte) []byte { em[k-1] ^= 1; return em }),
					"the other hash's prefix":      encodeEM(k, digestInfoPrefixes[otherHash(hash)], digest),
					"SHA-224's prefix":             encodeEM(k, sha224, digest),
					"no prefix":                    encodeEM(k, nil, digest),
					"padding 7 bytes, garbage":     garbageAfter(encodeEM(k-(k-len(prefix)-len(digest)-10), prefix, digest), k),
					"the digest shifted one place": encodeEM(k, prefix, append(bytes.Clone(digest[1:]), 0)),
					"zero":                         make([]byte, k),
				}
				for what, em := range forged {
					if agree(t, key, v, hash, digest, key.sign(t, em)) {
						t.Errorf("%s: accepted", what)
					}
				}

				// Signatures that are not k bytes below n, and wrong digests.
				n := key.pub.N.FillBytes(make([]byte, k))
				nMinus1 := new(big.Int).Sub(key.pub.N, big.NewInt(1)).FillBytes(make([]byte, k))
				all := bytes.Repeat([]byte{0xff}, k)
				malformed := map[string][]byte{
					"empty":              nil,
					"one byte short":     sig[1:],
					"a zero byte before": append([]byte{0}, sig...),
					"a byte after":       append(bytes.Clone(sig), 0),
					"equal to n":         n,
					"n-1":                nMinus1,
					"all 0xff":           all,
					"s + n":              new(big.Int).Add(new(big.Int).SetBytes(sig), key.pub.N).Bytes(),
					"a bit flipped":      flip(sig, 8*k-9),
					"the lowest bit":     flip(sig, 0),
					"all zeros":          make([]byte, k),
					"one":                append(make([]byte, k-1), 1),
				}
				for what, bad := range malformed {
					if agree(t, key, v, hash, digest, bad) {
						t.Errorf("%s: accepted", what)
					}
				}
				for what, d := range map[string][]byte{
					"another message's digest": other[:len(digest)], // SHA-1 is 20 bytes
					"a digest too short":       digest[1:],
					"a digest too long":        append(bytes.Clone(digest), 0),
					"no digest":                nil,
				} {
					if agree(t, key, v, hash, d, sig) {
						t.Errorf("%s: accepted", what)
					}
				}
				if agree(t, key, v, otherHash(hash), digests[otherHash(hash)], sig) {
					t.Error("accepted under the other hash")
				}
			})
		}
	}
}

func otherHash(h crypto.Hash) crypto.Hash {
	if h == crypto.SHA1 {
		return crypto.SHA256
	}
	return crypto.SHA1
}

// garbageAfter pads em with 0x5a bytes to k bytes: an encoding whose
// DigestInfo is followed by data, which a parsing verifier might accept.
func garbageAfter(em []byte, k int) []byte {
	return append(em, bytes.Repeat([]byte{0x5a}, k-len(em))...)
}

func flip(b []byte, bit int) []byte {
	b = bytes.Clone(b)
	b[len(b)-1-bit/8] ^= 1 << (bit % 8)
	return b
}

func TestNewVerifyKeyRefusesWhatCryptoRSARefuses(t *testing.T) {
	n := signerKey().N
	even := new(big.Int).Add(n, big.NewInt(1))
	for name, pub := range map[string]*rsa.PublicKey{
		"no modulus":       {E: 65537},
		"zero modulus":     {N: new(big.Int), E: 65537},
		"negative modulus": {N: new(big.Int).Neg(n), E: 65537},
		"even modulus":     {N: even, E: 65537},
		"exponent 1":       {N: n, E: 1},
		"exponent 65536":   {N: n, E: 65536},
		"exponent 2^31+1":  {N: n, E: 1<<31 + 1},
		"exponent -3":      {N: n, E: -3},
	} {
		if _, err := newVerifyKey(pub); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := newVerifyKey(&rsa.PublicKey{N: n, E: 2<<30 - 1}); err != nil {
		t.Errorf("exponent 2^31-1: %v", err)
	}
}

// FuzzVerifyKeyAgreesWithCryptoRSA signs whatever encoded message the fuzzer
// makes (when it is k bytes and below n; otherwise it is the signature
// itself) and checks that verifyKey and crypto/rsa agree on it.
func FuzzVerifyKeyAgreesWithCryptoRSA(f *testing.F) {
	key := testRawKeys()["2048 bits, e=65537"]
	v, err := newVerifyKey(key.pub)
	if err != nil {
		f.Fatal(err)
	}
	k := key.size()
	s1, s256 := sha1.Sum([]byte("a")), sha256.Sum256([]byte("a"))
	for _, d := range [][]byte{s1[:], s256[:]} {
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
			em := encodeEM(k, digestInfoPrefixes[h], d)
			f.Add(em, d, h == crypto.SHA1)
			f.Add(em[:k-1], d, h == crypto.SHA1)
			f.Add(key.sign(f, em), d, h == crypto.SHA1)
		}
	}
	f.Fuzz(func(t *testing.T, em, digest []byte, useSHA1 bool) {
		hash := crypto.SHA256
		if useSHA1 {
			hash = crypto.SHA1
		}
		sig := em
		if len(em) == k && new(big.Int).SetBytes(em).Cmp(key.pub.N) < 0 {
			sig = key.sign(t, em)
		}
		agree(t, key, v, hash, digest, sig)
	})
}
