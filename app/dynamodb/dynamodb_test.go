package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transcoder/app/dynamodb"
	"transcoder/app/internal/dynalite"
	"transcoder/app/jobs"
	"transcoder/app/jobs/jobdoc"
	"transcoder/app/jobs/jobdoc/jobdoctest"
	"transcoder/app/jobs/jobstest"
)

// endpoint is the URL of the dynalite that TestMain starts for the package.
var endpoint string

func TestMain(m *testing.M) {
	url, stop, err := dynalite.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dynamodb tests:", err)
		os.Exit(1)
	}
	defer stop()
	endpoint = url
	m.Run()
}

// client returns a client for the package's dynalite.
func client() *ddb.Client { return dynalite.Client(endpoint) }

var tables atomic.Int64

// freshTable creates a table of its own for t and deletes it when t ends.
func freshTable(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("jobs-%d-%d", time.Now().UnixNano(), tables.Add(1))
	c := client()
	if err := dynamodb.CreateTable(context.Background(), c, name); err != nil {
		t.Fatalf("CreateTable(%s): %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := c.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: &name}); err != nil {
			t.Errorf("DeleteTable(%s): %v", name, err)
		}
	})
	return name
}

func TestStore(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Store {
		return dynamodb.New(client(), freshTable(t))
	}, jobstest.Options{
		Reopen: func(t *testing.T, closed jobs.Store) jobs.Store {
			return dynamodb.New(client(), closed.(*dynamodb.Store).Table())
		},
	})
}

var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535897932, time.UTC)

func warning(id, code string, ms int) *jobs.Update {
	return &jobs.Update{JobID: id, At: t0.Add(time.Duration(ms) * time.Millisecond), Warnings: []jobs.Warning{{Code: code}}}
}

func mustApply(t *testing.T, s *dynamodb.Store, u *jobs.Update) jobs.Change {
	t.Helper()
	c, err := s.Apply(context.Background(), u)
	if err != nil {
		t.Fatalf("Apply(%s): %v", u.JobID, err)
	}
	return c
}

func TestAJobIsOneItem(t *testing.T) {
	created := t0.Add(-time.Hour)
	tests := []struct {
		name    string
		updates []*jobs.Update
		want    map[string]string // attribute: value, as text
	}{
		{
			name:    "an operator's job has its keys, document and version",
			updates: []*jobs.Update{warning("job-1", "W1", 0), warning("job-1", "W2", 1)},
			want: map[string]string{
				"pk": "JOB#job-1", "sk": "JOB", "version": "2",
				"gsi1pk": "OWNER#", "gsi1sk": "2025-03-14T15:09:26.535897932Z#job-1",
			},
		},
		{
			name: "a user's job with a webhook owed is listed under its owner and due",
			updates: []*jobs.Update{{
				JobID: "job-2", Owner: "alice", At: created, State: jobs.Complete, CallbackURL: "https://example.com/hook",
			}},
			want: map[string]string{
				"pk": "JOB#job-2", "sk": "JOB", "version": "1",
				"gsi1pk": "OWNER#alice", "gsi1sk": "2025-03-14T14:09:26.535897932Z#job-2",
				"gsi2pk": "DUE", "gsi2sk": "2025-03-14T14:09:26.535897932Z",
			},
		},
	}
	table := freshTable(t)
	s := dynamodb.New(client(), table)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c jobs.Change
			for _, u := range tc.updates {
				c = mustApply(t, s, u)
			}
			out, err := client().GetItem(context.Background(), &ddb.GetItemInput{
				TableName: &table, ConsistentRead: aws.Bool(true),
				Key: map[string]types.AttributeValue{
					"pk": &types.AttributeValueMemberS{Value: "JOB#" + c.Job.ID},
					"sk": &types.AttributeValueMemberS{Value: "JOB"},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for name, v := range out.Item {
				switch v := v.(type) {
				case *types.AttributeValueMemberS:
					got[name] = v.Value
				case *types.AttributeValueMemberN:
					got[name] = v.Value
				default:
					t.Errorf("attribute %s is a %T, want a string or a number", name, v)
				}
			}
			doc, ok := got["doc"]
			delete(got, "doc")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("item attributes\n got %v\nwant %v (and doc)", got, tc.want)
			}
			if _, isNumber := out.Item["version"].(*types.AttributeValueMemberN); !isNumber {
				t.Errorf("version is a %T, want a number", out.Item["version"])
			}
			stored, err := jobdoc.Decode([]byte(doc))
			if !ok || err != nil {
				t.Fatalf("doc is not a job's stored document (%v): %q", err, doc)
			}
			if !reflect.DeepEqual(stored, c.Job) {
				t.Errorf("doc = %s, want the job Apply returned", doc)
			}
			if want, err := jobdoc.Encode(c.Job); err != nil || doc != string(want) {
				t.Errorf("doc = %s, want the job's stored document %s (%v)", doc, want, err)
			}
		})
	}
}

