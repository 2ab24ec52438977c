package quotas_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"transcoder/app/dynamodb"
	"transcoder/app/internal/dynalite"
	"transcoder/app/jobs"
	"transcoder/app/quotas"
	"transcoder/app/sqlite"
)

// endpoint is the URL of the dynalite that TestMain starts for the package.
var endpoint string

func TestMain(m *testing.M) {
	url, stop, err := dynalite.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "quotas tests:", err)
		os.Exit(1)
	}
	endpoint = url
	code := m.Run()
	stop()
	os.Exit(code)
}

// store is a job store that keeps tallies.
type store interface {
	jobs.Store
	jobs.Tallies
}

// stores open a new, empty store of each kind, closed when t ends: every
// test runs against both, since quotas must hold the same on each.
var stores = []struct {
	name string
	open func(t *testing.T) store
}{
	{"sqlite", func(t *testing.T) store {
		st, err := sqlite.Open(filepath.Join(t.TempDir(), "jobs.db"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}},
	{"dynamodb", func(t *testing.T) store {
		c := dynalite.Client(endpoint)
		name := fmt.Sprintf("quotas-%d-%d", time.Now().UnixNano(), tables.Add(1))
		if err := dynamodb.CreateTable(context.Background(), c, name); err != nil {
			t.Fatal(err)
		}
		return dynamodb.New(c, name)
	}},
}

var tables atomic.Int64

// keeper is a Keeper over a real store of the kind the subtest names, its
// clock at now.
func keeper(t *testing.T, limits quotas.Limits, now *time.Time) (*quotas.Keeper, store) {
	t.Helper()
	open := stores[0].open
	for _, s := range stores {
		if strings.HasSuffix(t.Name(), "/"+s.name) {
			open = s.open
		}
	}
	st := open(t)
	t.Cleanup(func() { st.Close() })
	return &quotas.Keeper{Limits: limits, Tallies: st, Jobs: st, Now: func() time.Time { return *now }}, st
}

// eachStore runs test against every kind of store.
func eachStore(t *testing.T, test func(t *testing.T)) {
	for _, s := range stores {
		t.Run(s.name, test)
	}
}

func exceeded(t *testing.T, err error, limit string) *quotas.Exceeded {
	t.Helper()
	var ex *quotas.Exceeded
	if !errors.As(err, &ex) || ex.Limit != limit {
		t.Fatalf("err = %v, want the %s limit", err, limit)
	}
	return ex
}

func TestAnUploadPastTheLargestSizeIsRefusedWithTheLimit(t *testing.T) {
	now := time.Now()
	k, _ := keeper(t, quotas.Limits{MaxUploadSize: 500e6}, &now)
	if err := k.CheckUpload(500e6); err != nil {
		t.Fatalf("a file of exactly the limit: %v", err)
	}
	ex := exceeded(t, k.CheckUpload(500e6+1), quotas.MaxUploadSize)
	if ex.Value != 500e6 || !strings.Contains(ex.Message, "up to 500 MB") || ex.RetryAfter != 0 {
		t.Fatalf("refusal: %+v", ex)
	}
	if err := k.CheckUpload(0); !errors.Is(err, quotas.ErrEmpty) {
		t.Fatalf("an empty file: %v", err)
	}
	off := &quotas.Keeper{}
	if err := off.CheckUpload(1 << 50); err != nil {
		t.Fatalf("with no limit: %v", err)
	}
}

func TestAnInputPastTheLongestDurationIsRefusedInWordsThatSayBoth(t *testing.T) {
	now := time.Now()
	k, _ := keeper(t, quotas.Limits{MaxInputDuration: 30 * time.Minute}, &now)
	if err := k.CheckDuration(30 * time.Minute); err != nil {
		t.Fatal(err)
	}
	ex := exceeded(t, k.CheckDuration(72*time.Minute), quotas.MaxInputDuration)
	if !strings.Contains(ex.Message, "1h12m long") || !strings.Contains(ex.Message, "up to 30m") || ex.Value != 1800 {
		t.Fatalf("refusal: %+v", ex)
	}
}

func TestJobsPerDayResetAtMidnightUTCAndSayWhenToComeBack(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		now := time.Now().UTC().Truncate(24 * time.Hour).Add(22 * time.Hour)
		k, _ := keeper(t, quotas.Limits{JobsPerDay: 2}, &now)
		ctx := context.Background()
		for i := range 2 {
			if _, err := k.Admit(ctx, "alice", fmt.Sprintf("uploads/alice/u%d/a.wav", i), fmt.Sprintf("j%d", i), false); err != nil {
				t.Fatalf("job %d: %v", i, err)
			}
		}
		ex := exceeded(t, func() error { _, err := k.Admit(ctx, "alice", "uploads/alice/u9/a.wav", "j9", false); return err }(), quotas.JobsPerDay)
		if ex.RetryAfter != 2*time.Hour || ex.Value != 2 {
			t.Fatalf("refusal: %+v, want Retry-After of the two hours to midnight", ex)
		}
		if _, err := k.Admit(ctx, "bob", "uploads/bob/u1/a.wav", "jb", false); err != nil {
			t.Fatalf("another owner is counted apart: %v", err)
		}
		if _, err := k.Admit(ctx, "", "uploads/_operator/u1/a.wav", "jo", true); err != nil {
			t.Fatalf("the operator is bound by no quota: %v", err)
		}
		now = now.Add(2 * time.Hour)
		if _, err := k.Admit(ctx, "alice", "uploads/alice/u10/a.wav", "j10", false); err != nil {
			t.Fatalf("after midnight: %v", err)
		}
	})
}

