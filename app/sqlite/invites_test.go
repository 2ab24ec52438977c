package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/sqlite"
)

func TestInviteAndTallyWritesShareTheBatchAndFailAlone(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"))
	ctx := context.Background()
	inv := jobs.Invite{ID: "inv-1", Owner: "alice", Uses: 1, Used: 1, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}

	var (
		errs     = make([]error, 5)
		admitted bool
	)
	before := s.Stats()
	queueCallsBehindHeldBatch(t, s, []func(){
		func() { _, errs[0] = s.Apply(ctx, update("job-1", 1)) },
		func() { errs[1] = s.CreateInvite(ctx, inv) },
		func() { admitted, _, errs[2] = s.Admit(ctx, "jobs of alice", "job-1", 1, time.Time{}) },
		func() { _, errs[3] = s.RedeemInvite(ctx, "inv-1", t0) },
		func() { _, errs[4] = s.Apply(ctx, update("job-2", 2)) },
	})
	if got := s.Stats().Commits - before.Commits; got != 1 {
		t.Errorf("five calls waiting together took %d commits, want 1", got)
	}
	if !errors.Is(errs[1], jobs.ErrExists) {
		t.Errorf("creating a taken invite in the batch = %v, want ErrExists", errs[1])
	}
	if !errors.Is(errs[3], jobs.ErrInviteUsedUp) {
		t.Errorf("redeeming a used-up invite in the batch = %v, want ErrInviteUsedUp", errs[3])
	}
	for _, i := range []int{0, 2, 4} {
		if errs[i] != nil {
			t.Errorf("call %d, beside the refused ones in the batch: %v", i, errs[i])
		}
	}
	if !admitted {
		t.Error("the Admit in the batch was refused, want admitted")
	}
	for _, id := range []string{"job-1", "job-2"} {
		if _, err := s.Get(ctx, id); err != nil {
			t.Errorf("Get(%s): %v", id, err)
		}
	}
	if m, err := s.Members(ctx, "jobs of alice"); err != nil || !slices.Equal(m, []string{"job-1"}) {
		t.Errorf("Members = %q, %v; want [job-1]", m, err)
	}
}

func TestExpiredTalliesAreForgottenByALaterAdmit(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"))
	ctx := context.Background()
	now := time.Now()
	sets := []struct {
		key     string
		expires time.Time
		kept    bool
	}{
		{"day 1", now.Add(-time.Hour), false},
		{"day 2", now.Add(-time.Second), false},
		{"day 3", now.Add(time.Hour), true},
		{"running", time.Time{}, true},
	}
	for _, set := range sets {
		if ok, _, err := s.Admit(ctx, set.key, "job-1", 1, set.expires); err != nil || !ok {
			t.Fatalf("Admit(%s) = %v, %v; want admitted", set.key, ok, err)
		}
	}
	if ok, _, err := s.Admit(ctx, "another", "job-1", 1, time.Time{}); err != nil || !ok {
		t.Fatalf("Admit(another) = %v, %v; want admitted", ok, err)
	}
	for _, set := range sets {
		m, err := s.Members(ctx, set.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(m) == 1; got != set.kept {
			t.Errorf("%s, expiring at %s: members %q after a later Admit; kept %v, want %v", set.key, set.expires, m, got, set.kept)
		}
	}
	if ok, size, err := s.Admit(ctx, "day 1", "job-2", 1, now.Add(time.Hour)); err != nil || !ok || size != 1 {
		t.Errorf("Admit to a forgotten set = %v, size %d, %v; want admitted to an empty set", ok, size, err)
	}
}

func TestADatabaseOfAnOlderBuildGainsInvitesAndTallies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transcoder.db")
	db := rawDB(t, path)
	if err := sqlite.MigrateTo(db, 2); err != nil {
		t.Fatalf("make a database of schema version 2: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO jobs (id, version, created_at, updated_at, doc) VALUES ('old', 1, 0, 0, '{"id":"old","version":1}')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openClosing(t, path)
	ctx := context.Background()
	if _, err := s.Get(ctx, "old"); err != nil {
		t.Errorf("the job of the older build: %v", err)
	}
	inv := jobs.Invite{ID: "inv-1", Owner: "alice", Uses: 2, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateInvite(ctx, inv); err != nil {
		t.Fatalf("CreateInvite after migrating: %v", err)
	}
	if got, err := s.RedeemInvite(ctx, "inv-1", t0); err != nil || got.Used != 1 {
		t.Errorf("RedeemInvite after migrating = used %d, %v; want 1, nil", got.Used, err)
	}
	if ok, _, err := s.Admit(ctx, "k", "m", 1, time.Time{}); err != nil || !ok {
		t.Errorf("Admit after migrating = %v, %v; want admitted", ok, err)
	}
	if v, err := sqlite.WriterPragma(s, "user_version"); err != nil || v != fmt.Sprint(sqlite.SchemaVersion) {
		t.Errorf("schema version after migrating = %s, %v; want %d", v, err, sqlite.SchemaVersion)
	}
}

func TestAnInviteCanceledWhileQueuedIsNotCreated(t *testing.T) {
	s := openClosing(t, filepath.Join(t.TempDir(), "transcoder.db"))
	entered, release := sqlite.HoldNextBatch(s)
	defer release()

	first := make(chan error, 1)
	go func() {
		_, err := s.Apply(context.Background(), update("job-1", 1))
		first <- err
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		second <- s.CreateInvite(ctx, jobs.Invite{ID: "inv-1", Owner: "alice", Uses: 1, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	}()
	for sqlite.Queued(s) < 1 {
		runtime.Gosched()
	}
	cancel()
	release()

	if err := <-first; err != nil {
		t.Fatalf("the held call: %v", err)
	}
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Errorf("the canceled CreateInvite = %v, want context.Canceled", err)
	}
	if _, err := s.GetInvite(context.Background(), "inv-1"); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("GetInvite = %v, want ErrNotFound: a call canceled before the writer reached it must not be applied", err)
	}
}