func TestAJobStoredBeforeJobdocIsReadBackWhole(t *testing.T) {
	table := freshTable(t)
	s := dynamodb.New(client(), table)
	jobKey := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "JOB#" + jobdoctest.BeforeID},
		"sk": &types.AttributeValueMemberS{Value: "JOB"},
	}
	old := map[string]types.AttributeValue{
		"doc":     &types.AttributeValueMemberS{Value: string(jobdoctest.Before(t))},
		"version": &types.AttributeValueMemberN{Value: fmt.Sprint(jobdoctest.BeforeVersion)},
	}
	maps.Copy(old, jobKey)
	if _, err := client().PutItem(context.Background(), &ddb.PutItemInput{TableName: &table, Item: old}); err != nil {
		t.Fatal(err)
	}

	jobdoctest.CheckStore(t, s, func() string {
		out, err := client().GetItem(context.Background(), &ddb.GetItemInput{TableName: &table, Key: jobKey, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		doc, ok := out.Item["doc"].(*types.AttributeValueMemberS)
		if !ok {
			t.Fatalf("the job's doc is %#v, want a string", out.Item["doc"])
		}
		return doc.Value
	})
}

func TestCreateTableMatchesTheDesign(t *testing.T) {
	table := freshTable(t)
	out, err := client().DescribeTable(context.Background(), &ddb.DescribeTableInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Table
	keys := func(ks []types.KeySchemaElement) string {
		var s string
		for _, k := range ks {
			s += fmt.Sprintf("%s:%s ", aws.ToString(k.AttributeName), k.KeyType)
		}
		return s
	}
	if got, want := keys(d.KeySchema), "pk:HASH sk:RANGE "; got != want {
		t.Errorf("key schema %q, want %q", got, want)
	}
	attrs := map[string]types.ScalarAttributeType{}
	for _, a := range d.AttributeDefinitions {
		attrs[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	want := map[string]types.ScalarAttributeType{"pk": "S", "sk": "S", "gsi1pk": "S", "gsi1sk": "S", "gsi2pk": "S", "gsi2sk": "S"}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("attribute definitions %v, want %v", attrs, want)
	}
	indexes := map[string]string{}
	for _, gsi := range d.GlobalSecondaryIndexes {
		var projection types.ProjectionType
		if gsi.Projection != nil {
			projection = gsi.Projection.ProjectionType
		}
		indexes[aws.ToString(gsi.IndexName)] = keys(gsi.KeySchema) + string(projection)
	}
	if want := map[string]string{
		"byOwner": "gsi1pk:HASH gsi1sk:RANGE ALL",
		"byDue":   "gsi2pk:HASH gsi2sk:RANGE KEYS_ONLY",
	}; !reflect.DeepEqual(indexes, want) {
		t.Errorf("global secondary indexes %v, want %v", indexes, want)
	}
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing %+v, want PAY_PER_REQUEST", d.BillingModeSummary)
	}

	t.Run("creating it again leaves it as it is", func(t *testing.T) {
		s := dynamodb.New(client(), table)
		before := mustApply(t, s, warning("job-1", "W1", 0))
		if err := dynamodb.CreateTable(context.Background(), client(), table); err != nil {
			t.Fatalf("CreateTable on the existing table: %v", err)
		}
		got, err := s.Get(context.Background(), "job-1")
		if err != nil || !reflect.DeepEqual(got, before.Job) {
			t.Errorf("Get after the second CreateTable = %v, %v; want the job as before", got, err)
		}
	})
	t.Run("a table keyed otherwise is refused", func(t *testing.T) {
		other := fmt.Sprintf("other-%d", time.Now().UnixNano())
		_, err := client().CreateTable(context.Background(), &ddb.CreateTableInput{
			TableName:            &other,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: "S"}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := dynamodb.CreateTable(context.Background(), client(), other); err == nil {
			t.Error("CreateTable on a table keyed by id succeeded, want an error")
		}
	})
	t.Run("a table made before byDue is refused", func(t *testing.T) {
		old := fmt.Sprintf("old-%d", time.Now().UnixNano())
		s := func(name string) types.AttributeDefinition {
			return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: "S"}
		}
		keys := func(hash, rng string) []types.KeySchemaElement {
			return []types.KeySchemaElement{
				{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange},
			}
		}
		_, err := client().CreateTable(context.Background(), &ddb.CreateTableInput{
			TableName:            &old,
			AttributeDefinitions: []types.AttributeDefinition{s("pk"), s("sk"), s("gsi1pk"), s("gsi1sk")},
			KeySchema:            keys("pk", "sk"),
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
				IndexName: aws.String("byOwner"), KeySchema: keys("gsi1pk", "gsi1sk"),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			}},
			BillingMode: types.BillingModePayPerRequest,
		})
		if err != nil {
			t.Fatal(err)
		}
		err = dynamodb.CreateTable(context.Background(), client(), old)
		if err == nil || !strings.Contains(err.Error(), "byDue") {
			t.Errorf("CreateTable on a table without byDue = %v, want an error naming the index", err)
		}
	})
}

