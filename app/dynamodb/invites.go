package dynamodb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transcoder/app/jobs"
)

// An invite is one item in a partition of their own:
//
//	pk        = "INVITES"          sk         = "INVITE#<id>"
//	owner     = its Owner (S)      uses, used = its Uses and Used (N)
//	createdAt = (S)                validUntil = its ExpiresAt (S)
//	revokedAt = (S), once revoked
//
// times in the fixed-width UTC form, which compares as the times do. Both
// GetInvite (a GetItem) and ListInvites (a Query of the partition) are key
// operations, strongly consistent, and the items have no index keys, so no
// index and no listing of jobs (which takes items with sk "JOB" only) ever
// sees them. Invites are made by hand, a few at a time: one partition holds
// them all with room to spare.

var _ jobs.InviteStore = (*Store)(nil)

// inviteKey is the primary key of invite id's item.
func inviteKey(id string) map[string]types.AttributeValue {
	return itemKey(invitesPK, inviteSKPrefix+id)
}

// inviteNames are the expression names of an invite's attributes.
var inviteNames = map[string]string{
	"#pk": attrPK, "#uses": attrUses, "#used": attrUsed, "#until": attrValidUntil, "#revoked": attrRevokedAt,
}

// names returns the entries of inviteNames that expr uses: DynamoDB refuses
// a name an expression does not use.
func names(expr string) map[string]string {
	out := map[string]string{}
	for k, v := range inviteNames {
		if strings.Contains(expr, k) {
			out[k] = v
		}
	}
	return out
}

// storableTime reports whether t fits the fixed-width form, years 1 to 9999.
func storableTime(t time.Time) bool {
	y := t.UTC().Year()
	return t.IsZero() || (y >= 1 && y <= 9999)
}

// CreateInvite stores a new invite, or returns an error wrapping
// jobs.ErrExists when its id is taken.
func (s *Store) CreateInvite(ctx context.Context, inv jobs.Invite) error {
	if err := inv.Validate(); err != nil {
		return fmt.Errorf("dynamodb: refusing invite: %w", err)
	}
	if !storableTime(inv.CreatedAt) || !storableTime(inv.ExpiresAt) || !storableTime(inv.RevokedAt) {
		return fmt.Errorf("dynamodb: refusing invite %q: its times must fall between the years 1 and 9999", inv.ID)
	}
	if !s.gate.Enter() {
		return ErrClosed
	}
	defer s.gate.Leave()
	it := inviteKey(inv.ID)
	it[attrOwner] = &types.AttributeValueMemberS{Value: inv.Owner}
	it[attrUses] = &types.AttributeValueMemberN{Value: strconv.Itoa(inv.Uses)}
	it[attrUsed] = &types.AttributeValueMemberN{Value: strconv.Itoa(inv.Used)}
	it[attrCreatedAt] = &types.AttributeValueMemberS{Value: dueKey(inv.CreatedAt)}
	it[attrValidUntil] = &types.AttributeValueMemberS{Value: dueKey(inv.ExpiresAt)}
	if inv.Revoked() {
		it[attrRevokedAt] = &types.AttributeValueMemberS{Value: dueKey(inv.RevokedAt)}
	}
	cond := "attribute_not_exists(#pk)"
	_, err := s.client.PutItem(ctx, &ddb.PutItemInput{
		TableName: &s.table, Item: it,
		ConditionExpression: &cond, ExpressionAttributeNames: names(cond),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return fmt.Errorf("dynamodb: invite %q: %w", inv.ID, jobs.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("dynamodb: write invite %q to table %q: %w", inv.ID, s.table, err)
	}
	return nil
}

// GetInvite returns the invite, read consistently, or an error wrapping
// jobs.ErrNotFound.
func (s *Store) GetInvite(ctx context.Context, id string) (jobs.Invite, error) {
	if !s.gate.Enter() {
		return jobs.Invite{}, ErrClosed
	}
	defer s.gate.Leave()
	return s.getInvite(ctx, id)
}

func (s *Store) getInvite(ctx context.Context, id string) (jobs.Invite, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{TableName: &s.table, Key: inviteKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return jobs.Invite{}, fmt.Errorf("dynamodb: read invite %q from table %q: %w", id, s.table, err)
	}
	if out.Item == nil {
		return jobs.Invite{}, fmt.Errorf("dynamodb: invite %q: %w", id, jobs.ErrNotFound)
	}
	return s.decodeInvite(out.Item)
}

// ListInvites returns every invite, newest first, from a consistent query
// of their partition.
func (s *Store) ListInvites(ctx context.Context) ([]jobs.Invite, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	in := &ddb.QueryInput{
		TableName:                &s.table,
		ConsistentRead:           aws.Bool(true),
		KeyConditionExpression:   aws.String("#pk = :invites"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":invites": &types.AttributeValueMemberS{Value: invitesPK},
		},
	}
	var out []jobs.Invite
	for p := ddb.NewQueryPaginator(s.client, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: list invites in table %q: %w", s.table, err)
		}
		for _, it := range page.Items {
			inv, err := s.decodeInvite(it)
			if err != nil {
				return nil, err
			}
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(a, b jobs.Invite) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
	})
	return out, nil
}

// RevokeInvite revokes the invite at at, unless it was revoked before, in
// one conditional update, and returns it.
func (s *Store) RevokeInvite(ctx context.Context, id string, at time.Time) (jobs.Invite, error) {
	if at.IsZero() || !storableTime(at) {
		return jobs.Invite{}, fmt.Errorf("dynamodb: revoke invite %q at %s: give a time between the years 1 and 9999", id, at)
	}
	if !s.gate.Enter() {
		return jobs.Invite{}, ErrClosed
	}
	defer s.gate.Leave()
	update, cond := "SET #revoked = if_not_exists(#revoked, :at)", "attribute_exists(#pk)"
	out, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: &s.table, Key: inviteKey(id),
		UpdateExpression:          &update,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  names(update + cond),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: dueKey(at)}},
		ReturnValues:              types.ReturnValueAllNew,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return jobs.Invite{}, fmt.Errorf("dynamodb: invite %q: %w", id, jobs.ErrNotFound)
	}
	if err != nil {
		return jobs.Invite{}, fmt.Errorf("dynamodb: revoke invite %q in table %q: %w", id, s.table, err)
	}
	return s.decodeInvite(out.Attributes)
}

