package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"transcoder/infra/stack"
	"transcoder/infra/stacktest"
)

// Test values of the secrets.
const (
	// testToken stands in for the secret API token.
	testToken = "test-token-0123456789abcdef"
	// testSessionSecret stands in for the session secret (32 characters).
	testSessionSecret = "test-session-secret-0123456789ab"
	// testWebhookSecret stands in for the webhook secret (16 characters).
	testWebhookSecret = "test-webhook-sec"
	// testAPIKeys stand in for two API clients' keys.
	testAPIKeys = "alice:test-key-alice-0123456789,bob-2:test-key-bob-0123456789"
)

// secretKeys are the keys `pulumi config set --secret` stores encrypted;
// the tests mark them secret whether or not they are set.
var secretKeys = []string{"transcoder:apiToken", "transcoder:sessionSecret", "transcoder:webhookSecret", "transcoder:apiKeys"}

// requiredSecrets are the secrets every stack needs, with test values: they
// are never in Pulumi.<stack>.yaml, `make stack` generates them.
func requiredSecrets() map[string]string {
	return map[string]string{
		"transcoder:apiToken":      testToken,
		"transcoder:sessionSecret": testSessionSecret,
	}
}

// Type tokens the tests look for.
const (
	tBucket       = "aws:s3/bucketV2:BucketV2"
	tAccessBlock  = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tOwnership    = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tBucketSSE    = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tBucketPolicy = "aws:s3/bucketPolicy:BucketPolicy"
	tVersioning   = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tLifecycle    = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tCors         = "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2"
	tTopic        = "aws:sns/topic:Topic"
	tTopicPolicy  = "aws:sns/topicPolicy:TopicPolicy"
	tSubscription = "aws:sns/topicSubscription:TopicSubscription"
	tQueue        = "aws:sqs/queue:Queue"
	tQueuePolicy  = "aws:sqs/queuePolicy:QueuePolicy"
	tRole         = "aws:iam/role:Role"
	tRolePolicy   = "aws:iam/rolePolicy:RolePolicy"
	tFunction     = "aws:lambda/function:Function"
	tFunctionURL  = "aws:lambda/functionUrl:FunctionUrl"
	tPermission   = "aws:lambda/permission:Permission"
	tLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	tEventRule    = "aws:cloudwatch/eventRule:EventRule"
	tEventTarget  = "aws:cloudwatch/eventTarget:EventTarget"
	tAlarm        = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tTable        = "aws:dynamodb/table:Table"
	tMCQueue      = "aws:mediaconvert/queue:Queue"
	tPipeline     = "aws:elastictranscoder/pipeline:Pipeline"
	tKey          = "aws:kms/key:Key"
	tBudget       = "aws:budgets/budget:Budget"
	tDashboard    = "aws:cloudwatch/dashboard:Dashboard"
)

// baseConfig is the least a stack needs; tests add to it.
func baseConfig() map[string]string {
	cfg := requiredSecrets()
	cfg["aws:region"] = "eu-west-1"
	return cfg
}

// stackRun is one run of the whole program under mocks.
type stackRun struct {
	*stacktest.Result
	Outputs map[string]any
	t       *testing.T
}

// run runs the program as stackName with the base configuration plus
// overrides and fails the test if the program fails.
func run(t *testing.T, stackName string, overrides map[string]string) *stackRun {
	t.Helper()
	r, err := tryRun(stackName, overrides)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	r.t = t
	return r
}

func tryRun(stackName string, overrides map[string]string) (*stackRun, error) {
	cfg := baseConfig()
	maps.Copy(cfg, overrides)
	r := &stackRun{}
	res, err := stacktest.Run(stacktest.Exports(stack.Build, &r.Outputs), stacktest.Options{
		Project: "transcoder",
		Stack:   stackName,
		Config:  cfg,
		Secrets: secretKeys,
	})
	r.Result = res
	return r, err
}

