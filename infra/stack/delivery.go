package stack

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DeadLetterRetentionSeconds keeps undeliverable events for 14 days, the
// most SQS allows.
const DeadLetterRetentionSeconds = 14 * 24 * 60 * 60

// retryPolicy is how SNS retries the endpoint: twice 5 seconds apart, then
// with exponential back-off up to five minutes between tries, ten retries
// over about 25 minutes in all (inside the app's SNS_MAX_AGE, an hour), at
// most 10 deliveries a second. What still fails goes to the dead-letter queue.
var retryPolicy = map[string]any{
	"healthyRetryPolicy": map[string]any{
		"numRetries":         10,
		"numNoDelayRetries":  0,
		"minDelayTarget":     5,
		"numMinDelayRetries": 2,
		"maxDelayTarget":     300,
		"numMaxDelayRetries": 3,
		"backoffFunction":    "exponential",
	},
	"throttlePolicy": map[string]any{"maxReceivesPerSecond": 10},
}

// DeliveryArgs wires the topic to the endpoint.
type DeliveryArgs struct {
	Names    Namer
	Topic    *sns.Topic
	Endpoint *Endpoint
	// Key encrypts the dead-letter queue; nil means SSE-SQS.
	Key *kms.Key
}

// Delivery carries job events from the topic to the endpoint: an HTTPS
// subscription that the endpoint confirms itself, retried with back-off, and
// a dead-letter queue that keeps what still could not be delivered.
type Delivery struct {
	pulumi.ResourceState

	DeadLetterQueue  *sqs.Queue
	DeadLetterPolicy *sqs.QueuePolicy
	Subscription     *sns.TopicSubscription
}

// NewDelivery declares the dead-letter queue and the subscription.
func NewDelivery(ctx *pulumi.Context, name string, args *DeliveryArgs, opts ...pulumi.ResourceOption) (*Delivery, error) {
	c := &Delivery{}
	if err := ctx.RegisterComponentResource("transcoder:stack:Delivery", name, c, opts...); err != nil {
		return nil, err
	}
	n := args.Names
	var err error

	queueArgs := &sqs.QueueArgs{
		Name:                    pulumi.String(n.Name("job-events-dlq")),
		MessageRetentionSeconds: pulumi.Int(DeadLetterRetentionSeconds),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    n.Tags(),
	}
	if args.Key != nil {
		queueArgs.SqsManagedSseEnabled = nil
		queueArgs.KmsMasterKeyId = args.Key.Arn
	}
	c.DeadLetterQueue, err = sqs.NewQueue(ctx, name+"-dead-letter-queue", queueArgs,
		pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}

	c.DeadLetterPolicy, err = sqs.NewQueuePolicy(ctx, name+"-dead-letter-policy", &sqs.QueuePolicyArgs{
		QueueUrl: c.DeadLetterQueue.Url,
		Policy: PolicyFrom(pulumi.StringMap{"queue": c.DeadLetterQueue.Arn, "topic": args.Topic.Arn},
			func(ref map[string]string) PolicyDocument {
				return Policy(
					Allow("OnlyTheTopicSends", []string{"sqs:SendMessage"}, ref["queue"]).
						By(Service("sns.amazonaws.com")).
						When("ArnEquals", "aws:SourceArn", ref["topic"]),
					DenyInsecureTransport([]string{"sqs:*"}, ref["queue"]),
				)
			}),
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	deliveryPolicy, err := json.Marshal(retryPolicy)
	if err != nil {
		return nil, err
	}
	redrive := c.DeadLetterQueue.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]string{"deadLetterTargetArn": arn})
		return string(b), err
	}).(pulumi.StringOutput)

	// SNS confirms the subscription by calling the endpoint, which must be
	// live and publicly invokable by then; so the subscription waits for
	// the function, its URL and both permissions, and for the queue policy
	// its redrive relies on.
	live := []pulumi.Resource{args.Endpoint.Function, args.Endpoint.URL, c.DeadLetterPolicy}
	for _, p := range args.Endpoint.Permissions {
		live = append(live, p)
	}
	c.Subscription, err = sns.NewTopicSubscription(ctx, name+"-subscription", &sns.TopicSubscriptionArgs{
		Topic:                        args.Topic.Arn,
		Protocol:                     pulumi.String("https"),
		Endpoint:                     args.Endpoint.NotificationURL,
		EndpointAutoConfirms:         pulumi.Bool(true),
		ConfirmationTimeoutInMinutes: pulumi.Int(5),
		DeliveryPolicy:               pulumi.String(string(deliveryPolicy)),
		RedrivePolicy:                redrive,
	}, pulumi.Parent(c), pulumi.DependsOn(live))
	if err != nil {
		return nil, err
	}

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"deadLetterQueueUrl": c.DeadLetterQueue.Url,
		"subscriptionArn":    c.Subscription.Arn,
	})
}
