package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/sqlite"
)

const day = 24 * time.Hour

// The jobs of these tests are about now, so that the sweep a store makes
// at Open (at the real now) forgets none of them, and each test sweeps at
// a time of its own choosing.

func TestTheSweepForgetsExactlyTheJobsPastTheirRetention(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	sweep := base.Add(7 * day) // with a retention of 7 days: what began before base is past it
	const hook = "https://example.com/hook"
	tests := []struct {
		name    string
		updates []*jobs.Update
		modify  func(*jobs.Job) bool
		kept    bool
	}{
		{"a job that ended more than the retention ago is forgotten", []*jobs.Update{
			{JobID: "ended-long-ago", At: base.Add(-2 * time.Hour), State: jobs.Submitted},
			{JobID: "ended-long-ago", At: base.Add(-time.Hour), State: jobs.Complete},
		}, nil, false},
		{"a job that ended less than the retention ago is kept", []*jobs.Update{
			{JobID: "ended-lately", At: base.Add(-2 * time.Hour), State: jobs.Submitted},
			{JobID: "ended-lately", At: base.Add(time.Hour), State: jobs.Failed, Error: &jobs.Failure{Code: "1", Message: "x"}},
		}, nil, true},
		{"an ended job is forgotten even when a late event changed it since", []*jobs.Update{
			{JobID: "late-event", At: base.Add(-2 * time.Hour), State: jobs.Complete},
			{JobID: "late-event", At: base.Add(2 * time.Hour), Warnings: []jobs.Warning{{Code: "late"}}},
		}, nil, false},
		{"an open job that has not changed for the retention is forgotten", []*jobs.Update{
			{JobID: "stuck", At: base.Add(-time.Hour), State: jobs.Progressing, Progress: 10},
		}, nil, false},
		{"an open job that changed within the retention is kept", []*jobs.Update{
			{JobID: "running", At: base.Add(-time.Hour), State: jobs.Submitted},
			{JobID: "running", At: base.Add(time.Hour), State: jobs.Progressing, Progress: 10},
		}, nil, true},
		{"a job that still owes a webhook call due within the retention is kept", []*jobs.Update{
			{JobID: "owes-a-call", At: base.Add(-time.Hour), State: jobs.Complete, CallbackURL: hook},
		}, func(j *jobs.Job) bool {
			j.RecordAttempt("owes-a-call-COMPLETE", base, 503, "down", false, base.Add(3*time.Hour))
			return true
		}, true},
	}
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"), sqlite.WithRetention(7*day))
	ctx := context.Background()
	want := 0
	for _, tt := range tests {
		for _, u := range tt.updates {
			if _, err := s.Apply(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if tt.modify != nil {
			if _, err := s.Modify(ctx, tt.updates[0].JobID, tt.modify); err != nil {
				t.Fatal(err)
			}
		}
		if !tt.kept {
			want++
		}
	}
	n, err := s.ForgetExpired(ctx, sweep)
	if err != nil || n != want {
		t.Fatalf("ForgetExpired = %d, %v; want %d forgotten", n, err, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Get(ctx, tt.updates[0].JobID)
			switch {
			case tt.kept && err != nil:
				t.Fatalf("Get = %v, want the job kept", err)
			case !tt.kept && !errors.Is(err, jobs.ErrNotFound):
				t.Fatalf("Get = %v, want the job forgotten (ErrNotFound)", err)
			}
		})
	}
	if got := s.Stats().Forgotten; got != uint64(want) {
		t.Errorf("Stats().Forgotten = %d, want %d", got, want)
	}
}

func TestAStoreWithoutRetentionKeepsEveryJob(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"))
	ctx := context.Background()
	if _, err := s.Apply(ctx, &jobs.Update{JobID: "old", At: time.Now().Add(-1000 * day), State: jobs.Complete}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ForgetExpired(ctx, time.Now()); n != 0 || err != nil {
		t.Fatalf("ForgetExpired = %d, %v; want nothing forgotten", n, err)
	}
	if _, err := s.Get(ctx, "old"); err != nil {
		t.Fatalf("Get = %v, want the job kept", err)
	}
}

func TestAStoreOpenedWithRetentionSweepsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transcoder.db")
	ctx := context.Background()
	s := open(t, path)
	now := time.Now()
	for _, u := range []*jobs.Update{
		{JobID: "ended-a-month-ago", At: now.Add(-30 * day), State: jobs.Complete},
		{JobID: "ended-today", At: now.Add(-time.Hour), State: jobs.Complete},
	} {
		if _, err := s.Apply(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openClosing(t, path, sqlite.WithRetention(7*day))
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Forgotten == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the store opened with a retention of 7 days did not forget a job that ended 30 days ago")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.Get(ctx, "ended-a-month-ago"); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("the job that ended a month ago: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "ended-today"); err != nil {
		t.Errorf("the job that ended today: %v, want it kept", err)
	}
}

func TestAnUpdateInTheSweepsBatchIsNotLost(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"), sqlite.WithRetention(7*day))
	ctx := context.Background()
	base := time.Now()
	if _, err := s.Apply(ctx, &jobs.Update{JobID: "j", At: base, State: jobs.Complete}); err != nil {
		t.Fatal(err)
	}
	// The writer takes a late event for the job, then the sweep, which
	// found the job expired, in the same batch: the event is read before
	// the delete and written after it.
	entered, release := sqlite.HoldNextBatch(s)
	applied := make(chan error, 1)
	go func() {
		_, err := s.Apply(ctx, &jobs.Update{JobID: "j", At: base.Add(time.Minute), Warnings: []jobs.Warning{{Code: "late"}}})
		applied <- err
	}()
	<-entered
	swept := make(chan error, 1)
	go func() {
		_, err := s.ForgetExpired(ctx, base.Add(8*day))
		swept <- err
	}()
	for sqlite.Queued(s) == 0 {
		time.Sleep(time.Millisecond)
	}
	release()
	if err := <-applied; err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if err := <-swept; err != nil {
		t.Fatalf("ForgetExpired: %v", err)
	}
	got, err := s.Get(ctx, "j")
	if err != nil || len(got.Warnings) != 1 {
		t.Fatalf("after the batch the job is %+v, %v; want it stored with the late event's warning", got, err)
	}
}

func TestADatabaseOfAnOlderBuildCountsRetentionFromTheLastChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transcoder.db")
	db := rawDB(t, path)
	if err := sqlite.MigrateTo(db, 3); err != nil {
		t.Fatalf("make a database of schema version 3: %v", err)
	}
	const (
		changed = 1_000_000_000_000
		due     = 2_000_000_000_000
	)
	if _, err := db.Exec(`INSERT INTO jobs (id, version, created_at, updated_at, doc, webhook_due) VALUES
		('no-call', 1, 0, ?, '{"id":"no-call","version":1}', NULL),
		('owes-a-call', 1, 0, ?, '{"id":"owes-a-call","version":1}', ?)`, changed, changed, due); err != nil {
		t.Fatal(err)
	}
	openClosing(t, path)
	for id, want := range map[string]int64{"no-call": changed, "owes-a-call": due} {
		var got int64
		if err := db.QueryRow(`SELECT retained_from FROM jobs WHERE id = ?`, id).Scan(&got); err != nil || got != want {
			t.Errorf("%s: retained_from = %d, %v; want %d", id, got, err, want)
		}
	}
}
