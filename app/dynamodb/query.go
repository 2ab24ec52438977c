package dynamodb

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	err := s.scanJobs(ctx, func(j *jobs.Job) {
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
// overdue first.
//
// It queries byDue, a sparse index that holds only the jobs owing a call,
// keyed by when the next one is due, and reads each job it finds with a
// consistent GetItem (the index projects keys only), keeping those still due
// at now. DynamoDB keeps the index eventually consistent, usually a fraction
// of a second behind the table. A call that has just become owed, or was
// just put back to an earlier time, may therefore be found a moment late, by
// a later Due, except that the jobs this Store itself has just written with
// a call due are read directly (the inline delivery on Lambda depends on
// it). A call just claimed or settled may still be in the index, and the
// read drops it. The dispatcher tolerates a late call: it calls Due after
// every change that owes a call and on a schedule, and claims each call
// through Modify, a conditional write, so that a job found by several
// dispatchers is called by one.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]*jobs.Job, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	if limit < 1 {
		return nil, nil
	}
	fresh := s.fresh.list(time.Now())
	in := &ddb.QueryInput{
		TableName:                &s.table,
		IndexName:                aws.String(indexByDue),
		KeyConditionExpression:   aws.String("#pk = :due AND #sk <= :now"),
		ExpressionAttributeNames: map[string]string{"#pk": attrGSI2PK, "#sk": attrGSI2SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":due": &types.AttributeValueMemberS{Value: duePK},
			":now": &types.AttributeValueMemberS{Value: dueKey(now)},
		},
		ScanIndexForward: aws.Bool(true),
	}
	var due []*jobs.Job
	for len(due) < limit {
		in.Limit = aws.Int32(int32(min(limit-len(due), dueBatch)))
		page, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: find due webhook calls in table %q: %w", s.table, err)
		}
		ids, err := s.dueIDs(page.Items)
		if err != nil {
			return nil, err
		}
		read, err := s.readJobs(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i, j := range read {
			if w, ok := fresh[ids[i]]; ok {
				s.fresh.forget(ids[i], w) // the index has caught up
				delete(fresh, ids[i])
			}
			if isDue(j, now) {
				due = append(due, j)
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	// The jobs just written that the index did not list.
	ids := slices.Sorted(maps.Keys(fresh))
	read, err := s.readJobs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, j := range read {
		if isDue(j, now) {
			due = append(due, j)
		} else {
			s.fresh.forget(ids[i], fresh[ids[i]])
		}
	}
	// The index orders by the due time it holds; the jobs read may be a
	// moment ahead of it.
	dueAt := func(j *jobs.Job) time.Time { t, _ := j.NextWebhookCall(); return t }
	slices.SortFunc(due, func(a, b *jobs.Job) int {
		return cmp.Or(dueAt(a).Compare(dueAt(b)), strings.Compare(a.ID, b.ID))
	})
	return due[:min(limit, len(due))], nil
}

// isDue reports whether j (nil: gone) has a webhook call due at now.
func isDue(j *jobs.Job, now time.Time) bool {
	if j == nil {
		return false
	}
	at, owed := j.NextWebhookCall()
	return owed && !at.After(now)
}

// dueBatch is the most index entries Due takes from one query page, and
// dueReaders how many of their jobs it reads at once.
const (
	dueBatch   = 100
	dueReaders = 8
)

// dueIDs returns the job ids of byDue's entries.
func (s *Store) dueIDs(entries []map[string]types.AttributeValue) ([]string, error) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		pk, _ := e[attrPK].(*types.AttributeValueMemberS)
		sk, _ := e[attrSK].(*types.AttributeValueMemberS)
		id, ok := "", false
		if pk != nil && sk != nil && sk.Value == jobSK {
			id, ok = strings.CutPrefix(pk.Value, jobPKPrefix)
		}
		if !ok {
			return nil, fmt.Errorf("dynamodb: index %q of table %q lists an item that is not a job's (pk %v, sk %v): the table holds an item this store did not write", indexByDue, s.table, text(pk), text(sk))
		}
		ids[i] = id
	}
	return ids, nil
}

// readJobs reads the jobs ids consistently, dueReaders at a time, and
// returns them in the same order, nil for a job that is gone (expired).
func (s *Store) readJobs(ctx context.Context, ids []string) ([]*jobs.Job, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		read   = make([]*jobs.Job, len(ids))
		slots  = make(chan struct{}, dueReaders)
		wg     sync.WaitGroup
		failed sync.Once
		first  error // the read that failed first; the others are cut short
	)
	for i, id := range ids {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			j, _, err := s.load(ctx, id)
			if err != nil {
				failed.Do(func() { first = err; cancel() })
				return
			}
			read[i] = j
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return read, nil
}

// text is a string attribute's value, or "none".
func text(v *types.AttributeValueMemberS) string {
	if v == nil {
		return "none"
	}
	return strconv.Quote(v.Value)
}

// scanJobs calls fn with every job in the table, reading consistently.
func (s *Store) scanJobs(ctx context.Context, fn func(*jobs.Job)) error {
	in := &ddb.ScanInput{
		TableName:                 &s.table,
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("#sk = :job"),
		ExpressionAttributeNames:  map[string]string{"#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":job": &types.AttributeValueMemberS{Value: jobSK}},
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
