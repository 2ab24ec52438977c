package stack

import (
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"transcoder/app/settings"
)

// NotificationPath is where the endpoint receives SNS deliveries.
const NotificationPath = "/transcode-complete"

// Log retention of the endpoint's log group, in days.
const (
	ephemeralLogRetentionDays = 3
	logRetentionDays          = 30
)

// EndpointArgs wires the completion endpoint to everything it uses.
type EndpointArgs struct {
	Names     Namer
	Ephemeral bool
	// Archive is the zip holding the linux/arm64 bootstrap.
	Archive  string
	LogLevel string
	// APIToken is the jobs API's bearer token (a secret).
	APIToken pulumi.StringInput
	// SessionSecret signs browser sessions and CSRF tokens (a secret).
	SessionSecret pulumi.StringInput
	// WebhookSecret signs webhook calls (a secret); nil turns callbacks off.
	WebhookSecret pulumi.StringInput
	// APIKeys are the API clients' owner:key pairs (a secret); nil for none.
	APIKeys pulumi.StringInput
	// SignIn is the app's SIGN_IN, always passed.
	SignIn SignIn
	// Quotas are the per-owner limits; those unset keep the app's default.
	Quotas Quotas
	// JobRetentionDays is the app's JOB_RETENTION_DAYS, always passed: 0
	// keeps jobs for ever.
	JobRetentionDays int
	// ReservedConcurrency, when positive, reserves that many concurrent
	// executions for the function, which also caps it there; 0 leaves it
	// unreserved.
	ReservedConcurrency int

	Topic         *sns.Topic
	Table         *dynamodb.Table
	Input, Output *s3.BucketV2
	Transcoder    *Transcoder
	// Key encrypts the function's environment and the data it touches;
	// nil when AWS-managed.
	Key *kms.Key
}

// Endpoint is the completion endpoint: a Lambda function behind a public
// Function URL, its role, and its logs. The URL takes no AWS authentication
// because SNS cannot sign requests; the function verifies every SNS
// signature itself and guards the jobs API with a bearer token. An
// EventBridge schedule runs the same app every minute, to retry the webhook
// calls that are due and to heal a subscription left unconfirmed.
type Endpoint struct {
	pulumi.ResourceState

	Function *lambda.Function
	URL      *lambda.FunctionUrl
	Role     *iam.Role
	LogGroup *cloudwatch.LogGroup
	// Scheduler runs the same app on the schedule, as the same role; it
	// logs to SchedulerLogGroup. See declareSchedule for why it is a
	// function of its own.
	Scheduler         *lambda.Function
	SchedulerLogGroup *cloudwatch.LogGroup
	// Permissions make the URL public, together with the one the URL's
	// creation grants; a subscription must wait for them and for URL.
	Permissions []*lambda.Permission

	// Schedule, its target and its permission invoke Scheduler every
	// minute: to retry the webhook calls that are due, and to check that
	// the topic's subscription to the endpoint is confirmed.
	Schedule           *cloudwatch.EventRule
	ScheduleTarget     *cloudwatch.EventTarget
	SchedulePermission *lambda.Permission

	// BaseURL is the Function URL without its trailing slash.
	BaseURL pulumi.StringOutput
	// NotificationURL is where SNS delivers: BaseURL + NotificationPath.
	NotificationURL pulumi.StringOutput
}

