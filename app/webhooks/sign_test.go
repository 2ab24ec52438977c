package webhooks_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"transcoder/app/webhooks"
)

var (
	secret = []byte("0123456789abcdef")
	signed = time.Unix(1_700_000_000, 0)
)

func TestSignMakesTheDocumentedHeader(t *testing.T) {
	// The expected value was computed independently:
	// HMAC-SHA256("0123456789abcdef", `1700000000.{"job":"j"}`).
	want := "t=1700000000,v1=da598bdc52dd8c11bc1fb9781d90dbac23fddc0b689a32e211eb9904e964a0a7"
	if got := webhooks.Sign(secret, signed.Add(900*time.Millisecond), []byte(`{"job":"j"}`)); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestOwnerSecretIsTheDocumentedDerivation(t *testing.T) {
	// The expected values were computed independently:
	// HMAC-SHA256("0123456789abcdef", "transcoder-webhook:"+owner).
	tests := []struct {
		owner string
		want  string
	}{
		{"alice", "398ebd5f4c2728a418a3eb4d6aeb3af3a8184a5b741cb4dfb5b9f0cc7c2bcdc6"},
		{"", "73730f3eb440052163ae487861c562994492994eb03f55cbb4cd31c608597781"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(webhooks.OwnerSecret(secret, tt.owner)); got != tt.want {
			t.Errorf("OwnerSecret(secret, %q) = %s, want %s", tt.owner, got, tt.want)
		}
	}
}

func TestVerifyAcceptsOnlyAGenuineRecentSignature(t *testing.T) {
	body := []byte(`{"job":"j","state":"COMPLETE"}`)
	good := webhooks.Sign(secret, signed, body)
	v1 := good[strings.Index(good, "v1="):]
	other := webhooks.Sign([]byte("another secret, 16+ bytes"), signed, body)
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"a call signed with the secret just now passes", secret, good, body, signed.Add(time.Second), nil},
		{"a call at the edge of the tolerance passes", secret, good, body, signed.Add(webhooks.DefaultTolerance), nil},
		{"a receiver clock behind the sender's passes within tolerance", secret, good, body, signed.Add(-time.Minute), nil},
		{"a header with spaces after commas passes", secret, "t=1700000000, " + v1, body, signed, nil},
		{"one matching signature among several passes (secret rotation)", secret, other + "," + v1, body, signed, nil},
		{"unknown keys are ignored", secret, good + ",v2=whatever", body, signed, nil},
		{"a missing header is refused", secret, "", body, signed, webhooks.ErrNoSignature},
		{"a blank header is refused", secret, "  ", body, signed, webhooks.ErrNoSignature},
		{"a header without a time is refused", secret, v1, body, signed, webhooks.ErrMalformedSignature},
		{"a header without a signature is refused", secret, "t=1700000000", body, signed, webhooks.ErrMalformedSignature},
		{"a time that is not a number is refused", secret, "t=soon," + v1, body, signed, webhooks.ErrMalformedSignature},
		{"two times are refused", secret, "t=1700000000," + good, body, signed, webhooks.ErrMalformedSignature},
		{"a signature that is not hex is refused", secret, "t=1700000000,v1=" + strings.Repeat("zz", 32), body, signed, webhooks.ErrMalformedSignature},
		{"a signature of the wrong length is refused", secret, "t=1700000000,v1=abcd", body, signed, webhooks.ErrMalformedSignature},
		{"a part that is not key=value is refused", secret, good + ",garbage", body, signed, webhooks.ErrMalformedSignature},
		{"another secret is refused", []byte("not the secret, but long"), good, body, signed, webhooks.ErrBadSignature},
		{"an empty secret verifies nothing", []byte{}, webhooks.Sign(nil, signed, body), body, signed, webhooks.ErrBadSignature},
		{"an altered body is refused", secret, good, []byte(`{"job":"j","state":"ERROR"}`), signed, webhooks.ErrBadSignature},
		{"an altered time is refused", secret, "t=1700000001," + v1, body, signed, webhooks.ErrBadSignature},
		{"an old call is refused", secret, good, body, signed.Add(webhooks.DefaultTolerance + time.Second), webhooks.ErrStaleSignature},
		{"a call from the future is refused", secret, good, body, signed.Add(-webhooks.DefaultTolerance - time.Second), webhooks.ErrStaleSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhooks.Verify(tt.secret, tt.header, tt.body, tt.now, 0)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyHonoursTheToleranceItIsGiven(t *testing.T) {
	body := []byte("{}")
	h := webhooks.Sign(secret, signed, body)
	tests := []struct {
		name      string
		tolerance time.Duration
		age       time.Duration
		want      error
	}{
		{"within a short tolerance", 10 * time.Second, 10 * time.Second, nil},
		{"past a short tolerance", 10 * time.Second, 11 * time.Second, webhooks.ErrStaleSignature},
		{"within a long tolerance", time.Hour, 59 * time.Minute, nil},
		{"a zero tolerance is the default", 0, webhooks.DefaultTolerance + time.Second, webhooks.ErrStaleSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhooks.Verify(secret, h, body, signed.Add(tt.age), tt.tolerance)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
