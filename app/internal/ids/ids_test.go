package ids_test

import (
	"regexp"
	"strings"
	"testing"

	"transcoder/app/internal/ids"
)

func TestEachIdHasItsShapeAndIsNeverRepeated(t *testing.T) {
	tests := []struct {
		name  string
		make  func() string
		shape *regexp.Regexp
	}{
		{"a UUID is version 4, variant 1", ids.UUID,
			regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)},
		{"a hex token has two digits per byte", func() string { return ids.Hex(32) },
			regexp.MustCompile(`^[0-9a-f]{64}$`)},
		{"a prefixed id keeps its prefix and adds 24 base32 characters", func() string { return ids.Prefixed("up-") },
			regexp.MustCompile(`^up-[a-z2-7]{24}$`)},
		{"an alphanumeric id is lower-case letters and digits", func() string { return ids.Alphanumeric(6) },
			regexp.MustCompile(`^[a-z0-9]{6}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := make(map[string]bool)
			for range 1000 {
				id := tt.make()
				if !tt.shape.MatchString(id) {
					t.Fatalf("id %q does not match %s", id, tt.shape)
				}
				if seen[id] {
					t.Fatalf("id %q came twice", id)
				}
				seen[id] = true
			}
		})
	}
}

func TestBytesReturnsAsManyBytesAsAskedAndNotAllZero(t *testing.T) {
	for _, n := range []int{0, 1, 32} {
		if got := ids.Bytes(n); len(got) != n {
			t.Fatalf("Bytes(%d) has %d bytes", n, len(got))
		}
	}
	if b := ids.Bytes(32); strings.Count(string(b), "\x00") == len(b) {
		t.Fatal("Bytes(32) returned only zeros")
	}
}

func TestAlphanumericUsesTheWholeAlphabet(t *testing.T) {
	s := ids.Alphanumeric(20000)
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789" {
		// Each character is expected about 555 times; fewer than 400 is
		// far outside chance, and means a character is favoured or missing.
		if n := strings.Count(s, string(c)); n < 400 {
			t.Fatalf("%q appears %d times in 20000, want about 555", c, n)
		}
	}
}
