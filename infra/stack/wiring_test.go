package stack_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"transcoder/app/settings"
	"transcoder/infra/stacktest"
)

// scenario is one way to configure a stack; every wiring and security test
// runs over all of them.
type scenario struct {
	name   string
	stack  string
	config map[string]string
}

var scenarios = []scenario{
	{"mediaconvert, ephemeral, AWS-managed keys", "pr-7", map[string]string{
		"transcoder:engine": "mediaconvert", "transcoder:ephemeral": "true",
	}},
	{"mediaconvert, protected, customer-managed key, alarm e-mail, webhooks and API keys, every quota and cap, 30 days' retention", "prod", map[string]string{
		"transcoder:engine": "mediaconvert", "transcoder:ephemeral": "false", "transcoder:encryption": "kms", "transcoder:jobRetentionDays": "30",
		"transcoder:alarmEmail": "ops@example.com", "transcoder:allowedOrigins": `["https://app.example.com"]`,
		"transcoder:webhookSecret": testWebhookSecret, "transcoder:apiKeys": testAPIKeys,
		"transcoder:signIn": "invite", "transcoder:maxUploadSize": "2GiB", "transcoder:maxInputDuration": "1h",
		"transcoder:jobsPerDay": "100", "transcoder:jobsRunning": "4", "transcoder:jobsPerUpload": "5",
		"transcoder:maxConcurrentJobs": "20", "transcoder:monthlyBudgetUsd": "200", "transcoder:reservedConcurrency": "50",
	}},
	{"elastictranscoder, ephemeral, AWS-managed keys, anonymous sign-in, quotas off", "pr-8", map[string]string{
		"transcoder:engine": "elastictranscoder", "transcoder:ephemeral": "true",
		"transcoder:signIn": "anonymous", "transcoder:jobsPerDay": "0", "transcoder:maxInputDuration": "0",
	}},
	{"elastictranscoder, protected, customer-managed key, alarm e-mail, reserved concurrency, jobs kept for ever", "legacy", map[string]string{
		"transcoder:engine": "elastictranscoder", "transcoder:ephemeral": "false", "transcoder:encryption": "kms", "transcoder:jobRetentionDays": "0",
		"transcoder:alarmEmail": "ops@example.com", "transcoder:reservedConcurrency": "5", "transcoder:monthlyBudgetUsd": "12.50",
	}},
}

// forEachScenario runs check in parallel against every scenario.
func forEachScenario(t *testing.T, check func(t *testing.T, sc scenario, r *stackRun)) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			check(t, sc, run(t, sc.stack, sc.config))
		})
	}
}

func (sc scenario) engine() string     { return sc.config["transcoder:engine"] }
func (sc scenario) ephemeral() bool    { return sc.config["transcoder:ephemeral"] == "true" }
func (sc scenario) kms() bool          { return sc.config["transcoder:encryption"] == "kms" }
func (sc scenario) mediaconvert() bool { return sc.engine() == "mediaconvert" }
func (sc scenario) alarmEmail() bool   { return sc.config["transcoder:alarmEmail"] != "" }

// jobRetentionDays is the stack's job retention, the app's default when unset.
func (sc scenario) jobRetentionDays() string {
	if v, ok := sc.config["transcoder:jobRetentionDays"]; ok {
		return v
	}
	return "90"
}