func TestARetriedAdmissionOfTheSameJobCountsOnce(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		now := time.Now()
		k, _ := keeper(t, quotas.Limits{JobsPerDay: 1, JobsPerUpload: 1, JobsRunning: 1}, &now)
		ctx := context.Background()
		for range 3 {
			if _, err := k.Admit(ctx, "alice", "uploads/alice/u1/a.wav", "j1", false); err != nil {
				t.Fatalf("admitting j1 again: %v", err)
			}
		}
	})
}

func TestAnUploadRunsOnlyAsManyJobsAsAllowed(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		now := time.Now()
		k, _ := keeper(t, quotas.Limits{JobsPerUpload: 3}, &now)
		ctx := context.Background()
		for i := range 3 {
			if _, err := k.Admit(ctx, "alice", "uploads/alice/u1/a.wav", fmt.Sprintf("j%d", i), false); err != nil {
				t.Fatal(err)
			}
		}
		_, err := k.Admit(ctx, "alice", "uploads/alice/u1/a.wav", "j3", false)
		if ex := exceeded(t, err, quotas.JobsPerUpload); ex.RetryAfter != 0 || !strings.Contains(ex.Message, "upload the file again") {
			t.Fatalf("refusal: %+v", ex)
		}
	})
}

func TestARunningPlaceComesBackWhenTheJobEnds(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		now := time.Now()
		k, st := keeper(t, quotas.Limits{JobsRunning: 1}, &now)
		ctx := context.Background()
		submit := func(id string) error {
			if _, err := k.Admit(ctx, "alice", "uploads/alice/"+id+"/a.wav", id, false); err != nil {
				return err
			}
			_, err := st.Apply(ctx, &jobs.Update{JobID: id, Owner: "alice", At: now, State: jobs.Submitted})
			return err
		}
		if err := submit("j1"); err != nil {
			t.Fatal(err)
		}
		ex := exceeded(t, submit("j2"), quotas.JobsRunning)
		if ex.RetryAfter <= 0 {
			t.Fatalf("a running-jobs refusal says when to try again: %+v", ex)
		}
		ch, err := st.Apply(ctx, &jobs.Update{JobID: "j1", At: now.Add(time.Second), State: jobs.Complete})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // a duplicated event gives it back once
			if err := k.Ended(ctx, ch.Job); err != nil {
				t.Fatal(err)
			}
		}
		if err := submit("j2"); err != nil {
			t.Fatalf("after j1 ended: %v", err)
		}
	})
}

