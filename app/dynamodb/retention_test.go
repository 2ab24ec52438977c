package dynamodb_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"transcoder/app/dynamodb"
	"transcoder/app/jobs"
)

const day = 24 * time.Hour

// expiresAt is the expiresAt attribute rawItem shows for an item that
// DynamoDB may delete once t has passed: Unix seconds, never before t.
func expiresAt(t time.Time) string {
	sec := t.Unix()
	if t.Nanosecond() != 0 {
		sec++
	}
	return "N:" + strconv.FormatInt(sec, 10)
}

func TestAJobItemExpiresARetentionAfterTheJobEnded(t *testing.T) {
	const hook = "https://example.com/hook"
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	tests := []struct {
		name      string
		retention time.Duration
		updates   []*jobs.Update
		// modify, when set, runs on the job after the updates, as the
		// webhook dispatcher does when it records a call.
		modify func(*jobs.Job) bool
		want   string // rawItem's expiresAt; "" for none
	}{
		{
			name:      "a completed job expires a retention after its COMPLETE transition",
			retention: 90 * day,
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted},
				{JobID: "j", At: at(60), State: jobs.Complete},
			},
			want: expiresAt(at(60).Add(90 * day)),
		},
		{
			name:      "an event arriving after the end does not move the expiry",
			retention: 90 * day,
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted},
				{JobID: "j", At: at(60), State: jobs.Failed, Error: &jobs.Failure{Code: "1", Message: "bad input"}},
				{JobID: "j", At: at(600), State: jobs.Progressing, Progress: 80},
			},
			want: expiresAt(at(60).Add(90 * day)),
		},
		{
			name:      "an open job expires a retention after its last change",
			retention: 30 * day,
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted},
				{JobID: "j", At: at(45), State: jobs.Progressing, Progress: 10},
			},
			want: expiresAt(at(45).Add(30 * day)),
		},
		{
			name:      "a job that owes a webhook call is kept a retention past the call's due time",
			retention: day,
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Complete, CallbackURL: hook},
			},
			modify: func(j *jobs.Job) bool {
				j.RecordAttempt("j-COMPLETE", at(1), 503, "down", false, at(7200))
				return true
			},
			want: expiresAt(at(7200).Add(day)),
		},
		{
			name:      "once its call is delivered the job expires a retention after it ended",
			retention: day,
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Complete, CallbackURL: hook},
			},
			modify: func(j *jobs.Job) bool {
				j.RecordAttempt("j-COMPLETE", at(1), 200, "", true, time.Time{})
				return true
			},
			want: expiresAt(at(0).Add(day)),
		},
		{
			name:      "a store without retention keeps every job for ever",
			retention: 0,
			updates: []*jobs.Update{
				{JobID: "j", At: at(0), State: jobs.Submitted},
				{JobID: "j", At: at(60), State: jobs.Complete},
			},
			want: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := freshTable(t)
			s := dynamodb.New(client(), table, dynamodb.WithRetention(tc.retention))
			for _, u := range tc.updates {
				mustApply(t, s, u)
			}
			if tc.modify != nil {
				if _, err := s.Modify(context.Background(), "j", tc.modify); err != nil {
					t.Fatal(err)
				}
			}
			got := rawItem(t, table, "JOB#j", "JOB")
			if got == nil {
				t.Fatal("the job has no item")
			}
			if got["expiresAt"] != tc.want {
				t.Fatalf("expiresAt = %q, want %q", got["expiresAt"], tc.want)
			}
		})
	}
}

func TestAnOpenJobsExpiryMovesWithItsChangesAndStopsWhenItEnds(t *testing.T) {
	table := freshTable(t)
	s := dynamodb.New(client(), table, dynamodb.WithRetention(7*day))
	steps := []struct {
		update *jobs.Update
		want   time.Time
	}{
		{&jobs.Update{JobID: "j", At: t0, State: jobs.Submitted}, t0.Add(7 * day)},
		{&jobs.Update{JobID: "j", At: t0.Add(time.Hour), State: jobs.Progressing, Progress: 50}, t0.Add(time.Hour + 7*day)},
		{&jobs.Update{JobID: "j", At: t0.Add(2 * time.Hour), State: jobs.Complete}, t0.Add(2*time.Hour + 7*day)},
		{&jobs.Update{JobID: "j", At: t0.Add(3 * time.Hour), Warnings: []jobs.Warning{{Code: "late"}}}, t0.Add(2*time.Hour + 7*day)},
	}
	for i, st := range steps {
		mustApply(t, s, st.update)
		if got := rawItem(t, table, "JOB#j", "JOB")["expiresAt"]; got != expiresAt(st.want) {
			t.Fatalf("after update %d, expiresAt = %q, want %q", i+1, got, expiresAt(st.want))
		}
	}
}

func TestRetentionLeavesInvitesAndTalliesToTheirOwnExpiry(t *testing.T) {
	table := freshTable(t)
	s := dynamodb.New(client(), table, dynamodb.WithRetention(90*day))
	ctx := context.Background()
	inv := jobs.Invite{ID: "inv-1", Owner: "alice", Uses: 1, CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)}
	if err := s.CreateInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemInvite(ctx, "inv-1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	tallyExpiry := t0.Add(24 * time.Hour).Truncate(time.Second)
	if _, _, err := s.Admit(ctx, "day:alice", "job-1", 5, tallyExpiry); err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, &jobs.Update{JobID: "job-1", Owner: "alice", At: t0, State: jobs.Complete})

	tests := []struct {
		name, pk, sk string
		want         map[string]string // the attributes about expiry
	}{
		{"an invite keeps validUntil and gets no expiresAt", "INVITES", "INVITE#inv-1",
			map[string]string{"validUntil": "2025-03-16T15:09:26.535897932Z", "expiresAt": ""}},
		{"a tally keeps the expiry it was given", "TALLY#day:alice", "TALLY",
			map[string]string{"validUntil": "", "expiresAt": expiresAt(tallyExpiry)}},
		{"a job gets the retention's expiry", "JOB#job-1", "JOB",
			map[string]string{"validUntil": "", "expiresAt": expiresAt(t0.Add(90 * day))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := rawItem(t, table, tc.pk, tc.sk)
			got := map[string]string{"validUntil": it["validUntil"], "expiresAt": it["expiresAt"]}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("expiry attributes = %v, want %v", got, tc.want)
			}
		})
	}
}
