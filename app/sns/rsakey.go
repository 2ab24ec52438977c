package sns

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"math"

	"filippo.io/bigmod"
)

// verifyKey is a signing certificate's RSA public key, prepared once so that
// each signature check costs only its exponentiation.
//
// crypto/rsa.VerifyPKCS1v15 rebuilds the modulus's Montgomery constants
// (bigmod.NewModulus) on every call, since a *rsa.PublicKey has nowhere to
// keep them: about a third of each verification. A certificate signs every
// message for months, so verifyKey builds them when the certificate is
// parsed, with filippo.io/bigmod, the published copy of the package
// crypto/rsa itself uses, and then does what crypto/rsa does with them
// (RFC 8017 section 8.2.2): the signature must be exactly k bytes and less
// than the modulus, and s^e mod n must equal, byte for byte, the one
// EMSA-PKCS1-v1_5 encoding of the digest. Nothing of s^e is parsed.
// FuzzVerifyKeyAgreesWithCryptoRSA holds it to crypto/rsa's answers.
type verifyKey struct {
	n *bigmod.Modulus
	e uint
}

// newVerifyKey refuses what crypto/rsa refuses of a public key: an even or
// missing modulus, an exponent that is even, below 3 or above 2^31-1.
func newVerifyKey(pub *rsa.PublicKey) (*verifyKey, error) {
	switch {
	case pub.N == nil || pub.N.Sign() <= 0:
		return nil, errors.New("RSA modulus is missing")
	case pub.N.Bit(0) == 0:
		return nil, errors.New("RSA modulus is even")
	case pub.E < 3 || pub.E&1 == 0 || pub.E > math.MaxInt32:
		return nil, fmt.Errorf("RSA public exponent %d is not an odd number from 3 to 2^31-1", pub.E)
	}
	n, err := bigmod.NewModulus(pub.N.Bytes())
	if err != nil {
		return nil, fmt.Errorf("RSA modulus: %w", err)
	}
	return &verifyKey{n: n, e: uint(pub.E)}, nil
}

// digestInfoPrefixes are the DER DigestInfo headers of the hashes SNS
// signature versions use (RFC 8017 section 9.2, note 1).
var digestInfoPrefixes = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
}

// errVerification is the one answer to every signature that does not check
// out, as crypto/rsa gives one: which step failed tells an attacker nothing
// worth knowing and the caller nothing it can act on.
var errVerification = errors.New("verification error")

// verifyPKCS1v15 reports whether sig is key's RSASSA-PKCS1-v1_5 signature
// of digest, a hash of kind hash.
func (k *verifyKey) verifyPKCS1v15(hash crypto.Hash, digest, sig []byte) error {
	prefix, ok := digestInfoPrefixes[hash]
	if !ok || len(digest) != hash.Size() {
		return errVerification
	}
	size := k.n.Size()
	if len(sig) != size || size < len(prefix)+len(digest)+11 {
		return errVerification
	}
	s, err := bigmod.NewNat().SetBytes(sig, k.n) // refuses s >= n
	if err != nil {
		return errVerification
	}
	em := bigmod.NewNat().ExpShortVarTime(s, k.e, k.n).Bytes(k.n)
	// EM = 0x00 || 0x01 || PS (0xff...) || 0x00 || DigestInfo prefix || digest
	t := len(prefix) + len(digest)
	if em[0] != 0 || em[1] != 1 || em[size-t-1] != 0 ||
		!bytes.Equal(em[size-t:size-len(digest)], prefix) ||
		!bytes.Equal(em[size-len(digest):], digest) {
		return errVerification
	}
	for _, b := range em[2 : size-t-1] {
		if b != 0xff {
			return errVerification
		}
	}
	return nil
}
