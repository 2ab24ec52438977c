package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
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
	Endpoint        *Endpoint
	Table           *dynamodb.Table
	Transcoder      *Transcoder
}

// Alarms watch every way a job event gets lost or mishandled, and the
// services the endpoint relies on: each Signal is a CloudWatch alarm and a
// graph of the stack's dashboard, both built from the one list. With an
// e-mail address configured the alarms notify an alarm topic.
type Alarms struct {
	pulumi.ResourceState

	// Signals are what the alarms and the dashboard watch, in order.
	Signals []Signal
	// ByName holds each signal's alarm, by Signal.Name.
	ByName    map[string]*cloudwatch.MetricAlarm
	Dashboard *cloudwatch.Dashboard

	Topic             *sns.Topic
	TopicPolicy       *sns.TopicPolicy
	EmailSubscription *sns.TopicSubscription
}

// alarmPeriodSeconds is the window each alarm sums over.
const alarmPeriodSeconds = 300

// NewAlarms declares the alarms, the dashboard and, with an e-mail address,
// the alarm topic.
func NewAlarms(ctx *pulumi.Context, name string, args *AlarmsArgs, opts ...pulumi.ResourceOption) (*Alarms, error) {
	c := &Alarms{ByName: map[string]*cloudwatch.MetricAlarm{}}
	if err := ctx.RegisterComponentResource("transcoder:stack:Alarms", name, c, opts...); err != nil {
		return nil, err
	}
	n := args.Names

	var actions pulumi.Array
	if args.Email != "" {
		if err := c.declareTopic(ctx, name, args); err != nil {
			return nil, err
		}
		actions = pulumi.Array{c.Topic.Arn}
	}

	c.Signals = stackSignals(args)
	alarmArns := make(pulumi.StringArray, 0, len(c.Signals))
	for _, s := range c.Signals {
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+s.Name, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(n.Name("alarm-" + s.Name)),
			AlarmDescription:   pulumi.String(s.Description()),
			Namespace:          pulumi.String(s.Namespace),
			MetricName:         pulumi.String(s.Metric),
			Dimensions:         s.Dimensions,
			Statistic:          pulumi.String(s.Statistic),
			Period:             pulumi.Int(alarmPeriodSeconds),
			EvaluationPeriods:  pulumi.Int(s.periods()),
			DatapointsToAlarm:  pulumi.Int(s.periods()),
			Threshold:          pulumi.Float64(s.Threshold),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       actions,
			OkActions:          actions,
			Tags:               n.Tags(),
		}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
		if err != nil {
			return nil, err
		}
		c.ByName[s.Name] = alarm
		alarmArns = append(alarmArns, alarm.Arn)
	}

	body := resolvedSignals(c.Signals, alarmArns, func(signals []ResolvedSignal, arns []string) (string, error) {
		return DashboardBody(n.Region, signals, arns)
	})
	var err error
	c.Dashboard, err = cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(n.Prefix()),
		DashboardBody: body,
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}

	outputs := pulumi.Map{"dashboardName": c.Dashboard.DashboardName}
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
