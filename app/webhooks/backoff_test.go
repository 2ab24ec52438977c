package webhooks_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"transcoder/app/webhooks"
)

func TestDefaultBackoffDoublesFromASecondToFourHoursWithATenthOfJitter(t *testing.T) {
	tests := []struct {
		attempt int
		nominal time.Duration
	}{
		{-1, time.Second},
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{10, 512 * time.Second},
		{14, 8192 * time.Second},
		{15, 4 * time.Hour},
		{16, 4 * time.Hour},
		{100, 4 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("after %d failed calls the delay is %s give or take a tenth", tt.attempt, tt.nominal), func(t *testing.T) {
			lo, hi := webhooks.BackoffBounds(tt.attempt)
			if lo != tt.nominal*9/10 || hi != tt.nominal*11/10 {
				t.Fatalf("BackoffBounds(%d) = %s, %s; want %s, %s", tt.attempt, lo, hi, tt.nominal*9/10, tt.nominal*11/10)
			}
			for range 50 {
				if d := webhooks.DefaultBackoff(tt.attempt); d < lo || d > hi {
					t.Fatalf("DefaultBackoff(%d) = %s, want in [%s, %s]", tt.attempt, d, lo, hi)
				}
			}
		})
	}
}

// The retry window is documented in words in three places; this computes it
// from the schedule and checks that each says what the schedule does, so
// that neither can change without the other.
func TestTheDefaultRetriesSpanTheDayTheDocumentationPromises(t *testing.T) {
	shortest, longest := webhooks.RetryWindow(webhooks.DefaultMaxAttempts)
	if shortest < 20*time.Hour || longest > 28*time.Hour {
		t.Fatalf("the default retries span %s to %s, not about a day", shortest, longest)
	}
	figure := fmt.Sprintf("%d to %d hours", int(shortest.Round(time.Hour).Hours()), int(longest.Round(time.Hour).Hours()))
	tests := []struct {
		file, want string
	}{
		{"../../README.md", fmt.Sprintf("about a day (%d calls, the last %s after the first", webhooks.DefaultMaxAttempts, figure)},
		{"doc.go", "about a day: DefaultMaxAttempts calls, the last " + figure + " after the first"},
		{"backoff.go", "spans about a day: the last call comes " + figure + " after the first"},
	}
	for _, tt := range tests {
		t.Run(tt.file+" says the retries span "+figure, func(t *testing.T) {
			b, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if text := prose(string(b)); !strings.Contains(text, tt.want) {
				t.Fatalf("%s does not say %q: the schedule (DefaultBackoff, DefaultMaxAttempts) and its documentation disagree", tt.file, tt.want)
			}
		})
	}
}

// prose joins the lines of a text file or of Go comments into one line of
// single-spaced words.
func prose(s string) string {
	s = strings.ReplaceAll(s, "\n//", "\n")
	return strings.Join(strings.Fields(s), " ")
}

func TestRetryWindowAddsUpEveryDelayBetweenTheCalls(t *testing.T) {
	tests := []struct {
		name              string
		attempts          int
		shortest, longest time.Duration
	}{
		{"one call has no window", 1, 0, 0},
		{"three calls wait after the first and the second", 3, 2700 * time.Millisecond, 3300 * time.Millisecond},
		{"twenty calls wait 2^14-1 seconds then five times four hours, give or take a tenth",
			20, (16383*time.Second + 20*time.Hour) * 9 / 10, (16383*time.Second + 20*time.Hour) * 11 / 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shortest, longest := webhooks.RetryWindow(tt.attempts)
			if shortest != tt.shortest || longest != tt.longest {
				t.Fatalf("RetryWindow(%d) = %s, %s; want %s, %s", tt.attempts, shortest, longest, tt.shortest, tt.longest)
			}
		})
	}
}
