package stack_test

import (
	"slices"
	"strings"
	"testing"
)

func TestNoBucketIsPublicAndEveryBucketIsEncrypted(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		buckets := r.Of(tBucket)
		if len(buckets) != 2 {
			t.Fatalf("want the input and output buckets, got %d", len(buckets))
		}
		for _, b := range buckets {
			name := b.String("bucket")
			if acl := b.String("acl"); acl != "" {
				t.Errorf("%s: canned ACL %q", name, acl)
			}
			if b.String("policy") != "" {
				t.Errorf("%s: inline bucket policy", name)
			}

			blocks := r.Where(tAccessBlock, "bucket", name)
			if len(blocks) != 1 {
				t.Fatalf("%s: %d public access blocks", name, len(blocks))
			}
			for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				if blocks[0].Get(k) != true {
					t.Errorf("%s: %s is %v", name, k, blocks[0].Get(k))
				}
			}

			owners := r.Where(tOwnership, "bucket", name)
			if len(owners) != 1 || owners[0].String("rule.objectOwnership") != "BucketOwnerEnforced" {
				t.Errorf("%s: object ownership is not enforced", name)
			}

			sse := r.Where(tBucketSSE, "bucket", name)
			if len(sse) != 1 {
				t.Fatalf("%s: %d encryption configurations", name, len(sse))
			}
			byDefault := "rules.0.applyServerSideEncryptionByDefault."
			if sc.kms() {
				if sse[0].String(byDefault+"sseAlgorithm") != "aws:kms" || sse[0].String(byDefault+"kmsMasterKeyId") != r.one(tKey).Output("arn") {
					t.Errorf("%s: encryption %v, want the stack's KMS key", name, sse[0].Get("rules"))
				}
			} else if sse[0].String(byDefault+"sseAlgorithm") != "AES256" {
				t.Errorf("%s: encryption %v, want SSE-S3", name, sse[0].Get("rules"))
			}

			policies := r.Where(tBucketPolicy, "bucket", name)
			if len(policies) != 1 {
				t.Fatalf("%s: %d bucket policies", name, len(policies))
			}
			p := r.policyOf(policies[0], "policy")
			arn := b.Output("arn")
			if !deniesInsecureTransport(p, arn, arn+"/*") {
				t.Errorf("%s: policy does not deny plain HTTP: %v", name, p.Statement)
			}
			for _, s := range p.Statement {
				if s.Effect == "Allow" {
					t.Errorf("%s: bucket policy grants %v", name, s)
				}
			}
		}
	})
}

func TestTopicsQueuesAndPoliciesAcceptOnlyTLS(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		for _, tp := range r.Of(tTopicPolicy) {
			if !deniesInsecureTransport(r.policyOf(tp, "policy"), tp.String("arn")) {
				t.Errorf("%s does not deny plain HTTP", tp.Name)
			}
		}
		queues := r.Of(tQueue)
		if len(queues) == 0 {
			t.Fatal("no queues")
		}
		for _, q := range queues {
			policies := r.Where(tQueuePolicy, "queueUrl", q.ID)
			if len(policies) != 1 || !deniesInsecureTransport(r.policyOf(policies[0], "policy"), q.Output("arn")) {
				t.Errorf("queue %s has %d policies, or its policy does not deny plain HTTP", q.Name, len(policies))
			}
		}
		if sub := r.named("delivery-subscription"); !strings.HasPrefix(sub.String("endpoint"), "https://") {
			t.Errorf("SNS delivers over %q", sub.String("endpoint"))
		}
	})
}