// RedeemInvite takes one use of the invite at now in one conditional
// update, so that concurrent redeemers, in any number of instances, never
// take more uses than it has. When the condition fails, a consistent read
// of the invite says why: the error wraps jobs.ErrNotFound,
// jobs.ErrInviteRevoked, jobs.ErrInviteExpired or jobs.ErrInviteUsedUp.
func (s *Store) RedeemInvite(ctx context.Context, id string, now time.Time) (jobs.Invite, error) {
	if !storableTime(now) {
		return jobs.Invite{}, fmt.Errorf("dynamodb: redeem invite %q at %s: give a time between the years 1 and 9999", id, now)
	}
	if !s.gate.Enter() {
		return jobs.Invite{}, ErrClosed
	}
	defer s.gate.Leave()
	update := "SET #used = #used + :one"
	cond := "attribute_exists(#pk) AND attribute_not_exists(#revoked) AND #until > :now AND #used < #uses"
	out, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: &s.table, Key: inviteKey(id),
		UpdateExpression:         &update,
		ConditionExpression:      &cond,
		ExpressionAttributeNames: names(update + cond),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"},
			":now": &types.AttributeValueMemberS{Value: dueKey(now)},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		// Refused: the condition's parts only ever turn false (uses are
		// taken, never given back; a revocation stays), so the invite as it
		// stands now says why.
		inv, err := s.getInvite(ctx, id)
		if err != nil {
			return jobs.Invite{}, err
		}
		if why := inv.Usable(now); why != nil {
			return jobs.Invite{}, fmt.Errorf("dynamodb: invite %q: %w", id, why)
		}
		return jobs.Invite{}, fmt.Errorf("dynamodb: invite %q in table %q was refused although it reads as usable: its item was written by something other than this store; rewrite or delete it", id, s.table)
	}
	if err != nil {
		return jobs.Invite{}, fmt.Errorf("dynamodb: redeem invite %q in table %q: %w", id, s.table, err)
	}
	return s.decodeInvite(out.Attributes)
}

// decodeInvite reads an invite's item.
func (s *Store) decodeInvite(it map[string]types.AttributeValue) (jobs.Invite, error) {
	sk, _ := it[attrSK].(*types.AttributeValueMemberS)
	id, ok := "", false
	if sk != nil {
		id, ok = strings.CutPrefix(sk.Value, inviteSKPrefix)
	}
	if !ok {
		return jobs.Invite{}, fmt.Errorf("dynamodb: partition %q of table %q holds an item that is not an invite's (sk %v): the table holds an item this store did not write", invitesPK, s.table, text(sk))
	}
	corrupt := func(attr string, err error) error {
		return fmt.Errorf("dynamodb: the item of invite %q in table %q has a bad %q attribute (%v): rewrite or delete it", id, s.table, attr, err)
	}
	str := func(attr string) (string, bool) {
		v, ok := it[attr].(*types.AttributeValueMemberS)
		if !ok {
			return "", false
		}
		return v.Value, true
	}
	num := func(attr string) (int, error) {
		v, ok := it[attr].(*types.AttributeValueMemberN)
		if !ok {
			return 0, errors.New("missing, or not a number")
		}
		return strconv.Atoi(v.Value)
	}
	tm := func(attr string) (time.Time, error) {
		v, ok := str(attr)
		if !ok {
			return time.Time{}, errors.New("missing, or not a string")
		}
		return time.Parse(sortTime, v)
	}
	inv := jobs.Invite{ID: id}
	var err error
	if inv.Owner, ok = str(attrOwner); !ok {
		return jobs.Invite{}, corrupt(attrOwner, errors.New("missing, or not a string"))
	}
	if inv.Uses, err = num(attrUses); err != nil {
		return jobs.Invite{}, corrupt(attrUses, err)
	}
	if inv.Used, err = num(attrUsed); err != nil {
		return jobs.Invite{}, corrupt(attrUsed, err)
	}
	if inv.CreatedAt, err = tm(attrCreatedAt); err != nil {
		return jobs.Invite{}, corrupt(attrCreatedAt, err)
	}
	if inv.ExpiresAt, err = tm(attrValidUntil); err != nil {
		return jobs.Invite{}, corrupt(attrValidUntil, err)
	}
	if _, revoked := it[attrRevokedAt]; revoked {
		if inv.RevokedAt, err = tm(attrRevokedAt); err != nil {
			return jobs.Invite{}, corrupt(attrRevokedAt, err)
		}
	}
	return inv, nil
}
