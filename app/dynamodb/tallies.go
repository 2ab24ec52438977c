package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transcoder/app/jobs"
)

// A tally is one item:
//
//	pk        = "TALLY#<key>"      sk = "TALLY"
//	members   = its members (SS), absent while the set is empty
//	expiresAt = when DynamoDB may delete it (N, Unix seconds), when given
//
// Admit is one UpdateItem that adds the member on condition that the set is
// below the limit or holds the member already, so that any number of
// instances admitting at once never pass the limit; a string set counts a
// member once however often it is added. The item has no index keys, so no
// index and no listing of jobs ever sees it.

var _ jobs.Tallies = (*Store)(nil)

// tallyKey is the primary key of the item of the tally under key.
func tallyKey(key string) map[string]types.AttributeValue {
	return itemKey(tallyPKPrefix+key, tallySK)
}

// Admit adds member to the set under key unless it already has limit
// members, in one conditional update, and sets the item's expiry to expires
// when it is not zero.
func (s *Store) Admit(ctx context.Context, key, member string, limit int, expires time.Time) (admitted bool, size int, err error) {
	if err := jobs.ValidateAdmit(key, member, limit); err != nil {
		return false, 0, fmt.Errorf("dynamodb: %w", err)
	}
	if !s.gate.Enter() {
		return false, 0, ErrClosed
	}
	defer s.gate.Leave()
	in := &ddb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      tallyKey(key),
		UpdateExpression:         aws.String("ADD #members :added"),
		ConditionExpression:      aws.String("attribute_not_exists(#members) OR size(#members) < :limit OR contains(#members, :member)"),
		ExpressionAttributeNames: map[string]string{"#members": attrMembers},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":added":  &types.AttributeValueMemberSS{Value: []string{member}},
			":member": &types.AttributeValueMemberS{Value: member},
			":limit":  &types.AttributeValueMemberN{Value: strconv.Itoa(limit)},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	}
	if !expires.IsZero() {
		in.UpdateExpression = aws.String("ADD #members :added SET #expires = :expires")
		in.ExpressionAttributeNames["#expires"] = attrTTL
		in.ExpressionAttributeValues[":expires"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)}
	}
	out, err := s.client.UpdateItem(ctx, in)
	var full *types.ConditionalCheckFailedException
	if errors.As(err, &full) {
		members, err := s.members(ctx, key)
		return false, len(members), err
	}
	if err != nil {
		return false, 0, fmt.Errorf("dynamodb: admit %q to tally %q in table %q: %w", member, key, s.table, err)
	}
	set, ok := out.Attributes[attrMembers].(*types.AttributeValueMemberSS)
	if !ok {
		return false, 0, fmt.Errorf("dynamodb: admitting %q to tally %q in table %q left no string set %q", member, key, s.table, attrMembers)
	}
	return true, len(set.Value), nil
}

// Release removes member from the set under key in one update; a set
// never seen is left unwritten rather than created empty.
func (s *Store) Release(ctx context.Context, key, member string) error {
	if err := jobs.ValidateMember(key, member); err != nil {
		return fmt.Errorf("dynamodb: %w", err)
	}
	if !s.gate.Enter() {
		return ErrClosed
	}
	defer s.gate.Leave()
	_, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       tallyKey(key),
		UpdateExpression:          aws.String("DELETE #members :removed"),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  map[string]string{"#members": attrMembers, "#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":removed": &types.AttributeValueMemberSS{Value: []string{member}}},
	})
	var unseen *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &unseen) {
		return fmt.Errorf("dynamodb: release %q from tally %q in table %q: %w", member, key, s.table, err)
	}
	return nil
}

// Members lists the set under key, read consistently.
func (s *Store) Members(ctx context.Context, key string) ([]string, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	return s.members(ctx, key)
}

func (s *Store) members(ctx context.Context, key string) ([]string, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{
		TableName:                &s.table,
		Key:                      tallyKey(key),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#members"),
		ExpressionAttributeNames: map[string]string{"#members": attrMembers},
	})
	if err != nil {
		return nil, fmt.Errorf("dynamodb: read tally %q from table %q: %w", key, s.table, err)
	}
	switch set := out.Item[attrMembers].(type) {
	case nil:
		return nil, nil
	case *types.AttributeValueMemberSS:
		return set.Value, nil
	default:
		return nil, fmt.Errorf("dynamodb: the item of tally %q in table %q has a %q attribute that is not a string set: the table holds an item this store did not write", key, s.table, attrMembers)
	}
}