func TestEncryptionFollowsTheConfiguredKeys(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		topic := r.named("notifications-topic")
		queues := r.Of(tQueue)
		table := r.one(tTable)
		fn := r.named("endpoint-function")
		if topic.Get("signatureVersion") != 2.0 {
			t.Errorf("topic signature version %v, want 2", topic.Get("signatureVersion"))
		}
		if !sc.kms() {
			if len(r.Of(tKey)) != 0 {
				t.Error("a KMS key without transcoder:encryption kms")
			}
			for _, q := range queues {
				if q.Get("sqsManagedSseEnabled") != true {
					t.Errorf("%s is not encrypted with SSE-SQS", q.Name)
				}
			}
			return
		}
		key := r.one(tKey)
		keyArn := key.Output("arn")
		if key.Get("enableKeyRotation") != true {
			t.Error("key rotation is off")
		}
		encrypted := map[string]string{
			"topic":     topic.String("kmsMasterKeyId"),
			"table":     table.String("serverSideEncryption.kmsKeyArn"),
			"function":  fn.String("kmsKeyArn"),
			"scheduler": r.named("endpoint-scheduler").String("kmsKeyArn"),
		}
		for _, q := range queues {
			encrypted[q.Name] = q.String("kmsMasterKeyId")
		}
		for what, got := range encrypted {
			if got != keyArn {
				t.Errorf("%s encrypted with %q, want the stack's key %q", what, got, keyArn)
			}
		}
		if alarms := r.Named; sc.config["transcoder:alarmEmail"] != "" {
			if topic, _ := alarms("alarms-topic"); topic.String("kmsMasterKeyId") != keyArn {
				t.Errorf("the alarm topic is not encrypted with the key")
			}
		}

		// EventBridge (to the topic and its dead-letter queue), SNS (to the
		// dead-letter queue) and CloudWatch (to the alarm topic) must be able
		// to use the key. SNS and CloudWatch are held to this account;
		// EventBridge is held by no source condition, which KMS does not
		// support for EventBridge-to-encrypted topics and which would drop
		// every MediaConvert event.
		p := r.policyOf(key, "policy")
		var services []string
		for _, s := range p.Statement {
			if s.Effect != "Allow" || len(s.Principal["Service"]) == 0 {
				continue
			}
			services = append(services, s.Principal["Service"]...)
			if !slices.Equal(s.Resource, []string{"*"}) || !slices.Equal(s.Action, []string{"kms:Decrypt", "kms:GenerateDataKey*"}) {
				t.Errorf("services may do more than encrypt and decrypt with this key: %v", s)
			}
			if slices.Contains(s.Principal["Service"], "events.amazonaws.com") {
				if len(s.Principal["Service"]) != 1 || len(s.Condition) != 0 {
					t.Errorf("EventBridge's key statement has a condition or shares it with another service: %v", s)
				}
				continue
			}
			if !slices.Equal(s.Condition["StringEquals"]["aws:SourceAccount"], []string{"123456789012"}) {
				t.Errorf("services use the key without a source-account condition: %v", s)
			}
		}
		slices.Sort(services)
		want := []string{"cloudwatch.amazonaws.com", "sns.amazonaws.com"}
		if sc.mediaconvert() { // only its job-state rule writes to the topic and a queue
			want = []string{"cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"}
		}
		if !slices.Equal(services, want) {
			t.Errorf("key policy lets %v use the key, want %v", services, want)
		}
	})
}

func TestOnlyTheTranscoderAndTheOwnerMayPublishToTheTopic(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		tp := r.named("notifications-topic-policy")
		topicArn := r.output("topicArn")
		if tp.String("arn") != topicArn {
			t.Fatalf("policy on %q, want %q", tp.String("arn"), topicArn)
		}
		p := r.policyOf(tp, "policy")

		owner := r.statementBySid(p, "AccountOwnerManagesTopic")
		if !slices.Equal(owner.Principal["AWS"], []string{"arn:aws:iam::123456789012:root"}) {
			t.Errorf("owner statement for %v", owner.Principal)
		}

		publisher := r.statementBySid(p, "TranscoderPublishes")
		if !slices.Equal(publisher.Action, []string{"sns:Publish"}) || !slices.Equal(publisher.Resource, []string{topicArn}) {
			t.Errorf("publisher statement %v", publisher)
		}
		if sc.mediaconvert() {
			// "You can't use Condition blocks in Amazon SNS topic policies
			// for EventBridge" (EventBridge User Guide).
			if !slices.Equal(publisher.Principal["Service"], []string{"events.amazonaws.com"}) || len(publisher.Condition) != 0 {
				t.Errorf("publisher %v, want EventBridge without a condition", publisher)
			}
		} else if !slices.Equal(publisher.Principal["Service"], []string{"elastictranscoder.amazonaws.com"}) ||
			!slices.Equal(publisher.Condition["StringEquals"]["aws:SourceAccount"], []string{"123456789012"}) {
			t.Errorf("publisher %v, want Elastic Transcoder scoped to this account", publisher)
		}

		for _, s := range p.Statement {
			if s.Effect != "Allow" {
				continue
			}
			if s.Sid != owner.Sid && s.Sid != publisher.Sid {
				t.Errorf("unexpected grant %v", s)
			}
			if slices.Contains(s.Principal["AWS"], "*") {
				t.Errorf("the topic policy grants to anyone: %v", s)
			}
		}
	})
}

