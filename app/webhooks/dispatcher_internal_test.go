package webhooks

import (
	"testing"
	"time"

	"transcoder/app/jobs"
)

func TestACallWaitsFiveSecondsForItsAnswerByDefault(t *testing.T) {
	d, err := New(Options{Store: nopStore{}, Secret: []byte("0123456789abcdef"), View: func(*jobs.Job) any { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if d.timeout != 5*time.Second {
		t.Fatalf("the default Timeout is %s, want 5s: an owner whose receivers never answer holds a slot that long", d.timeout)
	}
}

func TestAnOwnersShareIsHalfTheSlotsAndAtLeastOne(t *testing.T) {
	for concurrency, want := range map[int]int{1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 8: 4} {
		d, err := New(Options{Store: nopStore{}, Secret: []byte("0123456789abcdef"), View: func(*jobs.Job) any { return nil }, Concurrency: concurrency})
		if err != nil {
			t.Fatal(err)
		}
		if d.slots.ownerCap != want {
			t.Errorf("with Concurrency %d, an owner may have %d calls in flight; want %d", concurrency, d.slots.ownerCap, want)
		}
	}
}
