package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"transcoder/app/settings"
)

// webhookSchedule is how often EventBridge invokes the function to deliver
// the webhook calls that are due and to check the topic's subscription.
const webhookSchedule = "rate(1 minute)"

// scheduleEventMaxAgeSeconds drops a scheduled event EventBridge could not
// hand to the function within a minute (60 is the least EventBridge takes):
// the next one supersedes it, and stale events would only pile up behind an
// outage and then deliver side by side.
const scheduleEventMaxAgeSeconds = 60

// declareSchedule declares the scheduler, the rule that invokes it every
// minute with a scheduled event, its target, and EventBridge's permission to
// invoke it, pinned to this rule. Nothing runs on Lambda between requests,
// so without it a failed webhook call would be retried only when the next
// request happened to come, and a subscription left pending confirmation
// would never be noticed: SNS delivers nothing to it. It exists whether or
// not webhooks are on, for the second reason. Its physical name keeps
// "webhook-schedule", which it had when webhooks were its only use, so that
// existing stacks keep the rule.
//
// The scheduler is the same app, with the same role and configuration, plus
// SNS_SUBSCRIPTION_ENDPOINT and SNS_SUBSCRIPTION_TOPIC_ARN, which turn on
// its check of the subscription. The endpoint's own function cannot be given
// them: the endpoint is its Function URL, which is created from the
// function, after it, so the function's environment naming it would be a
// cycle. A second function, declared once the URL exists, carries it.
func (c *Endpoint) declareSchedule(ctx *pulumi.Context, name string, args *EndpointArgs, rolePolicy pulumi.Resource) error {
	n := args.Names
	env := endpointEnvironment(args)
	env[settings.EnvSNSSubscriptionEndpoint] = c.NotificationURL
	env[settings.EnvSNSSubscriptionTopicARN] = args.Topic.Arn
	var err error
	c.Scheduler, err = c.newFunction(ctx, name+"-scheduler", n.Name("scheduler"),
		"Runs "+n.Name("endpoint")+"'s scheduled work: due webhook calls, and its subscription's confirmation",
		c.SchedulerLogGroup, env, 0, args, rolePolicy)
	if err != nil {
		return err
	}

	c.Schedule, err = cloudwatch.NewEventRule(ctx, name+"-webhook-schedule", &cloudwatch.EventRuleArgs{
		Name: pulumi.String(n.Name("webhook-schedule")),
		Description: pulumi.String("Invokes " + n.Name("scheduler") + " every minute to retry the webhook calls that are due " +
			"and to re-subscribe " + n.Name("endpoint") + " to the job-events topic while its subscription is pending confirmation"),
		ScheduleExpression: pulumi.String(webhookSchedule),
		Tags:               n.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return err
	}

	c.SchedulePermission, err = lambda.NewPermission(ctx, name+"-webhook-schedule-invoke", &lambda.PermissionArgs{
		Function:    c.Scheduler.Name,
		StatementId: pulumi.String("AllowWebhookSchedule"),
		Action:      pulumi.String("lambda:InvokeFunction"),
		Principal:   pulumi.String("events.amazonaws.com"),
		// Pinned to this rule; the scheduler has no public permission.
		SourceArn: c.Schedule.Arn,
	}, pulumi.Parent(c))
	if err != nil {
		return err
	}

	// The target waits for the permission, so the first event finds it.
	c.ScheduleTarget, err = cloudwatch.NewEventTarget(ctx, name+"-webhook-schedule-target", &cloudwatch.EventTargetArgs{
		Rule:     c.Schedule.Name,
		TargetId: pulumi.String("scheduler-function"),
		Arn:      c.Scheduler.Arn,
		RetryPolicy: &cloudwatch.EventTargetRetryPolicyArgs{
			MaximumEventAgeInSeconds: pulumi.Int(scheduleEventMaxAgeSeconds),
		},
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{c.SchedulePermission}))
	return err
}