func TestMediaConvertJobEventsReachTheTopicThroughEventBridge(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		if !sc.mediaconvert() {
			n := len(r.Of(tMCQueue))
			for _, rule := range r.Of(tEventRule) {
				if rule.Parent == "transcoder" {
					n++
				}
			}
			if n != 0 {
				t.Errorf("the legacy engine declares %d MediaConvert resources", n)
			}
			return
		}
		topic := r.named("notifications-topic")
		queue := r.one(tMCQueue)
		if queue.String("pricingPlan") != "ON_DEMAND" || queue.String("status") != "ACTIVE" {
			t.Errorf("queue: pricing %q status %q, want ON_DEMAND ACTIVE", queue.String("pricingPlan"), queue.String("status"))
		}
		target := r.oneIn("transcoder", tEventTarget)
		if got, want := target.String("arn"), r.output("topicArn"); got != want {
			t.Errorf("event target: %q, want the topic %q", got, want)
		}
		rule := r.oneIn("transcoder", tEventRule)
		if target.String("rule") != rule.String("name") {
			t.Errorf("target is on rule %q, want %q", target.String("rule"), rule.String("name"))
		}
		var pattern struct {
			Source     []string `json:"source"`
			DetailType []string `json:"detail-type"`
			Detail     struct {
				Queue []string `json:"queue"`
			} `json:"detail"`
		}
		if err := rule.JSON("eventPattern", &pattern); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pattern.Source, []string{"aws.mediaconvert"}) ||
			!slices.Equal(pattern.DetailType, []string{"MediaConvert Job State Change"}) ||
			!slices.Equal(pattern.Detail.Queue, []string{r.output("queueArn")}) {
			t.Errorf("event pattern %+v: want MediaConvert job state changes of this stack's queue only", pattern)
		}
		if topic.String("name") == "" {
			t.Error("topic has no name")
		}
	})
}

func TestTheLegacyPipelineNotifiesTheTopicOfEveryJobState(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		if sc.mediaconvert() {
			if n := len(r.Of(tPipeline)); n != 0 {
				t.Errorf("the default engine declares %d pipelines", n)
			}
			return
		}
		pipeline := r.one(tPipeline)
		topicArn := r.output("topicArn")
		for _, state := range []string{"progressing", "completed", "warning", "error"} {
			if got := pipeline.String("notifications." + state); got != topicArn {
				t.Errorf("notifications.%s = %q, want the topic %q", state, got, topicArn)
			}
		}
		if pipeline.String("inputBucket") != r.output("inputBucket") || pipeline.String("outputBucket") != r.output("outputBucket") {
			t.Errorf("pipeline buckets %q → %q, want the stack's input → output", pipeline.String("inputBucket"), pipeline.String("outputBucket"))
		}
		if pipeline.String("role") != r.output("roleArn") {
			t.Errorf("pipeline role %q, want %q", pipeline.String("role"), r.output("roleArn"))
		}
	})
}

