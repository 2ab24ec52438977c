package jobstest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// invite returns a valid invite made at at(ms), good for a day.
func invite(id string, uses, ms int) jobs.Invite {
	return jobs.Invite{
		ID: id, Owner: "owner-of-" + id, Uses: uses,
		CreatedAt: at(ms), ExpiresAt: at(ms).Add(24 * time.Hour),
	}
}

func mustCreateInvite(t *testing.T, s jobs.InviteStore, inv jobs.Invite) {
	t.Helper()
	if err := s.CreateInvite(context.Background(), inv); err != nil {
		t.Fatalf("CreateInvite(%s): %v", inv.ID, err)
	}
}

func mustGetInvite(t *testing.T, s jobs.InviteStore, id string) jobs.Invite {
	t.Helper()
	inv, err := s.GetInvite(context.Background(), id)
	if err != nil {
		t.Fatalf("GetInvite(%s): %v", id, err)
	}
	return inv
}

// sameInvite fails t unless got and want are identical, times included.
func sameInvite(t *testing.T, what string, got, want jobs.Invite) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s differs\n got: %s\nwant: %s", what, dump(got), dump(want))
	}
}

func testInviteRoundTrip(t *testing.T, h *harness) {
	s := storeAs[jobs.InviteStore](t, h.store(t))
	ctx := context.Background()
	want := invite("inv-1", 3, 0)
	want.Used = 1
	mustCreateInvite(t, s, want)
	sameInvite(t, "the stored invite", mustGetInvite(t, s, "inv-1"), want)

	again := invite("inv-1", 9, 500)
	if err := s.CreateInvite(ctx, again); !errors.Is(err, jobs.ErrExists) {
		t.Errorf("creating an invite with a taken id: err = %v, want ErrExists", err)
	}
	sameInvite(t, "the invite after its id was offered again", mustGetInvite(t, s, "inv-1"), want)

	if _, err := s.GetInvite(ctx, "inv-never"); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("GetInvite of an unknown id: err = %v, want ErrNotFound", err)
	}
}

func testInviteInvalid(t *testing.T, h *harness) {
	s := storeAs[jobs.InviteStore](t, h.store(t))
	ctx := context.Background()
	tests := []struct {
		name  string
		spoil func(*jobs.Invite)
	}{
		{"an invite without an id", func(i *jobs.Invite) { i.ID = "" }},
		{"an invite without an owner", func(i *jobs.Invite) { i.Owner = "" }},
		{"an invite of no uses", func(i *jobs.Invite) { i.Uses = 0 }},
		{"an invite used more than it allows", func(i *jobs.Invite) { i.Used = i.Uses + 1 }},
		{"an invite without an expiry", func(i *jobs.Invite) { i.ExpiresAt = time.Time{} }},
		{"an invite without a creation time", func(i *jobs.Invite) { i.CreatedAt = time.Time{} }},
	}
	for n, tc := range tests {
		t.Run(tc.name+" is refused and stores nothing", func(t *testing.T) {
			inv := invite(fmt.Sprintf("inv-bad-%d", n), 2, n)
			tc.spoil(&inv)
			if err := s.CreateInvite(ctx, inv); err == nil {
				t.Fatalf("CreateInvite(%s) = nil, want an error", dump(inv))
			}
			if inv.ID != "" {
				if _, err := s.GetInvite(ctx, inv.ID); !errors.Is(err, jobs.ErrNotFound) {
					t.Errorf("GetInvite after a refused create: err = %v, want ErrNotFound", err)
				}
			}
		})
	}
	list, err := s.ListInvites(ctx)
	if err != nil {
		t.Fatalf("ListInvites: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("ListInvites after refused creates lists %s, want none", dump(list))
	}
}

func testInviteListNewestFirst(t *testing.T, h *harness) {
	s := storeAs[jobs.InviteStore](t, h.store(t))
	list, err := s.ListInvites(context.Background())
	if err != nil {
		t.Fatalf("ListInvites of an empty store: %v", err)
	}
	if len(list) != 0 {
		t.Fatalf("ListInvites of an empty store lists %s, want none", dump(list))
	}

	// Created out of order; b and c share a creation time, so the id
	// decides between them.
	a, b, c, d := invite("inv-a", 1, 0), invite("inv-b", 2, 1000), invite("inv-c", 3, 1000), invite("inv-d", 4, 3000)
	for _, inv := range []jobs.Invite{c, a, d, b} {
		mustCreateInvite(t, s, inv)
	}
	if _, err := s.RevokeInvite(context.Background(), "inv-d", at(4000)); err != nil {
		t.Fatalf("RevokeInvite: %v", err)
	}
	d.RevokedAt = at(4000)

	list, err = s.ListInvites(context.Background())
	if err != nil {
		t.Fatalf("ListInvites: %v", err)
	}
	want := []jobs.Invite{d, c, b, a}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("ListInvites lists\n%s\nwant newest first, revoked ones included\n%s", dump(list), dump(want))
	}
}