func TestAConflictingWriteIsRetried(t *testing.T) {
	table := freshTable(t)
	a, b := dynamodb.New(client(), table), dynamodb.New(client(), table)
	mustApply(t, a, warning("job-1", "first", 0))

	// The first time a has read the job, b changes it: a's conditional
	// write must fail, and a must read again and apply on top of b's change.
	var once sync.Once
	dynamodb.BeforePut(a, func() {
		once.Do(func() { mustApply(t, b, warning("job-1", "from-b", 1)) })
	})
	c := mustApply(t, a, warning("job-1", "from-a", 2))

	if got := a.Stats().Conflicts; got != 1 {
		t.Errorf("a met %d conflicts, want 1", got)
	}
	var codes []string
	for _, w := range c.Job.Warnings {
		codes = append(codes, w.Code)
	}
	if want := []string{"first", "from-b", "from-a"}; !slices.Equal(codes, want) {
		t.Errorf("warnings %v, want %v: a's retry must build on b's write", codes, want)
	}
	got, err := b.Get(context.Background(), "job-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c.Job) || got.Version != 3 {
		t.Errorf("stored job at version %d, want a's answer at version 3", got.Version)
	}
}

func TestEndlessContentionIsAnError(t *testing.T) {
	table := freshTable(t)
	a, b := dynamodb.New(client(), table), dynamodb.New(client(), table)
	dynamodb.SetRetry(a, 3, time.Millisecond)
	mustApply(t, a, warning("job-1", "first", 0))
	n := 0
	dynamodb.BeforePut(a, func() {
		n++
		mustApply(t, b, warning("job-1", fmt.Sprintf("from-b-%d", n), n))
	})

	_, err := a.Apply(context.Background(), warning("job-1", "from-a", 100))
	if !errors.Is(err, dynamodb.ErrContention) {
		t.Fatalf("Apply under endless contention = %v, want ErrContention", err)
	}
	if got := a.Stats().Conflicts; got != 3 {
		t.Errorf("a met %d conflicts, want one per attempt: 3", got)
	}
	j, err := b.Get(context.Background(), "job-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range j.Warnings {
		if w.Code == "from-a" {
			t.Error("the update that gave up was stored")
		}
	}
}