func TestTheFunctionEnvironmentIsWiredFromTheResources(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		fn := r.named("endpoint-function")
		want := map[string]string{
			"SNS_TOPIC_ARNS": r.output("topicArn"),
			"STORE":          "dynamodb",
			"DYNAMODB_TABLE": r.output("tableName"),
			"API_TOKEN":      testToken,
			"SESSION_SECRET": testSessionSecret,
			"ENGINE":         sc.engine(),
			"INPUT_BUCKET":   r.output("inputBucket"),
			"OUTPUT_BUCKET":  r.output("outputBucket"),
			"LOG_LEVEL":      "info",
			// Always said, so a deployed stack never rests on the app's
			// default.
			"SIGN_IN": "invite",
			// As many days as the output bucket keeps outputs.
			"JOB_RETENTION_DAYS": sc.jobRetentionDays(),
		}
		if v := sc.config["transcoder:signIn"]; v != "" {
			want["SIGN_IN"] = v
		}
		// A quota is passed only when set: otherwise the app's default holds.
		for name, key := range map[string]string{
			"MAX_UPLOAD_SIZE": "transcoder:maxUploadSize", "MAX_INPUT_DURATION": "transcoder:maxInputDuration",
			"JOBS_PER_DAY": "transcoder:jobsPerDay", "JOBS_RUNNING": "transcoder:jobsRunning", "JOBS_PER_UPLOAD": "transcoder:jobsPerUpload",
		} {
			if v := sc.config[key]; v != "" {
				want[name] = v
			}
		}
		if sc.mediaconvert() {
			want["MEDIACONVERT_QUEUE_ARN"] = r.output("queueArn")
			want["MEDIACONVERT_ROLE_ARN"] = r.output("roleArn")
		} else {
			want["ELASTICTRANSCODER_PIPELINE_ID"] = r.output("pipelineId")
		}
		// The optional secrets are there only when set: the app turns
		// callbacks off without WEBHOOK_SECRET.
		secret := []string{"API_TOKEN", "SESSION_SECRET"}
		for name, key := range map[string]string{"WEBHOOK_SECRET": "transcoder:webhookSecret", "API_KEYS": "transcoder:apiKeys"} {
			if v := sc.config[key]; v != "" {
				want[name] = v
				secret = append(secret, name)
			}
		}
		checkEnvironment(t, fn, want, secret)

		// The scheduler runs the same app, and checks the subscription: it
		// alone is told the endpoint as subscribed, which the endpoint's own
		// function cannot be (its URL is made from it).
		want["SNS_SUBSCRIPTION_ENDPOINT"] = r.named("delivery-subscription").String("endpoint")
		want["SNS_SUBSCRIPTION_TOPIC_ARN"] = r.output("topicArn")
		if !strings.HasSuffix(want["SNS_SUBSCRIPTION_ENDPOINT"], "/transcode-complete") {
			t.Errorf("the subscription's endpoint is %q", want["SNS_SUBSCRIPTION_ENDPOINT"])
		}
		checkEnvironment(t, r.named("endpoint-scheduler"), want, secret)
	})
}

// checkEnvironment checks that a function has exactly the variables of want,
// those named in secret kept secret.
func checkEnvironment(t *testing.T, fn stacktest.Resource, want map[string]string, secret []string) {
	t.Helper()
	vars, _ := fn.Get("environment.variables").(map[string]any)
	if len(vars) != len(want) {
		t.Errorf("%s: environment has %d variables, want %d: %v", fn.Name, len(vars), len(want), vars)
	}
	for name, value := range want {
		if got := fn.String("environment.variables." + name); got != value {
			t.Errorf("%s: %s = %q, want %q", fn.Name, name, got, value)
		}
	}
	for name := range want {
		if got, want := fn.IsSecret("environment.variables."+name), slices.Contains(secret, name); got != want {
			t.Errorf("%s: %s secret: %v, want %v (secrets: %v)", fn.Name, name, got, want, secret)
		}
	}
}

// The functions' environment is the app's configuration: a name the app
// does not read would be silently ignored, so a renamed variable in the app
// must fail here.
func TestEveryVariableTheFunctionsAreGivenIsOneTheAppReads(t *testing.T) {
	documented := map[string]bool{}
	for _, v := range settings.Vars {
		documented[v.Name] = true
	}
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		fns := r.Of(tFunction)
		if len(fns) == 0 {
			t.Fatal("the program declares no function")
		}
		for _, fn := range fns {
			vars, _ := fn.Get("environment.variables").(map[string]any)
			if len(vars) == 0 {
				t.Errorf("%s has no environment", fn.Name)
			}
			for name := range vars {
				if !documented[name] {
					t.Errorf("%s is given %s, which is not one of the app's variables (settings.Vars)", fn.Name, name)
				}
			}
		}
	})
}