func testInviteRevoke(t *testing.T, h *harness) {
	s := storeAs[jobs.InviteStore](t, h.store(t))
	ctx := context.Background()
	inv := invite("inv-1", 5, 0)
	mustCreateInvite(t, s, inv)
	if _, err := s.RedeemInvite(ctx, "inv-1", at(100)); err != nil {
		t.Fatalf("RedeemInvite: %v", err)
	}
	inv.Used = 1

	first, second := at(1000), at(2000)
	want := inv
	want.RevokedAt = first
	got, err := s.RevokeInvite(ctx, "inv-1", first)
	if err != nil {
		t.Fatalf("RevokeInvite: %v", err)
	}
	sameInvite(t, "the revoked invite RevokeInvite returns", got, want)
	got, err = s.RevokeInvite(ctx, "inv-1", second)
	if err != nil {
		t.Fatalf("RevokeInvite a second time: %v", err)
	}
	sameInvite(t, "the invite revoked again, which keeps the first time", got, want)
	sameInvite(t, "the stored invite", mustGetInvite(t, s, "inv-1"), want)

	if _, err := s.RevokeInvite(ctx, "inv-never", first); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("RevokeInvite of an unknown id: err = %v, want ErrNotFound", err)
	}
}

func testInviteRedeemUntilUsedUp(t *testing.T, h *harness) {
	s := storeAs[jobs.InviteStore](t, h.store(t))
	ctx := context.Background()
	inv := invite("inv-1", 3, 0)
	mustCreateInvite(t, s, inv)
	for n := 1; n <= inv.Uses; n++ {
		got, err := s.RedeemInvite(ctx, "inv-1", at(n))
		if err != nil {
			t.Fatalf("redemption %d of %d: %v", n, inv.Uses, err)
		}
		want := inv
		want.Used = n
		sameInvite(t, fmt.Sprintf("the invite after redemption %d", n), got, want)
	}
	if _, err := s.RedeemInvite(ctx, "inv-1", at(10)); !errors.Is(err, jobs.ErrInviteUsedUp) {
		t.Errorf("redeeming an invite past its uses: err = %v, want ErrInviteUsedUp", err)
	}
	if got := mustGetInvite(t, s, "inv-1"); got.Used != inv.Uses {
		t.Errorf("stored uses taken = %d, want %d", got.Used, inv.Uses)
	}
}

func testInviteRedeemRefused(t *testing.T, h *harness) {
	s := storeAs[jobs.InviteStore](t, h.store(t))
	ctx := context.Background()
	base := invite("inv", 2, 0)
	tests := []struct {
		name   string
		create bool
		change func(*jobs.Invite)
		now    time.Time
		want   error
	}{
		{"an invite at its expiry time is expired", true, func(*jobs.Invite) {}, base.ExpiresAt, jobs.ErrInviteExpired},
		{"an invite past its expiry is expired", true, func(*jobs.Invite) {}, base.ExpiresAt.Add(time.Hour), jobs.ErrInviteExpired},
		{"a revoked invite is revoked, even unexpired", true, func(i *jobs.Invite) { i.RevokedAt = at(10) }, at(20), jobs.ErrInviteRevoked},
		{"a revoked and expired invite is revoked", true, func(i *jobs.Invite) { i.RevokedAt = at(10) }, base.ExpiresAt, jobs.ErrInviteRevoked},
		{"an invite created used up is used up", true, func(i *jobs.Invite) { i.Used = i.Uses }, at(20), jobs.ErrInviteUsedUp},
		{"an invite never created is not found", false, func(*jobs.Invite) {}, at(20), jobs.ErrNotFound},
	}
	for n, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := base
			inv.ID = fmt.Sprintf("inv-%d", n)
			tc.change(&inv)
			// A revoked invite is made by revoking it once created.
			revokedAt := inv.RevokedAt
			inv.RevokedAt = time.Time{}
			if tc.create {
				mustCreateInvite(t, s, inv)
				if !revokedAt.IsZero() {
					if _, err := s.RevokeInvite(ctx, inv.ID, revokedAt); err != nil {
						t.Fatalf("RevokeInvite: %v", err)
					}
					inv.RevokedAt = revokedAt
				}
			}
			if _, err := s.RedeemInvite(ctx, inv.ID, tc.now); !errors.Is(err, tc.want) {
				t.Errorf("RedeemInvite: err = %v, want %v", err, tc.want)
			}
			if tc.create {
				sameInvite(t, "the invite after a refused redemption", mustGetInvite(t, s, inv.ID), inv)
			}
		})
	}
}

