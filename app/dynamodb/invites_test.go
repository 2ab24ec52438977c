package dynamodb_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transcoder/app/dynamodb"
	"transcoder/app/jobs"
)

// rawItem reads an item of table as text: strings and numbers as they are,
// a string set sorted and joined with commas.
func rawItem(t *testing.T, table, pk, sk string) map[string]string {
	t.Helper()
	out, err := client().GetItem(context.Background(), &ddb.GetItemInput{
		TableName: &table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk},
			"sk": &types.AttributeValueMemberS{Value: sk},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return nil
	}
	got := map[string]string{}
	for name, v := range out.Item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			got[name] = v.Value
		case *types.AttributeValueMemberN:
			got[name] = "N:" + v.Value
		case *types.AttributeValueMemberSS:
			got[name] = "SS:" + strings.Join(slices.Sorted(slices.Values(v.Value)), ",")
		default:
			t.Errorf("attribute %s is a %T, want a string, a number or a string set", name, v)
		}
	}
	return got
}

func TestAnInviteIsOneItemWithoutIndexKeysOrExpiry(t *testing.T) {
	table := freshTable(t)
	s := dynamodb.New(client(), table)
	ctx := context.Background()
	inv := jobs.Invite{ID: "inv-1", Owner: "alice", Uses: 3, CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)}
	if err := s.CreateInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemInvite(ctx, "inv-1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeInvite(ctx, "inv-1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"pk": "INVITES", "sk": "INVITE#inv-1", "owner": "alice", "uses": "N:3", "used": "N:1",
		"createdAt":  "2025-03-14T15:09:26.535897932Z",
		"validUntil": "2025-03-16T15:09:26.535897932Z",
		"revokedAt":  "2025-03-14T16:09:26.535897932Z",
	}
	if got := rawItem(t, table, "INVITES", "INVITE#inv-1"); !reflect.DeepEqual(got, want) {
		t.Errorf("the invite's item\n got %v\nwant %v: no index keys, and no expiresAt, which would have DynamoDB delete it", got, want)
	}
}

func TestATallyIsOneItemThatExpires(t *testing.T) {
	table := freshTable(t)
	s := dynamodb.New(client(), table)
	ctx := context.Background()
	expires := time.Date(2030, time.January, 2, 3, 4, 5, 600, time.UTC)
	tests := []struct {
		name  string
		steps func(t *testing.T)
		key   string
		want  map[string]string
	}{
		{
			name: "admitted members are a string set, with the expiry in Unix seconds",
			steps: func(t *testing.T) {
				for _, m := range []string{"job-2", "job-1", "job-3"} {
					if _, _, err := s.Admit(ctx, "day 1", m, 5, expires); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Release(ctx, "day 1", "job-3"); err != nil {
					t.Fatal(err)
				}
			},
			key: "day 1",
			want: map[string]string{
				"pk": "TALLY#day 1", "sk": "TALLY", "members": "SS:job-1,job-2",
				"expiresAt": "N:" + strconv.FormatInt(expires.Unix(), 10),
			},
		},
		{
			name: "a later Admit without an expiry keeps the one set before",
			steps: func(t *testing.T) {
				if _, _, err := s.Admit(ctx, "day 2", "job-1", 5, expires); err != nil {
					t.Fatal(err)
				}
				if _, _, err := s.Admit(ctx, "day 2", "job-2", 5, time.Time{}); err != nil {
					t.Fatal(err)
				}
			},
			key: "day 2",
			want: map[string]string{
				"pk": "TALLY#day 2", "sk": "TALLY", "members": "SS:job-1,job-2",
				"expiresAt": "N:" + strconv.FormatInt(expires.Unix(), 10),
			},
		},
		{
			name: "a set that never had an expiry has none",
			steps: func(t *testing.T) {
				if _, _, err := s.Admit(ctx, "running", "job-1", 5, time.Time{}); err != nil {
					t.Fatal(err)
				}
			},
			key:  "running",
			want: map[string]string{"pk": "TALLY#running", "sk": "TALLY", "members": "SS:job-1"},
		},
		{
			name: "releasing from a set never seen writes no item",
			steps: func(t *testing.T) {
				if err := s.Release(ctx, "never", "job-1"); err != nil {
					t.Fatal(err)
				}
			},
			key:  "never",
			want: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.steps(t)
			if got := rawItem(t, table, "TALLY#"+tc.key, "TALLY"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("the tally's item\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestRedeemersAndAdmitsFromTwoStoresOnOneTableKeepTheLimits(t *testing.T) {
	const perStore = 20
	table := freshTable(t)
	stores := []*dynamodb.Store{dynamodb.New(client(), table), dynamodb.New(client(), table)}
	ctx := context.Background()
	if err := stores[0].CreateInvite(ctx, jobs.Invite{ID: "inv-1", Owner: "alice", Uses: 4, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		redeemed, admitted int
		unexpected         []error
	)
	for i := range 2 * perStore {
		s := stores[i%2]
		wg.Go(func() {
			_, rerr := s.RedeemInvite(ctx, "inv-1", t0)
			ok, _, aerr := s.Admit(ctx, "running", strconv.Itoa(i), 3, time.Time{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case rerr == nil:
				redeemed++
			case !errors.Is(rerr, jobs.ErrInviteUsedUp):
				unexpected = append(unexpected, rerr)
			}
			if aerr != nil {
				unexpected = append(unexpected, aerr)
			} else if ok {
				admitted++
			}
		})
	}
	wg.Wait()
	for _, err := range unexpected {
		t.Error(err)
	}
	if redeemed != 4 || admitted != 3 {
		t.Errorf("across two stores: %d redemptions of an invite of 4 uses, %d admitted with limit 3; want 4 and 3", redeemed, admitted)
	}
}