func TestBothFunctionsRunTheBootstrapOnArmAsTheEndpointsRole(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		if n := len(r.Of(tFunction)); n != 2 {
			t.Errorf("want the endpoint and its scheduler, got %d functions", n)
		}
		for fnName, logsName := range map[string]string{"endpoint-function": "endpoint-logs", "endpoint-scheduler": "endpoint-scheduler-logs"} {
			fn := r.named(fnName)
			if fn.String("runtime") != "provided.al2023" || fn.String("handler") != "bootstrap" {
				t.Errorf("%s: runtime %q handler %q", fnName, fn.String("runtime"), fn.String("handler"))
			}
			if got := fn.Get("architectures"); !slices.Equal(toStrings(got), []string{"arm64"}) {
				t.Errorf("%s: architectures %v, want [arm64]", fnName, got)
			}
			if got := fn.String("code.archive"); got != "../dist/lambda.zip" {
				t.Errorf("%s: code %q, want ../dist/lambda.zip (relative to infra/)", fnName, got)
			}
			if got, want := fn.String("role"), r.named("endpoint-role").Output("arn"); got != want {
				t.Errorf("%s runs as %q, want the endpoint's role %q", fnName, got, want)
			}
			if !slices.Contains(fn.DependsOn, "endpoint-role-policy") {
				t.Errorf("%s does not wait for its role's policy", fnName)
			}
			logs := r.named(logsName)
			if fn.String("loggingConfig.logGroup") != logs.String("name") || logs.String("name") != "/aws/lambda/"+fn.String("name") {
				t.Errorf("%s logs to %q, log group is %q", fnName, fn.String("loggingConfig.logGroup"), logs.String("name"))
			}
			wantRetention := 30.0
			if sc.ephemeral() {
				wantRetention = 3
			}
			if got := logs.Get("retentionInDays"); got != wantRetention {
				t.Errorf("%s: log retention %v days, want %v", logsName, got, wantRetention)
			}
		}
	})
}

func TestTheFunctionURLIsPublicWithoutADuplicatePermission(t *testing.T) {
	// A URL with authorization type NONE gets its lambda:InvokeFunctionUrl
	// grant from the provider as it is created; the program declares only
	// lambda:InvokeFunction, which AWS also requires since October 2025.
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		fn := r.named("endpoint-function")
		url := r.one(tFunctionURL)
		if url.String("functionName") != fn.String("name") || url.String("authorizationType") != "NONE" || url.String("invokeMode") != "RESPONSE_STREAM" {
			t.Errorf("function URL %v", url.Get(""))
		}
		var public []string
		for _, p := range r.Of(tPermission) {
			if p.String("action") == "lambda:InvokeFunctionUrl" {
				t.Errorf("permission %s duplicates the lambda:InvokeFunctionUrl grant the URL's creation adds", p.Name)
			}
			if p.String("principal") == "*" {
				public = append(public, p.String("action"))
				if p.String("function") != fn.String("name") {
					t.Errorf("public permission %s is on function %q, want the endpoint", p.Name, p.String("function"))
				}
			}
		}
		if want := []string{"lambda:InvokeFunction"}; !slices.Equal(public, want) {
			t.Errorf("public permissions %v, want %v", public, want)
		}
	})
}

func TestAScheduleInvokesTheFunctionEveryMinuteWithOrWithoutWebhooks(t *testing.T) {
	// It retries the webhook calls that are due and heals a subscription
	// left pending confirmation, which matters with webhooks off too.
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		rules, targets, permissions := r.scheduleResources()
		if len(rules) != 1 || len(targets) != 1 || len(permissions) != 1 {
			t.Fatalf("want one schedule rule, target and permission, got %d, %d and %d", len(rules), len(targets), len(permissions))
		}
		rule, target := rules[0], targets[0]
		if got := rule.String("scheduleExpression"); got != "rate(1 minute)" {
			t.Errorf("schedule %q, want rate(1 minute)", got)
		}
		if got, want := rule.String("name"), "transcoder-"+sc.stack+"-webhook-schedule"; got != want {
			t.Errorf("rule name %q, want %q", got, want)
		}
		if target.String("rule") != rule.String("name") {
			t.Errorf("target is on rule %q, want %q", target.String("rule"), rule.String("name"))
		}
		if got, want := target.String("arn"), r.named("endpoint-scheduler").Output("arn"); got != want {
			t.Errorf("target %q, want the scheduler %q", got, want)
		}
		// The app recognises the scheduled event by its source and
		// detail-type, so the target must pass it on unchanged.
		for _, key := range []string{"input", "inputPath", "inputTransformer"} {
			if v := target.Get(key); v != nil {
				t.Errorf("target rewrites the event with %s %v", key, v)
			}
		}
		if got := target.Get("retryPolicy.maximumEventAgeInSeconds"); got != 60.0 {
			t.Errorf("a scheduled event is retried for %v s, want 60: the next one supersedes it", got)
		}
		if !slices.Contains(target.DependsOn, permissions[0].Name) {
			t.Errorf("the target does not wait for the permission (depends on %v)", target.DependsOn)
		}
	})
}

