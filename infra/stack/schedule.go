package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// webhookSchedule is how often EventBridge invokes the function to deliver
// the webhook calls that are due.
const webhookSchedule = "rate(1 minute)"

// scheduleEventMaxAgeSeconds drops a scheduled event EventBridge could not
// hand to the function within a minute (60 is the least EventBridge takes):
// the next one supersedes it, and stale events would only pile up behind an
// outage and then deliver side by side.
const scheduleEventMaxAgeSeconds = 60

// declareSchedule declares the rule that invokes the function every minute
// with a scheduled event, its target, and EventBridge's permission to invoke
// the function, pinned to this rule. Nothing runs on Lambda between
// requests, so without it a failed webhook call would be retried only when
// the next request happened to come.
func (c *Endpoint) declareSchedule(ctx *pulumi.Context, name string, n Namer) error {
	var err error
	c.Schedule, err = cloudwatch.NewEventRule(ctx, name+"-webhook-schedule", &cloudwatch.EventRuleArgs{
		Name:               pulumi.String(n.Name("webhook-schedule")),
		Description:        pulumi.String("Invokes " + n.Name("endpoint") + " every minute to retry the webhook calls that are due"),
		ScheduleExpression: pulumi.String(webhookSchedule),
		Tags:               n.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return err
	}

	c.SchedulePermission, err = lambda.NewPermission(ctx, name+"-webhook-schedule-invoke", &lambda.PermissionArgs{
		Function:    c.Function.Name,
		StatementId: pulumi.String("AllowWebhookSchedule"),
		Action:      pulumi.String("lambda:InvokeFunction"),
		Principal:   pulumi.String("events.amazonaws.com"),
		// Pinned to this rule, for least privilege. The public-invoke
		// statement (see NewEndpoint) still lets any principal invoke the
		// function until pulumi-aws v7 can scope it to the Function URL.
		SourceArn: c.Schedule.Arn,
	}, pulumi.Parent(c))
	if err != nil {
		return err
	}

	// The target waits for the permission, so the first event finds it.
	c.ScheduleTarget, err = cloudwatch.NewEventTarget(ctx, name+"-webhook-schedule-target", &cloudwatch.EventTargetArgs{
		Rule:     c.Schedule.Name,
		TargetId: pulumi.String("endpoint-function"),
		Arn:      c.Function.Arn,
		RetryPolicy: &cloudwatch.EventTargetRetryPolicyArgs{
			MaximumEventAgeInSeconds: pulumi.Int(scheduleEventMaxAgeSeconds),
		},
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{c.SchedulePermission}))
	return err
}
