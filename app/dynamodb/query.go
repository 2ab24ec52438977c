package dynamodb

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transcoder/app/jobs"
)

// defaultLimit is the page size of a List that names none.
const defaultLimit = 20

// List returns a page of jobs, newest first: the owner's, or everyone's with
// q.All. The cursor names the last job of the previous page, so pages hold
// still while new jobs arrive.
//
// One owner's jobs come from a query of the byOwner index, which DynamoDB
// keeps eventually consistent: a job may take a moment to be listed.
// Everyone's jobs (the operator's view) have no index of their own in this
// table design: the listing scans the table, which costs a read of every job
// per page and suits tables of thousands of jobs, not millions.
func (s *Store) List(ctx context.Context, q jobs.Query) (jobs.Page, error) {
	if !s.gate.Enter() {
		return jobs.Page{}, ErrClosed
	}
	defer s.gate.Leave()
	if q.Limit < 1 {
		q.Limit = defaultLimit
	}
	after := ""
	if q.Cursor != "" {
		var ok bool
		if after, ok = parseCursor(q.Cursor); !ok {
			return jobs.Page{}, fmt.Errorf("dynamodb: list jobs: cursor %q: %w", q.Cursor, jobs.ErrBadCursor)
		}
	}
	var (
		found []*jobs.Job
		err   error
	)
	if q.All {
		found, err = s.listAll(ctx, after, q.Limit+1)
	} else {
		found, err = s.listOwner(ctx, q.Owner, after, q.Limit+1)
	}
	if err != nil {
		return jobs.Page{}, err
	}
	page := jobs.Page{Jobs: found}
	if len(found) > q.Limit {
		page.Jobs = found[:q.Limit]
		page.Next = makeCursor(listKey(page.Jobs[q.Limit-1]))
	}
	return page, nil
}

// listOwner returns up to n of owner's jobs that sort before after (any,
// when after is empty), newest first.
func (s *Store) listOwner(ctx context.Context, owner, after string, n int) ([]*jobs.Job, error) {
	in := &ddb.QueryInput{
		TableName:                &s.table,
		IndexName:                aws.String(indexByOwner),
		KeyConditionExpression:   aws.String("#pk = :owner"),
		ExpressionAttributeNames: map[string]string{"#pk": attrGSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": &types.AttributeValueMemberS{Value: ownerPKPrefix + owner},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(n)),
	}
	if after != "" {
		in.KeyConditionExpression = aws.String("#pk = :owner AND #sk < :after")
		in.ExpressionAttributeNames["#sk"] = attrGSI1SK
		in.ExpressionAttributeValues[":after"] = &types.AttributeValueMemberS{Value: after}
	}
	var out []*jobs.Job
	for p := ddb.NewQueryPaginator(s.client, in); p.HasMorePages() && len(out) < n; {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: list the jobs of owner %q in table %q: %w", owner, s.table, err)
		}
		for _, it := range page.Items {
			j, _, err := s.decode("(listed)", it)
			if err != nil {
				return nil, err
			}
			out = append(out, j)
		}
	}
	return out[:min(n, len(out))], nil
}

// listAll returns up to n jobs that sort before after (any, when after is
// empty), newest first, from a scan of the table.
func (s *Store) listAll(ctx context.Context, after string, n int) ([]*jobs.Job, error) {
	var all []*jobs.Job
	err := s.scanJobs(ctx, "", nil, nil, func(j *jobs.Job) {
		if after == "" || listKey(j) < after {
			all = append(all, j)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("dynamodb: list all jobs in table %q: %w", s.table, err)
	}
	slices.SortFunc(all, func(a, b *jobs.Job) int { return strings.Compare(listKey(b), listKey(a)) })
	return all[:min(n, len(all))], nil
}

// Due returns up to limit jobs with a webhook call due at now, the most
// overdue first. The table design has no index on webhookDue, so Due scans
// the table with a filter on it: a read of every job per call, which suits a
// dispatcher polling a table of thousands of jobs, not millions.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]*jobs.Job, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	var due []*jobs.Job
	err := s.scanJobs(ctx, "#due <= :now",
		map[string]string{"#due": attrWebhookDue},
		map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: unixNano(now)}},
		func(j *jobs.Job) { due = append(due, j) })
	if err != nil {
		return nil, fmt.Errorf("dynamodb: find due webhook calls in table %q: %w", s.table, err)
	}
	dueAt := func(j *jobs.Job) time.Time { t, _ := j.NextDelivery(); return t }
	slices.SortFunc(due, func(a, b *jobs.Job) int {
		return cmp.Or(dueAt(a).Compare(dueAt(b)), strings.Compare(a.ID, b.ID))
	})
	return due[:min(max(limit, 0), len(due))], nil
}

// scanJobs calls fn with every job in the table that matches filter (every
// job, when filter is empty), reading consistently.
func (s *Store) scanJobs(ctx context.Context, filter string, names map[string]string, values map[string]types.AttributeValue, fn func(*jobs.Job)) error {
	if names == nil {
		names = map[string]string{}
	}
	if values == nil {
		values = map[string]types.AttributeValue{}
	}
	names["#sk"] = attrSK
	values[":job"] = &types.AttributeValueMemberS{Value: jobSK}
	expr := "#sk = :job"
	if filter != "" {
		expr += " AND " + filter
	}
	in := &ddb.ScanInput{
		TableName:                 &s.table,
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          &expr,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
	for p := ddb.NewScanPaginator(s.client, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			j, _, err := s.decode("(scanned)", it)
			if err != nil {
				return err
			}
			fn(j)
		}
	}
	return nil
}

// makeCursor encodes the list key of a page's last job.
func makeCursor(listKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(listKey))
}

// parseCursor decodes a cursor made by makeCursor, refusing anything else.
func parseCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	k := string(b)
	ts, id, ok := strings.Cut(k, "#")
	if !ok || id == "" || len(ts) != len(sortTime) {
		return "", false
	}
	if _, err := time.Parse(sortTime, ts); err != nil {
		return "", false
	}
	return k, true
}