func TestTheSubscriptionDeliversToTheFunctionURLOnceItIsLive(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		sub := r.named("delivery-subscription")
		base := strings.TrimSuffix(r.one(tFunctionURL).Output("functionUrl"), "/")
		if base == "" {
			t.Fatal("the mock gave the function URL no address")
		}
		if got, want := sub.String("endpoint"), base+"/transcode-complete"; got != want {
			t.Errorf("endpoint %q, want %q", got, want)
		}
		if r.output("endpointUrl") != base || r.output("notificationUrl") != sub.String("endpoint") {
			t.Errorf("outputs endpointUrl %q and notificationUrl %q, want %q and its /transcode-complete",
				r.output("endpointUrl"), r.output("notificationUrl"), base)
		}
		if sub.String("protocol") != "https" {
			t.Errorf("protocol %q, want https", sub.String("protocol"))
		}
		// With endpointAutoConfirms the provider waits for the confirmation
		// and fails the deploy when it does not come in time: a first
		// confirmation refused with 403 is never retried by SNS.
		for _, key := range []string{"endpointAutoConfirms", "confirmationTimeoutInMinutes"} {
			if v := sub.Get(key); v != nil && v != false {
				t.Errorf("%s is %v: pulumi up would wait for a confirmation that may never come", key, v)
			}
		}
		if sub.String("topic") != r.output("topicArn") {
			t.Errorf("subscribed to %q", sub.String("topic"))
		}
		for _, dep := range []string{"endpoint-function", "endpoint-url", "endpoint-public-invoke", "delivery-dead-letter-policy"} {
			if !slices.Contains(sub.DependsOn, dep) {
				t.Errorf("the subscription does not wait for %s (depends on %v)", dep, sub.DependsOn)
			}
		}
	})
}

func TestUndeliverableEventsGoToTheDeadLetterQueue(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		sub := r.named("delivery-subscription")
		dlq := r.named("delivery-dead-letter-queue")
		var redrive struct{ DeadLetterTargetArn string }
		if err := sub.JSON("redrivePolicy", &redrive); err != nil {
			t.Fatal(err)
		}
		if want := dlq.Output("arn"); want == "" || redrive.DeadLetterTargetArn != want {
			t.Errorf("redrive to %q, want %q", redrive.DeadLetterTargetArn, want)
		}
		if got := dlq.Get("messageRetentionSeconds"); got != float64(14*24*3600) {
			t.Errorf("dead letters kept %v s, want 14 days", got)
		}
		if r.output("deadLetterQueueUrl") != dlq.ID {
			t.Errorf("output deadLetterQueueUrl %q, want %q", r.output("deadLetterQueueUrl"), dlq.ID)
		}

		var delivery struct {
			HealthyRetryPolicy struct {
				NumRetries, MinDelayTarget, MaxDelayTarget int
				NumNoDelayRetries, NumMinDelayRetries      int
				NumMaxDelayRetries                         int
				BackoffFunction                            string
			}
		}
		if err := sub.JSON("deliveryPolicy", &delivery); err != nil {
			t.Fatal(err)
		}
		p := delivery.HealthyRetryPolicy
		if p.NumRetries < 3 || p.BackoffFunction != "exponential" || p.MinDelayTarget < 1 || p.MaxDelayTarget < p.MinDelayTarget ||
			p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries || p.NumRetries > 100 {
			t.Errorf("retry policy %+v: want retries with exponential back-off, within SNS's limits", p)
		}

		r.checkOnlySenderIs(r.named("delivery-dead-letter-policy"), dlq, "sns.amazonaws.com", r.output("topicArn"))
	})
}