func TestAJobThatEndedWithoutTellingIsSweptWhenTheLimitIsMet(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		now := time.Now()
		k, st := keeper(t, quotas.Limits{JobsRunning: 1}, &now)
		ctx := context.Background()
		if _, err := k.Admit(ctx, "alice", "uploads/alice/u1/a.wav", "j1", false); err != nil {
			t.Fatal(err)
		}
		// The process stopped before Ended: the job is terminal in the store.
		if _, err := st.Apply(ctx, &jobs.Update{JobID: "j1", Owner: "alice", At: now, State: jobs.Failed, Error: &jobs.Failure{Code: "X", Message: "x"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Admit(ctx, "alice", "uploads/alice/u2/a.wav", "j2", false); err != nil {
			t.Fatalf("the ended job's place should have been swept: %v", err)
		}
	})
}

func TestAPlaceWhoseJobWasNeverStoredIsSweptOnlyOnceItIsOld(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		now := time.Now()
		k, _ := keeper(t, quotas.Limits{JobsRunning: 1}, &now)
		ctx := context.Background()
		if _, err := k.Admit(ctx, "alice", "uploads/alice/u1/a.wav", "j1", false); err != nil {
			t.Fatal(err)
		}
		// j1 is not in the store: it may be being stored right now.
		_, err := k.Admit(ctx, "alice", "uploads/alice/u2/a.wav", "j2", false)
		exceeded(t, err, quotas.JobsRunning)
		// A submission that stopped between the two never stores it.
		now = now.Add(3 * time.Minute)
		if _, err := k.Admit(ctx, "alice", "uploads/alice/u2/a.wav", "j2", false); err != nil {
			t.Fatalf("an old place without a job should have been swept: %v", err)
		}
	})
}

func TestARefusedAdmissionTakesNoPlaceInTheOtherCounts(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		now := time.Now()
		k, _ := keeper(t, quotas.Limits{JobsPerUpload: 5, JobsPerDay: 5, JobsRunning: 1}, &now)
		ctx := context.Background()
		if _, err := k.Admit(ctx, "alice", "uploads/alice/u1/a.wav", "j1", false); err != nil {
			t.Fatal(err)
		}
		for i := range 10 { // each refused by JOBS_RUNNING
			_, err := k.Admit(ctx, "alice", "uploads/alice/u1/a.wav", fmt.Sprintf("r%d", i), false)
			exceeded(t, err, quotas.JobsRunning)
		}
		members, err := k.Tallies.Members(ctx, "upload:uploads/alice/u1/a.wav")
		if err != nil || len(members) != 1 {
			t.Fatalf("the upload's count holds %v (%v), want only j1", members, err)
		}
	})
}

func TestConcurrentSubmissionsNeverPassALimitTogether(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		now := time.Now()
		k, _ := keeper(t, quotas.Limits{JobsPerDay: 7}, &now)
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		admitted := 0
		for i := range 40 {
			wg.Go(func() {
				if _, err := k.Admit(ctx, "alice", fmt.Sprintf("uploads/alice/u%d/a.wav", i), fmt.Sprintf("j%d", i), false); err == nil {
					mu.Lock()
					admitted++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if admitted != 7 {
			t.Fatalf("%d of 40 concurrent submissions were admitted under a limit of 7", admitted)
		}
	})
}

func TestSizesAndDurationsAreSaidAsPeopleSayThem(t *testing.T) {
	for in, want := range map[int64]string{999: "999 bytes", 1000: "1 KB", 1500: "1.5 KB", 500e6: "500 MB", 2e9: "2 GB"} {
		if got := quotas.Bytes(in); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{45 * time.Second: "45s", 90 * time.Second: "1m30s", 30 * time.Minute: "30m", time.Hour: "1h", 72 * time.Minute: "1h12m"} {
		if got := quotas.Duration(in); got != want {
			t.Errorf("Duration(%v) = %q, want %q", in, got, want)
		}
	}
}