// NewEndpoint declares the function, its URL, and the scheduler and its
// schedule.
func NewEndpoint(ctx *pulumi.Context, name string, args *EndpointArgs, opts ...pulumi.ResourceOption) (*Endpoint, error) {
	c := &Endpoint{}
	if err := ctx.RegisterComponentResource("transcoder:stack:Endpoint", name, c, opts...); err != nil {
		return nil, err
	}
	n := args.Names
	functionName := n.Name("endpoint")
	var err error

	c.LogGroup, err = c.newLogGroup(ctx, name+"-logs", functionName, args)
	if err != nil {
		return nil, err
	}
	c.SchedulerLogGroup, err = c.newLogGroup(ctx, name+"-scheduler-logs", n.Name("scheduler"), args)
	if err != nil {
		return nil, err
	}

	trust, err := Policy(Allow("", []string{"sts:AssumeRole"}).By(Service("lambda.amazonaws.com"))).JSON()
	if err != nil {
		return nil, err
	}
	c.Role, err = iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Name:             pulumi.String(n.Name("endpoint")),
		Description:      pulumi.String("Assumed by the " + n.Prefix() + " completion endpoint"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             n.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-role-policy", &iam.RolePolicyArgs{
		Name:   pulumi.String("endpoint"),
		Role:   c.Role.ID(),
		Policy: PolicyFrom(endpointRefs(c, args), func(ref map[string]string) PolicyDocument { return endpointPolicy(args.Transcoder.Engine, ref) }),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	c.Function, err = c.newFunction(ctx, name+"-function", functionName,
		"Receives transcoding job events from SNS and serves the jobs API", c.LogGroup,
		endpointEnvironment(args), args.ReservedConcurrency, args, rolePolicy)
	if err != nil {
		return nil, err
	}

	c.URL, err = lambda.NewFunctionUrl(ctx, name+"-url", &lambda.FunctionUrlArgs{
		FunctionName:      c.Function.Name,
		AuthorizationType: pulumi.String("NONE"),
		// The app serves through aws-lambda-go's lambdaurl.Start, which
		// answers in the streaming format only: a BUFFERED URL would turn
		// every answer, 5xx included, into a 200 and SNS would never retry.
		InvokeMode: pulumi.String("RESPONSE_STREAM"),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	// Since October 2025 a public Function URL needs both
	// lambda:InvokeFunctionUrl and lambda:InvokeFunction. The first the
	// provider grants itself: creating a URL with authorization type NONE
	// adds the statement FunctionURLAllowPublicAccess (lambda:InvokeFunctionUrl
	// for principal "*", lambda:FunctionUrlAuthType NONE) in the same step
	// (terraform-provider-aws internal/service/lambda/function_url.go,
	// resourceFunctionURLCreate), so declaring it again would only add a
	// second copy of the same grant. The second is declared here.
	// AWS documents this statement with the condition
	// lambda:InvokedViaFunctionUrl=true, which pulumi-aws v6 cannot express
	// (pulumi/pulumi-aws#5930; v7 adds invokedViaFunctionUrl). Until then
	// any principal may also invoke the function directly: it sees the same
	// requests as through the public URL and checks SNS signatures and the
	// API token either way.
	invokePermission, err := lambda.NewPermission(ctx, name+"-public-invoke", &lambda.PermissionArgs{
		Function:    c.Function.Name,
		StatementId: pulumi.String("AllowPublicInvokeViaFunctionUrl"),
		Action:      pulumi.String("lambda:InvokeFunction"),
		Principal:   pulumi.String("*"),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.Permissions = []*lambda.Permission{invokePermission}

	c.BaseURL = c.URL.FunctionUrl.ApplyT(func(u string) string { return strings.TrimSuffix(u, "/") }).(pulumi.StringOutput)
	c.NotificationURL = pulumi.Sprintf("%s%s", c.BaseURL, NotificationPath)

	if err = c.declareSchedule(ctx, name, args, rolePolicy); err != nil {
		return nil, err
	}

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"functionName":    c.Function.Name,
		"schedulerName":   c.Scheduler.Name,
		"url":             c.BaseURL,
		"notificationUrl": c.NotificationURL,
	})
}

// newLogGroup declares the log group of the function named functionName,
// before the function, so that Lambda does not create it without retention.
func (c *Endpoint) newLogGroup(ctx *pulumi.Context, logical, functionName string, args *EndpointArgs) (*cloudwatch.LogGroup, error) {
	retention := logRetentionDays
	if args.Ephemeral {
		retention = ephemeralLogRetentionDays
	}
	return cloudwatch.NewLogGroup(ctx, logical, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + functionName),
		RetentionInDays: pulumi.Int(retention),
		Tags:            args.Names.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
}

// newFunction declares one function of the app: the bootstrap on arm64,
// running as the endpoint's role (once its policy exists), logging to
// logs, with env as its configuration.
func (c *Endpoint) newFunction(ctx *pulumi.Context, logical, physical, description string, logs *cloudwatch.LogGroup,
	env pulumi.StringMap, reserved int, args *EndpointArgs, rolePolicy pulumi.Resource,
) (*lambda.Function, error) {
	return lambda.NewFunction(ctx, logical, &lambda.FunctionArgs{
		Name:          pulumi.String(physical),
		Description:   pulumi.String(description),
		Runtime:       pulumi.String("provided.al2023"),
		Handler:       pulumi.String("bootstrap"),
		Architectures: pulumi.ToStringArray([]string{"arm64"}),
		Code:          pulumi.NewFileArchive(args.Archive),
		Role:          c.Role.Arn,
		MemorySize:    pulumi.Int(256),
		// SNS waits 15 seconds for an answer; the app finishes its work
		// within 10 and answers 5xx otherwise, so SNS retries.
		Timeout:                      pulumi.Int(15),
		Environment:                  &lambda.FunctionEnvironmentArgs{Variables: env},
		ReservedConcurrentExecutions: reservedConcurrency(reserved),
		KmsKeyArn:                    keyArn(args.Key),
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("Text"),
			LogGroup:  logs.Name,
		},
		Tags: args.Names.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true), pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
}

// reservedConcurrency is the function's reservation: none, so the account's
// unreserved pool serves it, unless one is configured.
func reservedConcurrency(n int) pulumi.IntPtrInput {
	if n <= 0 {
		return nil
	}
	return pulumi.IntPtr(n)
}

// endpointEnvironment is the app's configuration, wired from the resources;
// the optional secrets, and the quotas, are left out when unset, as the app
// expects.
func endpointEnvironment(args *EndpointArgs) pulumi.StringMap {
	env := pulumi.StringMap{
		settings.EnvSNSTopicARNs:     args.Topic.Arn,
		settings.EnvStore:            pulumi.String(string(settings.DynamoDB)),
		settings.EnvDynamoDBTable:    args.Table.Name,
		settings.EnvAPIToken:         args.APIToken,
		settings.EnvSessionSecret:    args.SessionSecret,
		settings.EnvEngine:           pulumi.String(string(args.Transcoder.Engine)),
		settings.EnvInputBucket:      args.Input.Bucket,
		settings.EnvOutputBucket:     args.Output.Bucket,
		settings.EnvLogLevel:         pulumi.String(args.LogLevel),
		settings.EnvSignIn:           pulumi.String(string(args.SignIn)),
		settings.EnvJobRetentionDays: pulumi.String(strconv.Itoa(args.JobRetentionDays)),
	}
	for name, v := range args.Quotas.Env() {
		env[name] = pulumi.String(v)
	}
	if args.WebhookSecret != nil {
		env[settings.EnvWebhookSecret] = args.WebhookSecret
	}
	if args.APIKeys != nil {
		env[settings.EnvAPIKeys] = args.APIKeys
	}
	switch t := args.Transcoder; t.Engine {
	case MediaConvert:
		env[settings.EnvMediaConvertQueueARN] = t.Queue.Arn
		env[settings.EnvMediaConvertRoleARN] = t.Role.Arn
	case ElasticTranscoder:
		env[settings.EnvPipelineID] = t.Pipeline.ID().ToStringOutput()
	}
	return env
}

// endpointRefs are the ARNs endpointPolicy names.
func endpointRefs(c *Endpoint, args *EndpointArgs) pulumi.StringMap {
	refs := pulumi.StringMap{
		"logs":   c.LogGroup.Arn,
		"table":  args.Table.Arn,
		"input":  args.Input.Arn,
		"output": args.Output.Arn,
		"topic":  args.Topic.Arn,
		// The scheduler's log group.
		"schedulerLogs": c.SchedulerLogGroup.Arn,
	}
	switch t := args.Transcoder; t.Engine {
	case MediaConvert:
		refs["queue"] = t.Queue.Arn
		refs["role"] = t.Role.Arn
		refs["jobs"] = pulumi.String(args.Names.ARN("mediaconvert", "jobs/*"))
	case ElasticTranscoder:
		refs["pipeline"] = t.Pipeline.Arn
		refs["presets"] = pulumi.String(args.Names.ARN("elastictranscoder", "preset/*"))
		refs["jobs"] = pulumi.String(args.Names.ARN("elastictranscoder", "job/*"))
	}
	if args.Key != nil {
		refs["key"] = args.Key.Arn
	}
	return refs
}

// endpointPolicy is everything the function may do: only its log group, its
// table (scanned, for the operator's view of every owner's jobs, but not its
// indexes), its buckets, and submitting jobs to its own transcoder and
// canceling them (the app cancels a job whose input runs longer than
// MAX_INPUT_DURATION).
func endpointPolicy(engine Engine, ref map[string]string) PolicyDocument {
	s := []Statement{
		Allow("WriteLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, ref["logs"]+":*", ref["schedulerLogs"]+":*"),
		Allow("UseJobTable",
			[]string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"},
			ref["table"], ref["table"]+"/index/*"),
		// The operator's view lists every owner's jobs, which no index
		// holds: a scan of the table, never of an index.
		Allow("ScanJobTable", []string{"dynamodb:Scan"}, ref["table"]),
		// GetObject also covers HEAD; PutObject signs browsers' upload URLs.
		Allow("ReadAndPresignUploads", []string{"s3:GetObject", "s3:PutObject"}, ref["input"]+"/*"),
		Allow("PresignDownloads", []string{"s3:GetObject"}, ref["output"]+"/*"),
		// Without it S3 answers 403 for a missing object, and the app could
		// not tell "not uploaded yet" from "forbidden".
		Allow("TellMissingObjects", []string{"s3:ListBucket"}, ref["input"], ref["output"]),
		// The scheduled check finds the topic's subscription to this
		// endpoint and, while it is pending confirmation, subscribes again
		// so that SNS sends a new SubscriptionConfirmation. The Service
		// Authorization Reference ("Actions, resources, and condition keys
		// for Amazon SNS",
		// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html)
		// authorizes ListSubscriptionsByTopic and Subscribe on the topic
		// (topic*), and GetSubscriptionAttributes on the topic resource type
		// too, whose ARN a subscription's ARN extends with ":<id>": both are
		// listed, this topic's and its subscriptions' only. Subscribe is
		// further held to https, the protocol the endpoint is subscribed with.
		Allow("FindOwnSubscription", []string{"sns:ListSubscriptionsByTopic"}, ref["topic"]),
		Allow("ReadOwnSubscription", []string{"sns:GetSubscriptionAttributes"}, ref["topic"], ref["topic"]+":*"),
		Allow("ResubscribeOwnEndpoint", []string{"sns:Subscribe"}, ref["topic"]).
			When("StringEquals", "sns:Protocol", "https"),
	}
	switch engine {
	case MediaConvert:
		s = append(s,
			Allow("SubmitJobsToOwnQueue", []string{"mediaconvert:CreateJob"}, ref["queue"]),
			Allow("PassTranscoderRole", []string{"iam:PassRole"}, ref["role"]).
				When("StringEquals", "iam:PassedToService", "mediaconvert.amazonaws.com"),
			// IAM names a job by its ID alone, not by its queue: this is the
			// narrowest grant, the jobs of this account and region.
			Allow("CancelJobs", []string{"mediaconvert:CancelJob"}, ref["jobs"]),
		)
	case ElasticTranscoder:
		s = append(s,
			Allow("SubmitJobsToOwnPipeline", []string{"elastictranscoder:CreateJob"}, ref["pipeline"], ref["presets"]),
			// CancelJob authorizes on the job, not on its pipeline: IAM
			// cannot narrow it further than this account and region's jobs.
			Allow("CancelJobs", []string{"elastictranscoder:CancelJob"}, ref["jobs"]),
		)
	}
	if key, ok := ref["key"]; ok {
		s = append(s, Allow("UseKey", []string{"kms:Decrypt", "kms:GenerateDataKey"}, key))
	}
	return Policy(s...)
}