func TestJobStateEventsEventBridgeCannotPublishWaitInTheirOwnDeadLetterQueue(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		_, ok := r.Named("transcoder-job-state-dead-letter-queue")
		if !sc.mediaconvert() {
			if ok {
				t.Error("the legacy engine, which has no rule, declares a job-state dead-letter queue")
			}
			return
		}
		dlq := r.named("transcoder-job-state-dead-letter-queue")
		target := r.oneIn("transcoder", tEventTarget)
		if got, want := target.String("deadLetterConfig.arn"), dlq.Output("arn"); want == "" || got != want {
			t.Errorf("the job-state target's dead letters go to %q, want %q", got, want)
		}
		if got := dlq.Get("messageRetentionSeconds"); got != float64(14*24*3600) {
			t.Errorf("job-state dead letters kept %v s, want 14 days", got)
		}
		if r.output("jobStateDeadLetterQueueUrl") != dlq.ID {
			t.Errorf("output jobStateDeadLetterQueueUrl %q, want %q", r.output("jobStateDeadLetterQueueUrl"), dlq.ID)
		}
		// An hour of retries, then the dead-letter queue and the alarm; within
		// EventBridge's limits (60-86400 s, 0-185 attempts).
		age, _ := target.Get("retryPolicy.maximumEventAgeInSeconds").(float64)
		attempts, _ := target.Get("retryPolicy.maximumRetryAttempts").(float64)
		if age != 3600 || attempts < 1 || attempts > 185 {
			t.Errorf("retry policy %v, want events retried for an hour, within EventBridge's limits", target.Get("retryPolicy"))
		}
		policy := r.named("transcoder-job-state-dead-letter-policy")
		r.checkOnlySenderIs(policy, dlq, "events.amazonaws.com", r.oneIn("transcoder", tEventRule).Output("arn"))
		if !slices.Contains(target.DependsOn, policy.Name) {
			t.Errorf("the target does not wait for its dead-letter queue's policy (depends on %v)", target.DependsOn)
		}
	})
}

func TestTheTableHoldsJobsOnDemandWithTTL(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		table := r.one(tTable)
		if table.String("billingMode") != "PAY_PER_REQUEST" || table.String("hashKey") != "pk" || table.String("rangeKey") != "sk" {
			t.Errorf("table %v", table.Get(""))
		}
		if table.String("ttl.attributeName") != "expiresAt" || table.Get("ttl.enabled") != true {
			t.Errorf("ttl %v", table.Get("ttl"))
		}
		// byOwner lists an owner's jobs; byDue, sparse, holds the jobs that
		// owe a webhook call, and its keys only: the store reads each job.
		wantIndexes := []map[string]any{
			{"name": "byOwner", "hashKey": "gsi1pk", "rangeKey": "gsi1sk", "projectionType": "ALL"},
			{"name": "byDue", "hashKey": "gsi2pk", "rangeKey": "gsi2sk", "projectionType": "KEYS_ONLY"},
		}
		if got := table.Get("globalSecondaryIndexes"); !jsonEqual(got, wantIndexes) {
			t.Errorf("indexes %v, want %v", got, wantIndexes)
		}
		wantAttributes := []map[string]any{
			{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"},
			{"name": "gsi1pk", "type": "S"}, {"name": "gsi1sk", "type": "S"},
			{"name": "gsi2pk", "type": "S"}, {"name": "gsi2sk", "type": "S"},
		}
		if got := table.Get("attributes"); !jsonEqual(got, wantAttributes) {
			t.Errorf("attributes %v, want the keys of the table and of its indexes, %v", got, wantAttributes)
		}
		if got := table.Get("pointInTimeRecovery.enabled"); got != !sc.ephemeral() {
			t.Errorf("point-in-time recovery %v on an ephemeral=%v stack", got, sc.ephemeral())
		}
	})
}

