package stack

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/mediaconvert"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MediaConvertJobStateChange is the detail-type of the events MediaConvert
// sends to EventBridge whenever a job changes state.
const MediaConvertJobStateChange = "MediaConvert Job State Change"

// How long EventBridge keeps retrying to publish a job-state event before it
// parks the event in the rule's dead-letter queue (and counts a
// FailedInvocation, which the alarms watch). A failure that outlasts an hour
// of retries is a misconfiguration, not a blip; waiting EventBridge's default
// day would only delay the alarm. EventBridge takes 60 to 86400 seconds and
// 0 to 185 retries; the retries are spread with back-off over the hour.
const (
	jobStateEventMaxAgeSeconds = 3600
	jobStateMaxRetryAttempts   = 185
)

// declareMediaConvert declares the default engine: an on-demand queue, running
// at most args.MaxConcurrentJobs at once, that the endpoint submits jobs to,
// the role jobs run as, and a rule forwarding the queue's job state changes
// to the topic, with a dead-letter queue for what it cannot publish.
func (c *Transcoder) declareMediaConvert(ctx *pulumi.Context, name string, args *TranscoderArgs) (pulumi.Map, error) {
	n := args.Names
	var err error
	c.Queue, err = mediaconvert.NewQueue(ctx, name+"-queue", &mediaconvert.QueueArgs{
		Name:        pulumi.String(n.Name("queue")),
		Description: pulumi.String("Transcoding jobs of " + n.Prefix()),
		PricingPlan: pulumi.String("ON_DEMAND"),
		Status:      pulumi.String("ACTIVE"),
		// A cap on the whole stack's transcoding at once, whoever submits:
		// further jobs wait in the queue, SUBMITTED, until one finishes.
		ConcurrentJobs: pulumi.Int(args.MaxConcurrentJobs),
		Tags:           n.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}

	c.Role, err = newServiceRole(ctx, c, name, "mediaconvert", "mediaconvert.amazonaws.com", n, mediaRefs(args),
		func(ref map[string]string) PolicyDocument { return Policy(mediaStatements(ref)...) })
	if err != nil {
		return nil, err
	}

	pattern := c.Queue.Arn.ApplyT(func(queue string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"source":      []string{"aws.mediaconvert"},
			"detail-type": []string{MediaConvertJobStateChange},
			"detail":      map[string]any{"queue": []string{queue}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
	c.Rule, err = cloudwatch.NewEventRule(ctx, name+"-job-state-rule", &cloudwatch.EventRuleArgs{
		Name:         pulumi.String(n.Name("job-state")),
		Description:  pulumi.String("Forwards job state changes of queue " + n.Name("queue") + " to the job-events topic"),
		EventPattern: pattern,
		Tags:         n.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	// What EventBridge still cannot publish after its retries waits in a
	// dead-letter queue of its own, which only this rule may send to: the
	// EventBridge User Guide's queue policy for a dead-letter queue names
	// the rule with ArnEquals aws:SourceArn ("Using resource-based policies
	// for Amazon EventBridge", Amazon SQS permissions,
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions).
	// Its messages are the events themselves, unlike the SNS dead letters,
	// so the two are kept apart.
	c.DeadLetterQueue, c.DeadLetterPolicy, err = newDeadLetterQueue(ctx, c, name+"-job-state-dead-letter", "job-state-dlq", n, args.Key,
		eventBridge, c.Rule.Arn)
	if err != nil {
		return nil, err
	}
	c.Target, err = cloudwatch.NewEventTarget(ctx, name+"-job-state-target", &cloudwatch.EventTargetArgs{
		Rule:     c.Rule.Name,
		TargetId: pulumi.String("job-events-topic"),
		Arn:      args.Topic.Arn,
		RetryPolicy: &cloudwatch.EventTargetRetryPolicyArgs{
			MaximumEventAgeInSeconds: pulumi.Int(jobStateEventMaxAgeSeconds),
			MaximumRetryAttempts:     pulumi.Int(jobStateMaxRetryAttempts),
		},
		DeadLetterConfig: &cloudwatch.EventTargetDeadLetterConfigArgs{Arn: c.DeadLetterQueue.Arn},
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{c.DeadLetterPolicy}))
	if err != nil {
		return nil, err
	}

	// EventBridge publishes as its service principal, with no condition:
	// "You can't use Condition blocks in Amazon SNS topic policies for
	// EventBridge" (EventBridge User Guide, "Using resource-based policies
	// for Amazon EventBridge", Amazon SNS permissions,
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).
	// The aws:SourceArn naming the rule that this statement used to carry
	// is exactly what that note rules out. The grant is therefore bounded
	// by the topic alone (sns:Publish on it, by EventBridge), and the
	// endpoint still decodes and merges only MediaConvert job-state events.
	c.Publisher = Publisher{Service: eventBridge}
	return pulumi.Map{"queueArn": c.Queue.Arn, "ruleArn": c.Rule.Arn, "deadLetterQueueUrl": c.DeadLetterQueue.Url}, nil
}