// one returns the only resource of a type, failing the test otherwise.
func (r *stackRun) one(typ string) stacktest.Resource {
	r.t.Helper()
	rs := r.Of(typ)
	if len(rs) != 1 {
		r.t.Fatalf("want exactly one %s, got %d", typ, len(rs))
	}
	return rs[0]
}

// oneIn returns the only resource of a type that a component declares,
// failing the test otherwise.
func (r *stackRun) oneIn(component, typ string) stacktest.Resource {
	r.t.Helper()
	var in []stacktest.Resource
	for _, res := range r.Of(typ) {
		if res.Parent == component {
			in = append(in, res)
		}
	}
	if len(in) != 1 {
		r.t.Fatalf("want exactly one %s in %s, got %d", typ, component, len(in))
	}
	return in[0]
}

// scheduleResources are what the stack declares to invoke the function on a
// schedule: every event rule and target but the MediaConvert job-state ones,
// and every function permission but the two that make the URL public.
func (r *stackRun) scheduleResources() (rules, targets, permissions []stacktest.Resource) {
	for _, res := range r.Resources {
		switch {
		case res.Parent == "transcoder":
		case res.Type == tEventRule:
			rules = append(rules, res)
		case res.Type == tEventTarget:
			targets = append(targets, res)
		case res.Type == tPermission && res.String("principal") != "*":
			permissions = append(permissions, res)
		}
	}
	return rules, targets, permissions
}

// named returns the resource with a logical name, failing the test otherwise.
func (r *stackRun) named(name string) stacktest.Resource {
	r.t.Helper()
	res, ok := r.Named(name)
	if !ok {
		r.t.Fatalf("no resource named %s", name)
	}
	return res
}

// output returns a stack output as a string.
func (r *stackRun) output(name string) string {
	r.t.Helper()
	s, ok := r.Outputs[name].(string)
	if !ok {
		r.t.Fatalf("output %s is %v, want a string", name, r.Outputs[name])
	}
	return s
}

// policy is a decoded policy document; Action, Resource and Principal
// values may be a string or a list in IAM, and are lists here.
type policy struct {
	Statement []statement
}

type statement struct {
	Sid       string
	Effect    string
	Principal map[string][]string // "AWS" or "Service" → values; "*" → {"AWS": ["*"]}
	Action    []string
	Resource  []string
	Condition map[string]map[string][]string
}

func (s statement) String() string {
	return fmt.Sprintf("%s %s %v %v on %v if %v", s.Sid, s.Effect, s.Principal, s.Action, s.Resource, s.Condition)
}

