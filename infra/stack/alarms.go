package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AlarmsArgs says what to watch and whom to tell.
type AlarmsArgs struct {
	Names Namer
	// Email, when set, is subscribed to an alarm topic.
	Email string
	// Key encrypts the alarm topic; nil leaves it unencrypted.
	Key *kms.Key

	DeadLetterQueue *sqs.Queue
	Topic           *sns.Topic
	Function        *lambda.Function
}

// Alarms watch the three ways a job event gets lost or mishandled: it landed
// in the dead-letter queue, SNS failed to deliver it, or the endpoint failed.
// With an e-mail address configured they notify an alarm topic.
type Alarms struct {
	pulumi.ResourceState

	DeadLetters         *cloudwatch.MetricAlarm
	FailedNotifications *cloudwatch.MetricAlarm
	EndpointErrors      *cloudwatch.MetricAlarm
	Topic               *sns.Topic
	TopicPolicy         *sns.TopicPolicy
	EmailSubscription   *sns.TopicSubscription
}

// alarmPeriodSeconds is the window each alarm sums over.
const alarmPeriodSeconds = 300

// NewAlarms declares the alarms and, with an e-mail address, their topic.
func NewAlarms(ctx *pulumi.Context, name string, args *AlarmsArgs, opts ...pulumi.ResourceOption) (*Alarms, error) {
	c := &Alarms{}
	if err := ctx.RegisterComponentResource("transcoder:stack:Alarms", name, c, opts...); err != nil {
		return nil, err
	}
	n := args.Names
	var err error

	var actions pulumi.Array
	if args.Email != "" {
		if err = c.declareTopic(ctx, name, args); err != nil {
			return nil, err
		}
		actions = pulumi.Array{c.Topic.Arn}
	}

	alarm := func(suffix, purpose, description, namespace, metric, statistic string, dimensions pulumi.StringMap) (*cloudwatch.MetricAlarm, error) {
		return cloudwatch.NewMetricAlarm(ctx, name+"-"+suffix, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(n.Name(purpose)),
			AlarmDescription:   pulumi.String(description),
			Namespace:          pulumi.String(namespace),
			MetricName:         pulumi.String(metric),
			Dimensions:         dimensions,
			Statistic:          pulumi.String(statistic),
			Period:             pulumi.Int(alarmPeriodSeconds),
			EvaluationPeriods:  pulumi.Int(1),
			Threshold:          pulumi.Float64(0),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       actions,
			OkActions:          actions,
			Tags:               n.Tags(),
		}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	}

	c.DeadLetters, err = alarm("dead-letters", "alarm-dead-letters",
		"Job events SNS could not deliver are waiting in the dead-letter queue",
		"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
		pulumi.StringMap{"QueueName": args.DeadLetterQueue.Name})
	if err != nil {
		return nil, err
	}
	c.FailedNotifications, err = alarm("failed-notifications", "alarm-failed-notifications",
		"SNS failed to deliver job events to the endpoint",
		"AWS/SNS", "NumberOfNotificationsFailed", "Sum",
		pulumi.StringMap{"TopicName": args.Topic.Name})
	if err != nil {
		return nil, err
	}
	c.EndpointErrors, err = alarm("endpoint-errors", "alarm-endpoint-errors",
		"The completion endpoint's function failed",
		"AWS/Lambda", "Errors", "Sum",
		pulumi.StringMap{"FunctionName": args.Function.Name})
	if err != nil {
		return nil, err
	}

	outputs := pulumi.Map{}
	if c.Topic != nil {
		outputs["alarmTopicArn"] = c.Topic.Arn
	}
	return c, ctx.RegisterResourceOutputs(c, outputs)
}

// declareTopic declares the alarm topic, which only this stack's alarms may
// publish to, and subscribes the address (AWS mails it a confirmation link).
func (c *Alarms) declareTopic(ctx *pulumi.Context, name string, args *AlarmsArgs) error {
	n := args.Names
	var err error
	c.Topic, err = sns.NewTopic(ctx, name+"-topic", &sns.TopicArgs{
		Name:             pulumi.String(n.Name("alarms")),
		DisplayName:      pulumi.String("Transcoder alarms - " + n.Stack),
		SignatureVersion: pulumi.Int(2),
		KmsMasterKeyId:   keyArn(args.Key),
		Tags:             n.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return err
	}
	c.TopicPolicy, err = sns.NewTopicPolicy(ctx, name+"-topic-policy", &sns.TopicPolicyArgs{
		Arn: c.Topic.Arn,
		Policy: PolicyFrom(pulumi.StringMap{"topic": c.Topic.Arn}, func(ref map[string]string) PolicyDocument {
			return Policy(
				Allow("AccountOwnerManagesTopic", topicOwnerActions, ref["topic"]).By(AWSPrincipal(n.AccountRoot())),
				Allow("StackAlarmsPublish", []string{"sns:Publish"}, ref["topic"]).
					By(Service("cloudwatch.amazonaws.com")).
					When("ArnLike", "aws:SourceArn", n.ARN("cloudwatch", "alarm:"+n.Prefix()+"-*")).
					When("StringEquals", "aws:SourceAccount", n.Account),
				DenyInsecureTransport([]string{"sns:Publish"}, ref["topic"]),
			)
		}),
	}, pulumi.Parent(c))
	if err != nil {
		return err
	}
	c.EmailSubscription, err = sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
		Topic:    c.Topic.Arn,
		Protocol: pulumi.String("email"),
		Endpoint: pulumi.String(args.Email),
	}, pulumi.Parent(c))
	return err
}