func testInviteConcurrentRedeemers(t *testing.T, h *harness) {
	const (
		redeemers = 50
		uses      = 5
	)
	s := storeAs[jobs.InviteStore](t, h.store(t))
	mustCreateInvite(t, s, invite("inv-1", uses, 0))

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		usedSeen []int
		refused  int
		errs     = make(chan error, redeemers)
	)
	start := make(chan struct{})
	for i := range redeemers {
		wg.Go(func() {
			<-start
			got, err := s.RedeemInvite(context.Background(), "inv-1", at(i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				usedSeen = append(usedSeen, got.Used)
			case errors.Is(err, jobs.ErrInviteUsedUp):
				refused++
			default:
				errs <- fmt.Errorf("redeemer %d: %w", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	slices.Sort(usedSeen)
	if want := []int{1, 2, 3, 4, 5}; !slices.Equal(usedSeen, want) {
		t.Errorf("the successful redemptions saw uses %v, want each of %v once", usedSeen, want)
	}
	if refused != redeemers-uses {
		t.Errorf("%d redeemers were told the invite is used up, want %d", refused, redeemers-uses)
	}
	if got := mustGetInvite(t, s, "inv-1"); got.Used != uses {
		t.Errorf("stored uses taken = %d, want %d", got.Used, uses)
	}
}

func testInviteReopen(t *testing.T, h *harness) {
	if h.opts.Reopen == nil {
		t.Skip("the store keeps nothing across Close (Options.Reopen is nil): this test runs for every persistent store, SQLite and DynamoDB among them")
	}
	s, closeStore := h.storeWithClose(t)
	is := storeAs[jobs.InviteStore](t, s)
	ctx := context.Background()
	kept, revoked := invite("inv-kept", 2, 0), invite("inv-revoked", 1, 1000)
	mustCreateInvite(t, is, kept)
	mustCreateInvite(t, is, revoked)
	if _, err := is.RedeemInvite(ctx, kept.ID, at(10)); err != nil {
		t.Fatalf("RedeemInvite: %v", err)
	}
	kept.Used = 1
	if _, err := is.RevokeInvite(ctx, revoked.ID, at(2000)); err != nil {
		t.Fatalf("RevokeInvite: %v", err)
	}
	revoked.RevokedAt = at(2000)
	if err := closeStore(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	r, _ := h.reopen(t, s)
	ri := storeAs[jobs.InviteStore](t, r)
	list, err := ri.ListInvites(ctx)
	if err != nil {
		t.Fatalf("ListInvites after reopening: %v", err)
	}
	if want := []jobs.Invite{revoked, kept}; !reflect.DeepEqual(list, want) {
		t.Errorf("ListInvites after reopening lists\n%s\nwant\n%s", dump(list), dump(want))
	}
	got, err := ri.RedeemInvite(ctx, kept.ID, at(20))
	if err != nil || got.Used != 2 {
		t.Errorf("redeeming the last use after reopening: used %d, err %v; want 2, nil", got.Used, err)
	}
	if _, err := ri.RedeemInvite(ctx, kept.ID, at(30)); !errors.Is(err, jobs.ErrInviteUsedUp) {
		t.Errorf("redeeming past the uses after reopening: err = %v, want ErrInviteUsedUp", err)
	}
}

// testNotJobs checks that invites and tallies, kept beside the jobs, are
// never listed or found as jobs.
func testNotJobs(t *testing.T, h *harness) {
	s := h.store(t)
	ctx := context.Background()
	inv := invite("inv-1", 2, 0)
	inv.Owner = "user-7"
	mustCreateInvite(t, storeAs[jobs.InviteStore](t, s), inv)
	if _, _, err := storeAs[jobs.Tallies](t, s).Admit(ctx, "jobs of user-7", "job-1", 3, unexpired()); err != nil {
		t.Fatalf("Admit: %v", err)
	}
	mustApply(t, s, &jobs.Update{JobID: "job-1", At: at(0), Owner: "user-7", CallbackURL: "https://hooks.example.com/x", State: jobs.Complete})

	for _, q := range []jobs.Query{{All: true, Limit: 10}, {Owner: "user-7", Limit: 10}, {Owner: "", Limit: 10}} {
		page, err := s.List(ctx, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		var ids []string
		for _, j := range page.Jobs {
			ids = append(ids, j.ID)
		}
		want := []string{"job-1"}
		if q.Owner == "" && !q.All {
			want = nil
		}
		if !slices.Equal(ids, want) {
			t.Errorf("List(%+v) lists %v, want %v: invites and tallies are not jobs", q, ids, want)
		}
	}
	due, err := s.Due(ctx, at(0).Add(time.Hour), 10)
	if err != nil {
		t.Fatalf("Due: %v", err)
	}
	if len(due) != 1 || due[0].ID != "job-1" {
		t.Errorf("Due lists %s, want job-1 alone", dump(due))
	}
	if _, err := s.Get(ctx, "inv-1"); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Get of an invite's id as a job: err = %v, want ErrNotFound", err)
	}
}