func (s *statement) UnmarshalJSON(b []byte) error {
	var raw struct {
		Sid       string
		Effect    string
		Principal json.RawMessage
		Action    json.RawMessage
		Resource  json.RawMessage
		Condition map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	s.Sid, s.Effect = raw.Sid, raw.Effect
	var err error
	if s.Action, err = stringOrList(raw.Action); err != nil {
		return err
	}
	if s.Resource, err = stringOrList(raw.Resource); err != nil {
		return err
	}
	if len(raw.Principal) > 0 {
		s.Principal = map[string][]string{}
		var star string
		if json.Unmarshal(raw.Principal, &star) == nil {
			s.Principal["AWS"] = []string{star}
		} else {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw.Principal, &m); err != nil {
				return err
			}
			for k, v := range m {
				if s.Principal[k], err = stringOrList(v); err != nil {
					return err
				}
			}
		}
	}
	if raw.Condition != nil {
		s.Condition = map[string]map[string][]string{}
		for op, kv := range raw.Condition {
			s.Condition[op] = map[string][]string{}
			for k, v := range kv {
				if s.Condition[op][k], err = stringOrList(v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func stringOrList(b json.RawMessage) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var one string
	if json.Unmarshal(b, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	return many, err
}

// policyOf decodes the JSON policy at path of a resource.
func (r *stackRun) policyOf(res stacktest.Resource, path string) policy {
	r.t.Helper()
	var p policy
	if err := res.JSON(path, &p); err != nil {
		r.t.Fatalf("%s %s: %v", res.Type, res.Name, err)
	}
	return p
}

// allPolicies decodes every policy document the stack declares, keyed by
// "<resource name>.<input>".
func (r *stackRun) allPolicies() map[string]policy {
	r.t.Helper()
	out := map[string]policy{}
	for _, res := range r.Resources {
		for _, key := range []string{"policy", "assumeRolePolicy"} {
			if res.String(key) != "" {
				out[res.Name+"."+key] = r.policyOf(res, key)
			}
		}
	}
	return out
}

// statementBySid returns the statement with a Sid, failing otherwise.
func (r *stackRun) statementBySid(p policy, sid string) statement {
	r.t.Helper()
	for _, s := range p.Statement {
		if s.Sid == sid {
			return s
		}
	}
	r.t.Fatalf("no statement %s in %v", sid, p.Statement)
	return statement{}
}

// deniesInsecureTransport reports whether the policy refuses requests
// without TLS for every principal on all of resources.
func deniesInsecureTransport(p policy, resources ...string) bool {
	for _, s := range p.Statement {
		if s.Effect != "Deny" || !slices.Equal(s.Principal["AWS"], []string{"*"}) {
			continue
		}
		if !slices.Equal(s.Condition["Bool"]["aws:SecureTransport"], []string{"false"}) {
			continue
		}
		covered := true
		for _, want := range resources {
			covered = covered && slices.Contains(s.Resource, want)
		}
		if covered {
			return true
		}
	}
	return false
}

// grants lists "action on resource" pairs the Allow statements give.
func grants(p policy) []string {
	var out []string
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			for _, res := range s.Resource {
				out = append(out, a+" on "+res)
			}
		}
	}
	slices.Sort(out)
	return out
}

// physicalNames lists the account-wide names a stack gives its resources in
// AWS (inline role policies are named within their role and left out).
func (r *stackRun) physicalNames() []string {
	var out []string
	for _, res := range r.Resources {
		key := "name"
		switch {
		case !res.Custom || res.Type == tRolePolicy:
			continue
		case res.Type == tBucket:
			key = "bucket"
		}
		if v := res.String(key); v != "" {
			out = append(out, res.Type+" "+v)
		}
	}
	return out
}

// checkOnlySenderIs checks that a queue policy is on queue and lets only
// service send to it, on behalf of the one resource sourceArn, and refuses
// every request without TLS.
func (r *stackRun) checkOnlySenderIs(queuePolicy, queue stacktest.Resource, service, sourceArn string) {
	t := r.t
	t.Helper()
	if got := queuePolicy.String("queueUrl"); got != queue.ID {
		t.Errorf("%s is on queue %q, want %q", queuePolicy.Name, got, queue.ID)
	}
	p := r.policyOf(queuePolicy, "policy")
	var allows []statement
	for _, s := range p.Statement {
		if s.Effect == "Allow" {
			allows = append(allows, s)
		}
	}
	if sourceArn == "" || len(allows) != 1 || !slices.Equal(allows[0].Principal["Service"], []string{service}) ||
		!slices.Equal(allows[0].Action, []string{"sqs:SendMessage"}) ||
		!slices.Equal(allows[0].Resource, []string{queue.Output("arn")}) ||
		!slices.Equal(allows[0].Condition["ArnEquals"]["aws:SourceArn"], []string{sourceArn}) || len(allows[0].Condition) != 1 {
		t.Errorf("%s allows %v: want only %s to send, for %s", queuePolicy.Name, allows, service, sourceArn)
	}
	if !deniesInsecureTransport(p, queue.Output("arn")) {
		t.Errorf("%s does not deny plain HTTP", queuePolicy.Name)
	}
}