func TestTheFunctionMayUseOnlyItsOwnResources(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		p := r.policyOf(r.named("endpoint-role-policy"), "policy")
		table := r.one(tTable).Output("arn")
		input := r.named("storage-input").Output("arn")
		output := r.named("storage-output").Output("arn")
		logs := r.named("endpoint-logs").Output("arn")
		schedulerLogs := r.named("endpoint-scheduler-logs").Output("arn")
		topic := r.output("topicArn")
		var want []string
		for _, a := range []string{"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "ConditionCheckItem"} {
			want = append(want, "dynamodb:"+a+" on "+table, "dynamodb:"+a+" on "+table+"/index/*")
		}
		want = append(want,
			// The operator's view lists every owner's jobs: a scan of the
			// table only, not of its indexes.
			"dynamodb:Scan on "+table,
			"logs:CreateLogStream on "+logs+":*", "logs:PutLogEvents on "+logs+":*",
			"logs:CreateLogStream on "+schedulerLogs+":*", "logs:PutLogEvents on "+schedulerLogs+":*",
			"s3:GetObject on "+input+"/*", "s3:PutObject on "+input+"/*", "s3:GetObject on "+output+"/*",
			"s3:ListBucket on "+input, "s3:ListBucket on "+output,
			// The scheduled check of its own subscription.
			"sns:ListSubscriptionsByTopic on "+topic, "sns:Subscribe on "+topic,
			"sns:GetSubscriptionAttributes on "+topic, "sns:GetSubscriptionAttributes on "+topic+":*",
		)
		if sub := r.statementBySid(p, "ResubscribeOwnEndpoint"); !slices.Equal(sub.Condition["StringEquals"]["sns:Protocol"], []string{"https"}) {
			t.Errorf("the function may subscribe more than https endpoints: %v", sub)
		}
		if sc.mediaconvert() {
			want = append(want,
				"mediaconvert:CreateJob on "+r.output("queueArn"),
				"iam:PassRole on "+r.output("roleArn"),
				// The app cancels a job whose input is too long; IAM names
				// MediaConvert jobs by ID, not by queue.
				"mediaconvert:CancelJob on arn:aws:mediaconvert:eu-west-1:123456789012:jobs/*",
			)
			pass := r.statementBySid(p, "PassTranscoderRole")
			if !slices.Equal(pass.Condition["StringEquals"]["iam:PassedToService"], []string{"mediaconvert.amazonaws.com"}) {
				t.Errorf("PassRole is not limited to MediaConvert: %v", pass)
			}
		} else {
			pipeline := r.one(tPipeline).Output("arn")
			want = append(want,
				"elastictranscoder:CreateJob on "+pipeline,
				"elastictranscoder:CreateJob on arn:aws:elastictranscoder:eu-west-1:123456789012:preset/*",
				// CancelJob authorizes on the job, which IAM does not tie
				// to its pipeline.
				"elastictranscoder:CancelJob on arn:aws:elastictranscoder:eu-west-1:123456789012:job/*",
			)
		}
		if sc.kms() {
			key := r.one(tKey).Output("arn")
			want = append(want, "kms:Decrypt on "+key, "kms:GenerateDataKey on "+key)
		}
		slices.Sort(want)
		if got := grants(p); !slices.Equal(got, want) {
			t.Errorf("the function may\n  %s\nwant exactly\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	})
}

func TestTheFunctionMayQueryEveryIndexOfItsTable(t *testing.T) {
	// The store lists an owner's jobs from byOwner and finds due webhook
	// calls in byDue, then reads each due job from the table itself.
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		p := r.policyOf(r.named("endpoint-role-policy"), "policy")
		table := r.one(tTable)
		arn := table.Output("arn")
		got := grants(p)
		var names []string
		for _, gsi := range table.Get("globalSecondaryIndexes").([]any) {
			name, _ := gsi.(map[string]any)["name"].(string)
			names = append(names, name)
			if !allowsOn(got, "dynamodb:Query", arn+"/index/"+name) {
				t.Errorf("the function may not query index %s of its table: it may\n  %s", name, strings.Join(got, "\n  "))
			}
		}
		if want := []string{"byOwner", "byDue"}; !slices.Equal(names, want) {
			t.Errorf("the table's indexes are %v, want %v", names, want)
		}
		if !allowsOn(got, "dynamodb:GetItem", arn) {
			t.Errorf("the function may not read the jobs of its table")
		}
	})
}

// allowsOn reports whether grants (from grants) allow action on resource,
// directly or through a resource that ends in "/*" and covers it.
func allowsOn(grants []string, action, resource string) bool {
	for _, g := range grants {
		a, res, _ := strings.Cut(g, " on ")
		if a != action {
			continue
		}
		if prefix, wild := strings.CutSuffix(res, "/*"); res == resource || wild && strings.HasPrefix(resource, prefix+"/") {
			return true
		}
	}
	return false
}

