// Package ids makes the service's random identifiers, tokens and generated
// secrets: SNS message and subscription ids, EventBridge event ids, the
// random part of MediaConvert job ids, confirmation tokens, the secrets kept
// in DATA_DIR, prefixed upload and session ids. Each shape is written once,
// here, and every one is drawn from crypto/rand, so that none is guessable.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// Bytes returns n random bytes, for a key that is used as bytes (a session
// secret that lives as long as the process).
func Bytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// Hex returns n random bytes as 2n lower-case hex digits: the form of a
// token or a generated secret kept in a text file.
func Hex(n int) string {
	return hex.EncodeToString(Bytes(n))
}

// UUID returns a random (version 4) UUID, the form of SNS's message and
// subscription ids and of EventBridge's event ids.
func UUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Prefixed returns prefix followed by 24 lower-case base32 letters and
// digits (120 random bits): an unguessable id that still says what it
// names, such as an upload's or a session owner's.
func Prefixed(prefix string) string {
	return prefix + strings.ToLower(base32.StdEncoding.EncodeToString(Bytes(15)))
}

// alphanumeric is the alphabet of Alphanumeric.
const alphanumeric = "abcdefghijklmnopqrstuvwxyz0123456789"

// Alphanumeric returns n random lower-case letters and digits, each of the
// 36 equally likely: the random part of a MediaConvert job id.
func Alphanumeric(n int) string {
	out := make([]byte, 0, n)
	var b [1]byte
	for len(out) < n {
		rand.Read(b[:]) // never fails (crypto/rand)
		// 252 is the largest multiple of 36 below 256: bytes above it
		// are drawn again, so that no character is more likely.
		if b[0] < 252 {
			out = append(out, alphanumeric[b[0]%36])
		}
	}
	return string(out)
}
