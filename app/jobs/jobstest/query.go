package jobstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// created applies the submission of job id for owner at ms.
func created(t *testing.T, s jobs.Store, id, owner string, ms int) {
	t.Helper()
	mustApply(t, s, &jobs.Update{JobID: id, Owner: owner, At: at(ms), State: jobs.Submitted})
}

func testListNewestFirst(t *testing.T, h *harness) {
	s := h.store(t)
	for i := range 7 {
		created(t, s, fmt.Sprintf("job-%d", i), "alice", i*10)
	}
	created(t, s, "bobs", "bob", 35)
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("List never ran out of pages")
		}
		page, err := s.List(context.Background(), jobs.Query{Owner: "alice", Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Jobs) > 3 {
			t.Fatalf("a page of %d jobs exceeds the limit of 3", len(page.Jobs))
		}
		for _, j := range page.Jobs {
			got = append(got, j.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	want := "[job-6 job-5 job-4 job-3 job-2 job-1 job-0]"
	if fmt.Sprint(got) != want {
		t.Fatalf("alice's jobs listed as %v, want %s", got, want)
	}
	all, err := s.List(context.Background(), jobs.Query{All: true, Limit: 100})
	if err != nil || len(all.Jobs) != 8 || all.Next != "" || all.Jobs[3].ID != "bobs" {
		t.Fatalf("everyone's jobs: %v, %v", all, err)
	}
}

func testListBadCursor(t *testing.T, h *harness) {
	s := h.store(t)
	created(t, s, "j", "alice", 0)
	if _, err := s.List(context.Background(), jobs.Query{Owner: "alice", Cursor: "not-a-cursor!"}); !errors.Is(err, jobs.ErrBadCursor) {
		t.Fatalf("List with a forged cursor = %v, want ErrBadCursor", err)
	}
}

func testModify(t *testing.T, h *harness) {
	s := h.store(t)
	if _, err := s.Modify(context.Background(), "nope", func(*jobs.Job) bool { return true }); !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Modify of an unknown job = %v, want ErrNotFound", err)
	}
	mustApply(t, s, &jobs.Update{JobID: "j", Owner: "alice", At: at(0), State: jobs.Complete})
	j, err := s.Modify(context.Background(), "j", func(j *jobs.Job) bool {
		_, changed := j.MarkNotice("j-COMPLETE", true)
		return changed
	})
	if err != nil || !j.Notices[0].Dismissed {
		t.Fatalf("Modify = %+v, %v", j, err)
	}
	if stored := mustGet(t, s, "j"); !stored.Notices[0].Dismissed || stored.Version != j.Version {
		t.Fatalf("the modification was not stored: %+v", stored.Notices)
	}
}

func testDueAndClaimedOnce(t *testing.T, h *harness) {
	s := h.store(t)
	mustApply(t, s, &jobs.Update{JobID: "hook", At: at(0), State: jobs.Complete, CallbackURL: "https://example.com/h"})
	mustApply(t, s, &jobs.Update{JobID: "quiet", At: at(0), State: jobs.Complete})
	due, err := s.Due(context.Background(), at(1), 10)
	if err != nil || len(due) != 1 || due[0].ID != "hook" {
		t.Fatalf("Due = %v, %v; want the job with a callback", due, err)
	}
	if early, _ := s.Due(context.Background(), at(-1), 10); len(early) != 0 {
		t.Fatalf("a call was due before its transition: %v", early)
	}
	id := due[0].Webhooks[0].ID
	before := due[0].Version
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := s.Modify(context.Background(), "hook", func(j *jobs.Job) bool {
				return j.ClaimWebhookCall(id, at(1), at(30_001))
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Each successful claim adds one version; a second claim is refused.
	if j := mustGet(t, s, "hook"); j.Version != before+1 || !j.Webhooks[0].LeaseUntil.Equal(at(30_001)) {
		t.Fatalf("after 8 racing claims: version %d (from %d), lease %v; want exactly one claim", j.Version, before, j.Webhooks[0].LeaseUntil)
	}
	if held, _ := s.Due(context.Background(), at(2), 10); len(held) != 0 {
		t.Fatalf("a claimed call is still listed as due: %v", held)
	}
	if _, err := s.Modify(context.Background(), "hook", func(j *jobs.Job) bool {
		j.RecordAttempt(id, at(3), 204, "", true, time.Time{})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if settled, _ := s.Due(context.Background(), at(1_000_000), 10); len(settled) != 0 {
		t.Fatalf("a delivered call is still due: %v", settled)
	}
}