func TestOnlyTheScheduleMayInvokeTheFunctionThroughEventBridge(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		rules, _, permissions := r.scheduleResources()
		if len(rules) != 1 || len(permissions) != 1 {
			t.Fatalf("want one schedule rule and one permission, got %d and %d", len(rules), len(permissions))
		}
		p := permissions[0]
		if got := p.String("principal"); got != "events.amazonaws.com" {
			t.Errorf("principal %q, want events.amazonaws.com", got)
		}
		if got := p.String("action"); got != "lambda:InvokeFunction" {
			t.Errorf("action %q, want lambda:InvokeFunction", got)
		}
		if got, want := p.String("sourceArn"), rules[0].Output("arn"); want == "" || got != want {
			t.Errorf("source ARN %q, want the schedule rule %q", got, want)
		}
		if got, want := p.String("function"), r.named("endpoint-scheduler").String("name"); got != want {
			t.Errorf("permission on function %q, want the scheduler %q", got, want)
		}
	})
}

func TestTheTranscoderRoleReadsOnlyInputsAndWritesOnlyOutputs(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		role := r.named("transcoder-role")
		trust := r.policyOf(role, "assumeRolePolicy")
		service := "mediaconvert.amazonaws.com"
		if !sc.mediaconvert() {
			service = "elastictranscoder.amazonaws.com"
		}
		if len(trust.Statement) != 1 || !slices.Equal(trust.Statement[0].Principal["Service"], []string{service}) ||
			!slices.Equal(trust.Statement[0].Action, []string{"sts:AssumeRole"}) {
			t.Errorf("role trusts %v, want only %s", trust.Statement, service)
		}

		p := r.policyOf(r.named("transcoder-role-policy"), "policy")
		input := r.named("storage-input").Output("arn")
		output := r.named("storage-output").Output("arn")
		want := []string{"s3:GetObject on " + input + "/*", "s3:ListBucket on " + input, "s3:PutObject on " + output + "/*"}
		if !sc.mediaconvert() {
			want = append(want, "sns:Publish on "+r.output("topicArn"))
		}
		if sc.kms() {
			key := r.one(tKey).Output("arn")
			want = append(want, "kms:Decrypt on "+key, "kms:GenerateDataKey on "+key)
		}
		slices.Sort(want)
		if got := grants(p); !slices.Equal(got, want) {
			t.Errorf("the transcoder may\n  %s\nwant exactly\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	})
}

func TestNoStatementAnywhereGrantsEverythingOnEverything(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		policies := r.allPolicies()
		if len(policies) < 8 {
			t.Fatalf("found only %d policies: %v", len(policies), policies)
		}
		for where, p := range policies {
			for _, s := range p.Statement {
				if s.Effect != "Allow" {
					continue
				}
				if slices.Contains(s.Action, "*") {
					t.Errorf("%s: grants action *: %v", where, s)
				}
				wildAction := slices.ContainsFunc(s.Action, func(a string) bool { return strings.HasSuffix(a, ":*") })
				if wildAction && slices.Contains(s.Resource, "*") && !strings.HasPrefix(where, "encryption-key.") {
					// Only the key policy's account-administration statement
					// may say kms:* on "*" (in a key policy, "*" is the key).
					t.Errorf("%s: grants a whole service on everything: %v", where, s)
				}
				if slices.Contains(s.Principal["AWS"], "*") {
					t.Errorf("%s: grants to anyone: %v", where, s)
				}
			}
		}
	})
}

func TestStatefulResourcesAreProtectedOutsideEphemeralStacks(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		stateful := map[string]bool{tBucket: true, tTable: true, tKey: true}
		for _, res := range r.Resources {
			want := stateful[res.Type] && !sc.ephemeral()
			if res.Protect != want {
				t.Errorf("%s %s: protect %v on an ephemeral=%v stack", res.Type, res.Name, res.Protect, sc.ephemeral())
			}
		}
		for _, b := range r.Of(tBucket) {
			if b.Get("forceDestroy") != sc.ephemeral() {
				t.Errorf("%s: forceDestroy %v on an ephemeral=%v stack", b.Name, b.Get("forceDestroy"), sc.ephemeral())
			}
		}
		if got := r.one(tTable).Get("deletionProtectionEnabled"); got != !sc.ephemeral() {
			t.Errorf("table deletion protection %v on an ephemeral=%v stack", got, sc.ephemeral())
		}
	})
}

func TestTwoStacksInOneAccountNeverShareAName(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"mediaconvert", "elastictranscoder"} {
		cfg := map[string]string{"transcoder:engine": engine, "transcoder:alarmEmail": "ops@example.com", "transcoder:encryption": "kms",
			"transcoder:webhookSecret": testWebhookSecret}
		a := run(t, "dev", cfg).physicalNames()
		b := run(t, "pr-1", cfg).physicalNames()
		if len(a) < 10 {
			t.Fatalf("only %d names: %v", len(a), a)
		}
		for _, name := range a {
			if slices.Contains(b, name) {
				t.Errorf("%s: stacks dev and pr-1 both name %s", engine, name)
			}
			if !strings.Contains(name, "transcoder-dev") {
				t.Errorf("%s: name %s is not derived from project and stack", engine, name)
			}
		}
	}
}
