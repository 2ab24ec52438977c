package jobs_test

import (
	"testing"
	"time"

	"transcoder/app/jobs"
)

func TestAJobExpiresARetentionAfterItEndedOrLastChanged(t *testing.T) {
	const day = 24 * time.Hour
	const hook = "https://example.com/hook"
	tests := []struct {
		name      string
		updates   []*jobs.Update
		settle    bool // deliver every webhook call owed
		retention time.Duration
		want      time.Time // zero: kept for ever
	}{
		{
			name: "a completed job expires a retention after it completed, however late an event arrives",
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted},
				{JobID: "j", At: at(10), State: jobs.Complete},
				{JobID: "j", At: at(500), State: jobs.Progressing, Progress: 50},
			},
			retention: 90 * day, want: at(10).Add(90 * day),
		},
		{
			name: "a failed job expires a retention after it failed",
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted},
				{JobID: "j", At: at(20), State: jobs.Failed, Error: &jobs.Failure{Code: "1", Message: "bad input"}},
			},
			retention: 7 * day, want: at(20).Add(7 * day),
		},
		{
			name: "a job still open expires a retention after its last change",
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted},
				{JobID: "j", At: at(30), State: jobs.Progressing, Progress: 40},
			},
			retention: 90 * day, want: at(30).Add(90 * day),
		},
		{
			name: "a job whose webhook call is owed later than it ended is kept a retention past that call",
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted, CallbackURL: hook},
				{JobID: "j", At: at(10), State: jobs.Complete},
			},
			retention: day, want: at(3600).Add(day),
		},
		{
			name: "a job whose webhook calls are settled expires a retention after it ended",
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted, CallbackURL: hook},
				{JobID: "j", At: at(10), State: jobs.Complete},
			},
			settle: true, retention: day, want: at(10).Add(day),
		},
		{
			name: "a retention of zero keeps a job for ever",
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted},
				{JobID: "j", At: at(10), State: jobs.Complete},
			},
			retention: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := jobs.New("j")
			for _, u := range tt.updates {
				j.Apply(u)
			}
			for _, d := range j.Webhooks {
				if tt.settle {
					j.RecordAttempt(d.ID, at(11), 200, "", true, time.Time{})
				} else {
					// The first call failed; the next is due an hour in.
					j.RecordAttempt(d.ID, at(11), 500, "down", false, at(3600))
				}
			}
			if got := j.ExpiresAt(tt.retention); !got.Equal(tt.want) {
				t.Fatalf("ExpiresAt(%v) = %v, want %v", tt.retention, got, tt.want)
			}
		})
	}
}

func TestAJobEndsWhenItReachesATerminalState(t *testing.T) {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Submitted})
	if _, ended := j.EndedAt(); ended {
		t.Fatal("a SUBMITTED job reports that it ended")
	}
	j.Apply(&jobs.Update{JobID: "j", At: at(5), State: jobs.Canceled})
	j.Apply(&jobs.Update{JobID: "j", At: at(9), State: jobs.Complete})
	if end, ended := j.EndedAt(); !ended || !end.Equal(at(5)) {
		t.Fatalf("EndedAt = %v, %v; want %v, true (the CANCELED transition, which COMPLETE does not replace)", end, ended, at(5))
	}
}