func TestBucketsExpireUploadsAndOutputsAndAbortIncompleteUploads(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		input := r.named("storage-input-lifecycle")
		if input.String("bucket") != r.output("inputBucket") {
			t.Errorf("input lifecycle on %q", input.String("bucket"))
		}
		if got := input.Get("rules.0.expiration.days"); got != 7.0 {
			t.Errorf("uploads expire after %v days, want the default 7", got)
		}
		for _, lc := range r.Of(tLifecycle) {
			found := false
			for _, rule := range lc.Get("rules").([]any) {
				if m, _ := rule.(map[string]any); m["abortIncompleteMultipartUpload"] != nil && m["status"] == "Enabled" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s does not abort incomplete multipart uploads", lc.Name)
			}
		}
		// Outputs go with their jobs: the output bucket expires them after
		// the app's job retention, and keeps them for ever when jobs are.
		output := r.named("storage-output-lifecycle")
		var expiry []any
		for _, rule := range output.Get("rules").([]any) {
			if m, _ := rule.(map[string]any); m["expiration"] != nil {
				if m["status"] != "Enabled" || m["filter"].(map[string]any)["prefix"] != "" {
					t.Errorf("output expiry rule %v does not cover every object", m)
				}
				expiry = append(expiry, m["expiration"].(map[string]any)["days"])
			}
		}
		var want []any
		if days := sc.jobRetentionDays(); days != "0" {
			n, _ := strconv.Atoi(days)
			want = append(want, float64(n))
		}
		if !jsonEqual(expiry, want) {
			t.Errorf("outputs expire after %v days, want %v (JOB_RETENTION_DAYS %s)", expiry, want, sc.jobRetentionDays())
		}

		versioning := r.one(tVersioning)
		if versioning.String("bucket") != r.output("outputBucket") || versioning.String("versioningConfiguration.status") != "Enabled" {
			t.Errorf("versioning %v, want on the output bucket", versioning.Get(""))
		}
	})
}

func TestBrowsersMayUploadFromTheServicesOwnPageAndTheConfiguredOrigins(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		var configured []string
		if v := sc.config["transcoder:allowedOrigins"]; v != "" {
			if err := json.Unmarshal([]byte(v), &configured); err != nil {
				t.Fatal(err)
			}
		}
		r.checkUploadOrigins(configured)
	})
}

