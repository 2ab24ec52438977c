package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers of a webhook call.
const (
	// SignatureHeader carries the signature: t=<unix seconds>,v1=<hex
	// HMAC-SHA256 over "<unix seconds>.<body>">. See Sign and Verify.
	SignatureHeader = "Transcoder-Signature"
	// DeliveryHeader carries the delivery id, which names one transition of
	// one job and stays the same on every retry, so that a receiver can drop
	// a call it has already handled.
	DeliveryHeader = "Transcoder-Delivery"
	// UserAgent is the User-Agent of every call, for receivers' logs and
	// firewalls.
	UserAgent = "transcoder-webhooks/1"
)

// DefaultTolerance is how far a signature's time may be from the receiver's
// clock when Verify is given no tolerance: wide enough for clock skew and a
// slow network, narrow enough that a captured call cannot be replayed later.
const DefaultTolerance = 5 * time.Minute

// The errors of Verify, one per rule, so that a receiver's log says which
// rule a refused call broke. Verify wraps them with details.
var (
	// ErrNoSignature reports a call without a Transcoder-Signature header.
	ErrNoSignature = errors.New("webhooks: no " + SignatureHeader + " header")
	// ErrMalformedSignature reports a header that is not
	// t=<unix seconds>,v1=<64 hex digits>.
	ErrMalformedSignature = errors.New("webhooks: malformed " + SignatureHeader + " header")
	// ErrBadSignature reports a signature that does not match the body and
	// time with the secret: the call was not made with this secret, or was
	// altered on the way.
	ErrBadSignature = errors.New("webhooks: signature does not match")
	// ErrStaleSignature reports a genuine signature made too long before (or
	// after) the receiver's now: a replayed call, or a clock far off.
	ErrStaleSignature = errors.New("webhooks: signature time outside tolerance")
)

// Sign returns the Transcoder-Signature header value for body sent at t,
// signed with secret. The time is in the signature so that a receiver can
// refuse a call replayed later.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// mac is HMAC-SHA256 over "<ts>.<body>".
func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks that header, the Transcoder-Signature of a call with body,
// was made with secret within tolerance of now (DefaultTolerance when
// tolerance is not positive). It is what a receiver runs before trusting a
// call. The comparison takes constant time. A header may carry several v1
// signatures (a sender rotating its secret signs with both); one match is
// enough. Keys other than t and v1 are ignored, for future schemes.
//
// The error wraps ErrNoSignature, ErrMalformedSignature, ErrBadSignature or
// ErrStaleSignature. The signature is checked before the time, so
// ErrStaleSignature means a genuine but old call. An empty secret verifies
// nothing, so that a receiver missing its configuration accepts no call.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	match := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			match = true
		}
	}
	if !match || len(secret) == 0 {
		return ErrBadSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	unix, _ := strconv.ParseInt(ts, 10, 64) // parseSignature checked it
	signed := time.Unix(unix, 0)
	if skew := now.Sub(signed).Abs(); skew > tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now, tolerance %s",
			ErrStaleSignature, signed.UTC().Format(time.RFC3339), skew.Round(time.Second), tolerance)
	}
	return nil
}

// parseSignature splits a header into its time, as signed, and its v1
// signatures.
func parseSignature(header string) (ts string, sigs [][]byte, err error) {
	malformed := func(reason string) error { return fmt.Errorf("%w: %s", ErrMalformedSignature, reason) }
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, malformed(fmt.Sprintf("%q is not key=value", part))
		}
		switch k {
		case "t":
			if ts != "" {
				return "", nil, malformed("more than one t")
			}
			if _, err := strconv.ParseInt(v, 10, 64); err != nil || v == "" || v[0] == '+' {
				return "", nil, malformed(fmt.Sprintf("t=%q is not Unix seconds", v))
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, malformed(fmt.Sprintf("v1 is not %d hex digits", 2*sha256.Size))
			}
			sigs = append(sigs, sig)
		}
	}
	switch {
	case ts == "":
		return "", nil, malformed("no t")
	case len(sigs) == 0:
		return "", nil, malformed("no v1")
	}
	return ts, sigs, nil
}

// OwnerSecret returns the secret that signs the calls for owner's jobs:
// HMAC-SHA256(secret, "transcoder-webhook:"+owner), where secret is the
// dispatcher's (Options.Secret). It is what each owner is given to verify
// its calls with Verify, so that no owner can sign a call that another
// owner's receiver would accept; the dispatcher's own secret is never
// handed out. The operator's jobs, which have no owner, are signed with
// OwnerSecret(secret, "").
func OwnerSecret(secret []byte, owner string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ownerSecretLabel))
	m.Write([]byte(owner))
	return m.Sum(nil)
}

// ownerSecretLabel keeps owner secrets apart from any other use of the
// dispatcher's secret.
const ownerSecretLabel = "transcoder-webhook:"
