package webhooks_test

import (
	"testing"
	"time"

	"transcoder/app/webhooks"
)

func TestDefaultBackoffDoublesFromASecondToAnHourLessJitter(t *testing.T) {
	tests := []struct {
		attempt int
		ceiling time.Duration
	}{
		{-1, time.Second},
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{10, 512 * time.Second},
		{12, 2048 * time.Second},
		{13, time.Hour},
		{100, time.Hour},
	}
	for _, tt := range tests {
		for range 50 {
			if d := webhooks.DefaultBackoff(tt.attempt); d > tt.ceiling || d <= tt.ceiling*3/4 {
				t.Fatalf("DefaultBackoff(%d) = %s, want in (%s, %s]", tt.attempt, d, tt.ceiling*3/4, tt.ceiling)
			}
		}
	}
}
