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

// declareMediaConvert declares the default engine: an on-demand queue, running
// at most args.MaxConcurrentJobs at once, that the endpoint submits jobs to,
// the role jobs run as, and a rule forwarding the queue's job state changes
// to the topic.
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
	c.Target, err = cloudwatch.NewEventTarget(ctx, name+"-job-state-target", &cloudwatch.EventTargetArgs{
		Rule:     c.Rule.Name,
		TargetId: pulumi.String("job-events-topic"),
		Arn:      args.Topic.Arn,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	// EventBridge publishes as its service principal; the condition pins it
	// to this rule, so no other rule (in any account) can use the topic.
	c.Publisher = Publisher{
		Service:  "events.amazonaws.com",
		Operator: "ArnEquals",
		Key:      "aws:SourceArn",
		Value:    c.Rule.Arn,
	}
	return pulumi.Map{"queueArn": c.Queue.Arn, "ruleArn": c.Rule.Arn}, nil
}
