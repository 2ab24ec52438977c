package dynamodb

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transcoder/app/dynamodb/schema"
	"transcoder/app/jobs"
	"transcoder/app/jobs/jobdoc"
)

// Names of the table's attributes and indexes, and the values that make an
// item a job's (and a due one), an invite's or a tally's.
const (
	attrPK       = schema.PartitionKey
	attrSK       = schema.SortKey
	attrDoc      = "doc"
	attrVersion  = "version"
	attrGSI1PK   = schema.OwnerIndexPartitionKey
	attrGSI1SK   = schema.OwnerIndexSortKey
	attrGSI2PK   = schema.DueIndexPartitionKey
	attrGSI2SK   = schema.DueIndexSortKey
	attrTTL      = schema.TTLAttribute
	indexByOwner = schema.OwnerIndex
	indexByDue   = schema.DueIndex

	jobPKPrefix   = "JOB#"
	jobSK         = "JOB"
	ownerPKPrefix = "OWNER#"
	duePK         = "DUE"

	// An invite's item (see invites.go). Its expiry is not attrTTL: an
	// expired invite stays listed until the operator deletes it.
	invitesPK      = "INVITES"
	inviteSKPrefix = "INVITE#"
	attrOwner      = "owner"
	attrUses       = "uses"
	attrUsed       = "used"
	attrCreatedAt  = "createdAt"
	attrValidUntil = "validUntil"
	attrRevokedAt  = "revokedAt"

	// A tally's item (see tallies.go): its members, a string set, and
	// attrTTL, so that DynamoDB deletes the set once it expires.
	tallyPKPrefix = "TALLY#"
	tallySK       = "TALLY"
	attrMembers   = "members"
)

// sortTime is a fixed-width form of a UTC time, all nine fractional digits
// present, so that the string sort keys of byOwner and byDue order by time.
const sortTime = "2006-01-02T15:04:05.000000000Z"

// itemKey is the primary key of the item at pk and sk: a job's, an
// invite's or a tally's.
func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// key is the primary key of job id's item.
func key(id string) map[string]types.AttributeValue { return itemKey(jobPKPrefix+id, jobSK) }

// listKey is where a job sorts among its owner's: newest last, so that a
// descending query lists newest first, ties broken by id.
func listKey(j *jobs.Job) string {
	return j.CreatedAt.UTC().Format(sortTime) + "#" + j.ID
}

// item is the whole item of j, kept for retention (zero: for ever).
func item(j *jobs.Job, retention time.Duration) (map[string]types.AttributeValue, error) {
	doc, err := jobdoc.Encode(j)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: encode job %q: %w", j.ID, err)
	}
	it := key(j.ID)
	it[attrDoc] = &types.AttributeValueMemberS{Value: string(doc)}
	it[attrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(j.Version, 10)}
	it[attrGSI1PK] = &types.AttributeValueMemberS{Value: ownerPKPrefix + j.Owner}
	it[attrGSI1SK] = &types.AttributeValueMemberS{Value: listKey(j)}
	if due, ok := j.NextWebhookCall(); ok {
		it[attrGSI2PK] = &types.AttributeValueMemberS{Value: duePK}
		it[attrGSI2SK] = &types.AttributeValueMemberS{Value: dueKey(due)}
	}
	if expires := j.ExpiresAt(retention); !expires.IsZero() {
		it[attrTTL] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ttlSeconds(expires), 10)}
	}
	return it, nil
}

// ttlSeconds is t as DynamoDB's expiry reads it: whole Unix seconds,
// rounded up, so that an item never expires before t.
func ttlSeconds(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}

// dueKey is t as byDue's sort key holds it, and as Due compares it.
func dueKey(t time.Time) string { return t.UTC().Format(sortTime) }

// load reads a job and the version its item holds; a job never seen is nil
// at version 0.
func (s *Store) load(ctx context.Context, id string) (*jobs.Job, int64, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{
		TableName:                &s.table,
		Key:                      key(id),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#doc, #version"),
		ExpressionAttributeNames: map[string]string{"#doc": attrDoc, "#version": attrVersion},
	})
	if err != nil {
		return nil, 0, fmt.Errorf("dynamodb: read job %q from table %q: %w", id, s.table, err)
	}
	if out.Item == nil {
		return nil, 0, nil
	}
	return s.decode(id, out.Item)
}

// decode reads the job of an item, and the version the item holds.
func (s *Store) decode(id string, it map[string]types.AttributeValue) (*jobs.Job, int64, error) {
	doc, ok := it[attrDoc].(*types.AttributeValueMemberS)
	if !ok {
		return nil, 0, fmt.Errorf("dynamodb: the item of job %q in table %q has no string %q attribute: the table holds an item this store did not write", id, s.table, attrDoc)
	}
	n, ok := it[attrVersion].(*types.AttributeValueMemberN)
	if !ok {
		return nil, 0, fmt.Errorf("dynamodb: the item of job %q in table %q has no number %q attribute: the table holds an item this store did not write", id, s.table, attrVersion)
	}
	version, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("dynamodb: the item of job %q in table %q has version %q: %w", id, s.table, n.Value, err)
	}
	j, err := jobdoc.Decode([]byte(doc.Value))
	if err != nil {
		return nil, 0, fmt.Errorf("dynamodb: the stored document of job %q in table %q is corrupt (%v): restore it from a backup, or delete the item", id, s.table, err)
	}
	return j, version, nil
}

// put writes j on condition that its item is still at version (0: that it
// does not exist yet). The item is replaced whole, so attributes that no
// longer apply (byDue's keys, once no call is owed) go with the old one,
// and expiresAt is always the one the job's state calls for now.
func (s *Store) put(ctx context.Context, j *jobs.Job, version int64) error {
	it, err := item(j, s.retention)
	if err != nil {
		return err
	}
	in := &ddb.PutItemInput{TableName: &s.table, Item: it}
	if version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": attrPK}
	} else {
		in.ConditionExpression = aws.String("#version = :expected")
		in.ExpressionAttributeNames = map[string]string{"#version": attrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":expected": &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)},
		}
	}
	if _, err := s.client.PutItem(ctx, in); err != nil {
		return fmt.Errorf("dynamodb: write job %q to table %q: %w", j.ID, s.table, err)
	}
	return nil
}