func TestTheInputBucketListsEachUploadOriginOnce(t *testing.T) {
	t.Parallel()
	dev, _, err := stacktest.ReadStackConfig(filepath.Join("..", "..", "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// A stack configured before its page was allowed may list the page
	// among its origins: the rule still names it once.
	page := run(t, "pr-9", nil).output("endpointUrl")
	for _, tc := range []struct {
		name   string
		stack  string
		config map[string]string
		extra  []string // the origins allowed besides the page, in order
	}{
		{"the dev stack: its page and the local dev server", "dev", dev, []string{"http://localhost:5173"}},
		{"a stack without allowedOrigins: its page alone", "pr-9", nil, nil},
		{"a stack that also lists its page: the page once", "pr-9",
			map[string]string{"transcoder:allowedOrigins": "https://app.example.com, " + page}, []string{"https://app.example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, tc.stack, tc.config).checkUploadOrigins(tc.extra)
		})
	}
}

// checkUploadOrigins checks that the input bucket, and it alone, has one
// CORS rule letting browsers PUT and POST from the service's own page (the
// Function URL's origin) and then from extra, and that the function does not
// wait for it.
func (r *stackRun) checkUploadOrigins(extra []string) {
	t := r.t
	t.Helper()
	cors := r.Of(tCors)
	if len(cors) != 1 || cors[0].String("bucket") != r.output("inputBucket") {
		t.Fatalf("want one CORS rule, on the input bucket, got %d", len(cors))
	}
	rule := cors[0]
	// Its logical name and parent are those it had when the storage
	// component declared it, so that existing stacks update it in place.
	if rule.Name != "storage-input-cors" || rule.Parent != "storage" {
		t.Errorf("CORS rule %s in %s, want storage-input-cors in storage", rule.Name, rule.Parent)
	}
	page := strings.TrimSuffix(r.one(tFunctionURL).Output("functionUrl"), "/")
	if !strings.HasPrefix(page, "https://") || strings.Count(page, "/") != 2 {
		t.Fatalf("the Function URL gives the origin %q, want https://host", page)
	}
	want := append([]string{page}, extra...)
	if got := toStrings(rule.Get("corsRules.0.allowedOrigins")); !slices.Equal(got, want) {
		t.Errorf("origins %v, want the page's, then the configured ones: %v", got, want)
	}
	if got := toStrings(rule.Get("corsRules.0.allowedMethods")); !slices.Equal(got, []string{"PUT", "POST"}) {
		t.Errorf("methods %v, want [PUT POST]", got)
	}
	if fn := r.named("endpoint-function"); slices.Contains(fn.DependsOn, rule.Name) {
		t.Errorf("the function waits for the CORS rule, which waits for its URL (depends on %v)", fn.DependsOn)
	}
}

func TestTheOutputsNameEveryResourceAnOperatorNeeds(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		want := []string{"inputBucket", "outputBucket", "topicArn", "endpointUrl", "notificationUrl", "tableName",
			"deadLetterQueueUrl", "roleArn", "engine", "dashboardName"}
		if sc.mediaconvert() {
			want = append(want, "queueArn", "jobStateDeadLetterQueueUrl")
		} else {
			want = append(want, "pipelineId")
		}
		if sc.config["transcoder:alarmEmail"] != "" {
			want = append(want, "alarmTopicArn")
		}
		for _, k := range want {
			if s, _ := r.Outputs[k].(string); s == "" {
				t.Errorf("output %s is missing", k)
			}
		}
		if len(r.Outputs) != len(want) {
			t.Errorf("outputs %v, want exactly %v", r.Outputs, want)
		}
	})
}

func TestComponentsGroupTheResourcesByConcern(t *testing.T) {
	// Where the main resources of each concern belong.
	home := map[string][]string{
		tKey: {"encryption"}, tBucket: {"storage"}, tBucketPolicy: {"storage"},
		tTopic: {"notifications", "alarms"}, tTopicPolicy: {"notifications", "alarms"},
		tMCQueue: {"transcoder"}, tPipeline: {"transcoder"},
		tEventRule: {"transcoder", "endpoint"}, tEventTarget: {"transcoder", "endpoint"},
		tTable: {"state"}, tFunction: {"endpoint"}, tFunctionURL: {"endpoint"}, tPermission: {"endpoint"},
		tQueue: {"delivery", "transcoder"}, tQueuePolicy: {"delivery", "transcoder"}, tAlarm: {"alarms"}, tDashboard: {"alarms"},
		tBudget: {"budget"},
	}
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		root := "transcoder-" + sc.stack
		for _, res := range r.Resources {
			switch {
			case !res.Custom && res.Parent != root:
				t.Errorf("component %s is under %s, want the stack", res.Name, res.Parent)
			case res.Custom && (res.Parent == "" || res.Parent == root):
				t.Errorf("%s %s belongs to no component", res.Type, res.Name)
			case res.Custom && home[res.Type] != nil && !slices.Contains(home[res.Type], res.Parent):
				t.Errorf("%s %s is in %s, want %v", res.Type, res.Name, res.Parent, home[res.Type])
			}
		}
	})
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