func TestTwoStoresRacingOnOneTableLoseNothing(t *testing.T) {
	const perStore = 20
	table := freshTable(t)
	stores := []*dynamodb.Store{dynamodb.New(client(), table), dynamodb.New(client(), table)}

	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for si, s := range stores {
		for i := range perStore {
			wg.Go(func() {
				if _, err := s.Apply(context.Background(), warning("job-1", fmt.Sprintf("S%d-%02d", si, i), i)); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("conflicts retried: %d and %d", stores[0].Stats().Conflicts, stores[1].Stats().Conflicts)

	j, err := stores[0].Get(context.Background(), "job-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Warnings) != 2*perStore || j.Version != 2*perStore {
		t.Errorf("%d warnings at version %d, want %d at version %d", len(j.Warnings), j.Version, 2*perStore, 2*perStore)
	}
}

func TestTheEndpointComesFromTheEnvironment(t *testing.T) {
	// What the service does: load the SDK's default configuration, in which
	// AWS_ENDPOINT_URL_DYNAMODB points DynamoDB clients elsewhere.
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":   endpoint,
		"AWS_REGION":                  "eu-west-1",
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	table := freshTable(t)
	s := dynamodb.New(ddb.NewFromConfig(cfg), table)
	c := mustApply(t, s, warning("job-1", "W1", 0))

	got, err := dynamodb.New(client(), table).Get(context.Background(), "job-1")
	if err != nil {
		t.Fatalf("the job written through the environment's endpoint is not in dynalite: %v", err)
	}
	if !reflect.DeepEqual(got, c.Job) {
		t.Error("the job read back differs from the one written")
	}
}

func TestAClaimRacedFromTwoStoresIsWonOnce(t *testing.T) {
	table := freshTable(t)
	stores := []*dynamodb.Store{dynamodb.New(client(), table), dynamodb.New(client(), table)}
	c := mustApply(t, stores[0], &jobs.Update{JobID: "hook", At: t0, State: jobs.Complete, CallbackURL: "https://example.com/hook"})
	id := c.Job.Webhooks[0].ID

	var wg sync.WaitGroup
	for _, s := range stores {
		for range 4 {
			wg.Go(func() {
				_, err := s.Modify(context.Background(), "hook", func(j *jobs.Job) bool {
					return j.ClaimWebhookCall(id, t0, t0.Add(time.Minute))
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	t.Logf("conflicts retried: %d and %d", stores[0].Stats().Conflicts, stores[1].Stats().Conflicts)

	j, err := stores[1].Get(context.Background(), "hook")
	if err != nil {
		t.Fatal(err)
	}
	if j.Version != c.Job.Version+1 {
		t.Errorf("version %d after 8 racing claims from two stores, want %d: exactly one claim", j.Version, c.Job.Version+1)
	}
	if due, err := stores[0].Due(context.Background(), t0.Add(time.Second), 10); err != nil || len(due) != 0 {
		t.Errorf("Due while the claim is held = %v, %v; want none", due, err)
	}
}

func TestAModificationThatKeepsTheVersionIsRefused(t *testing.T) {
	s := dynamodb.New(client(), freshTable(t))
	before := mustApply(t, s, warning("job-1", "W1", 0))
	_, err := s.Modify(context.Background(), "job-1", func(j *jobs.Job) bool {
		j.Name = "renamed without a new version"
		return true
	})
	if err == nil {
		t.Fatal("Modify that changed the job without incrementing Version succeeded, want an error")
	}
	got, err := s.Get(context.Background(), "job-1")
	if err != nil || !reflect.DeepEqual(got, before.Job) {
		t.Errorf("the job after a refused modification = %v, %v; want it as before", got, err)
	}
}

// dueKeys returns the byDue keys of a job's item, gsi2pk and gsi2sk, with
// "-" for an attribute the item does not have.
func dueKeys(t *testing.T, table, id string) (pk, sk string) {
	t.Helper()
	out, err := client().GetItem(context.Background(), &ddb.GetItemInput{
		TableName: &table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "JOB#" + id},
			"sk": &types.AttributeValueMemberS{Value: "JOB"},
		},
	})
	if err != nil || out.Item == nil {
		t.Fatalf("GetItem(%s) = %v, %v", id, out, err)
	}
	text := func(name string) string {
		switch v := out.Item[name].(type) {
		case nil:
			return "-"
		case *types.AttributeValueMemberS:
			return v.Value
		default:
			t.Errorf("%s is a %T, want a string", name, v)
			return "?"
		}
	}
	return text("gsi2pk"), text("gsi2sk")
}

func TestAnItemIsInByDueExactlyWhileACallIsOwed(t *testing.T) {
	const hook = "https://example.com/hook"
	lease, retry := t0.Add(30*time.Second), t0.Add(5*time.Minute)
	table := freshTable(t)
	s := dynamodb.New(client(), table)
	id := ""
	modify := func(fn func(*jobs.Job) bool) func(t *testing.T) {
		return func(t *testing.T) {
			if _, err := s.Modify(context.Background(), "hook", fn); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps := []struct {
		name   string
		do     func(t *testing.T)
		job    string
		pk, sk string // "-": no such attribute
	}{
		{
			name: "a job without a callback owes no call",
			do:   func(t *testing.T) { mustApply(t, s, &jobs.Update{JobID: "quiet", At: t0, State: jobs.Complete}) },
			job:  "quiet", pk: "-", sk: "-",
		},
		{
			name: "a transition of a job with a callback owes a call, due at once",
			do: func(t *testing.T) {
				c := mustApply(t, s, &jobs.Update{JobID: "hook", At: t0, State: jobs.Progressing, CallbackURL: hook})
				id = c.Job.Webhooks[0].ID
			},
			job: "hook", pk: "DUE", sk: "2025-03-14T15:09:26.535897932Z",
		},
		{
			name: "a claimed call is due again when its lease ends",
			do:   modify(func(j *jobs.Job) bool { return j.ClaimWebhookCall(id, t0, lease) }),
			job:  "hook", pk: "DUE", sk: "2025-03-14T15:09:56.535897932Z",
		},
		{
			name: "a failed call is due at its retry",
			do: modify(func(j *jobs.Job) bool {
				j.RecordAttempt(id, t0.Add(time.Second), 503, "status 503", false, retry)
				return true
			}),
			job: "hook", pk: "DUE", sk: "2025-03-14T15:14:26.535897932Z",
		},
		{
			name: "a delivered call is owed no more",
			do: modify(func(j *jobs.Job) bool {
				j.RecordAttempt(id, retry, 204, "", true, time.Time{})
				return true
			}),
			job: "hook", pk: "-", sk: "-",
		},
		{
			name: "the next transition owes a call again",
			do: func(t *testing.T) {
				mustApply(t, s, &jobs.Update{JobID: "hook", At: t0.Add(time.Hour), State: jobs.Complete})
			},
			job: "hook", pk: "DUE", sk: "2025-03-14T16:09:26.535897932Z",
		},
		{
			name: "a call given up on is owed no more",
			do: modify(func(j *jobs.Job) bool {
				j.RecordAttempt("hook-COMPLETE", t0.Add(2*time.Hour), 500, "status 500", false, time.Time{})
				return true
			}),
			job: "hook", pk: "-", sk: "-",
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.do(t)
			if pk, sk := dueKeys(t, table, step.job); pk != step.pk || sk != step.sk {
				t.Errorf("gsi2pk, gsi2sk = %q, %q; want %q, %q", pk, sk, step.pk, step.sk)
			}
		})
	}
}

func TestDueTakesTheMostOverdueFirstUpToTheLimit(t *testing.T) {
	table := freshTable(t)
	s := dynamodb.New(client(), table)
	// Created in an order that is neither their due order nor their ids'.
	for _, c := range []struct {
		id string
		ms int
	}{{"c", 20}, {"a", 30}, {"d", 10}, {"b", 20}, {"later", 60_000}} {
		mustApply(t, s, &jobs.Update{JobID: c.id, At: t0.Add(time.Duration(c.ms) * time.Millisecond), State: jobs.Complete, CallbackURL: "https://example.com/hook"})
	}
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []string
	}{
		{"all that are due, most overdue first, ties by id", t0.Add(time.Second), 10, []string{"d", "b", "c", "a"}},
		{"the limit keeps the most overdue", t0.Add(time.Second), 2, []string{"d", "b"}},
		{"a call due exactly now is due", t0.Add(30 * time.Millisecond), 10, []string{"d", "b", "c", "a"}},
		{"a call due a nanosecond later is not", t0.Add(20*time.Millisecond - 1), 10, []string{"d"}},
		{"none before the first", t0, 10, nil},
		{"a limit of zero takes none", t0.Add(time.Hour), 0, nil},
	}
	// The store that wrote the jobs also looks them up itself; another
	// store finds them through the index alone.
	stores := map[string]*dynamodb.Store{"the writer": s, "another store": dynamodb.New(client(), table)}
	for _, who := range []string{"the writer", "another store"} {
		for _, tc := range tests {
			t.Run(who+": "+tc.name, func(t *testing.T) {
				due, err := stores[who].Due(context.Background(), tc.now, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(due); !slices.Equal(got, tc.want) {
					t.Errorf("Due = %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func ids(js []*jobs.Job) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.ID)
	}
	return out
}

func TestDueSkipsAnIndexEntryTheJobHasMovedOnFrom(t *testing.T) {
	// byDue lags the table on AWS: it may still list a job whose call was
	// just settled. Due reads each job and must leave such a job out, and
	// still fill its limit from the entries behind it.
	table := freshTable(t)
	s := dynamodb.New(client(), table)
	for i, id := range []string{"settled", "owed"} {
		mustApply(t, s, &jobs.Update{JobID: id, At: t0.Add(time.Duration(i) * time.Millisecond), State: jobs.Complete, CallbackURL: "https://example.com/hook"})
	}
	if _, err := s.Modify(context.Background(), "settled", func(j *jobs.Job) bool {
		j.RecordAttempt("settled-COMPLETE", t0, 204, "", true, time.Time{})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	// What a lagging index would still show: the settled job's old entry.
	_, err := client().UpdateItem(context.Background(), &ddb.UpdateItemInput{
		TableName: &table,
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "JOB#settled"},
			"sk": &types.AttributeValueMemberS{Value: "JOB"},
		},
		UpdateExpression: aws.String("SET gsi2pk = :due, gsi2sk = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":due": &types.AttributeValueMemberS{Value: "DUE"},
			":at":  &types.AttributeValueMemberS{Value: "2025-03-14T15:09:26.535897932Z"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another store than the writer, which would find the owed job without
	// the index.
	due, err := dynamodb.New(client(), table).Due(context.Background(), t0.Add(time.Second), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(due); !slices.Equal(got, []string{"owed"}) {
		t.Errorf("Due = %v, want the owed job alone", got)
	}
}

func TestDueFindsTheStoresOwnWriteBeforeTheIndexDoes(t *testing.T) {
	// On Lambda the request that owes a call delivers it right after the
	// write, when byDue may not list the job yet.
	table := freshTable(t)
	writer, other := dynamodb.New(client(), table), dynamodb.New(client(), table)
	c := mustApply(t, writer, &jobs.Update{JobID: "hook", At: t0, State: jobs.Complete, CallbackURL: "https://example.com/hook"})
	// What a lagging index shows: no entry yet.
	_, err := client().UpdateItem(context.Background(), &ddb.UpdateItemInput{
		TableName: &table,
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "JOB#hook"},
			"sk": &types.AttributeValueMemberS{Value: "JOB"},
		},
		UpdateExpression: aws.String("REMOVE gsi2pk, gsi2sk"),
	})
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Second)
	steps := []struct {
		name  string
		store *dynamodb.Store
		want  []string
	}{
		{"the writer finds the call", writer, []string{"hook"}},
		{"another store waits for the index", other, nil},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			due, err := step.store.Due(context.Background(), now, 10)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(due); !slices.Equal(got, step.want) {
				t.Errorf("Due = %v, want %v", got, step.want)
			}
		})
	}
	t.Run("a claimed call is not due, even to the writer", func(t *testing.T) {
		if _, err := other.Modify(context.Background(), "hook", func(j *jobs.Job) bool {
			return j.ClaimWebhookCall(c.Job.Webhooks[0].ID, now, now.Add(time.Minute))
		}); err != nil {
			t.Fatal(err)
		}
		if due, err := writer.Due(context.Background(), now.Add(time.Second), 10); err != nil || len(due) != 0 {
			t.Errorf("Due = %v, %v; want none", ids(due), err)
		}
	})
}
