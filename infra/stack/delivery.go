package stack

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

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

	c.DeadLetterQueue, c.DeadLetterPolicy, err = newDeadLetterQueue(ctx, c, name+"-dead-letter", "job-events-dlq", n, args.Key,
		"sns.amazonaws.com", args.Topic.Arn)
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
	// the function, its URL (whose creation also grants the public
	// lambda:InvokeFunctionUrl, see NewEndpoint) and the invoke permission,
	// and for the queue policy its redrive relies on.
	//
	// It does not wait for the confirmation. The provider polls for one only
	// when endpointAutoConfirms is true, and then fails the deploy once
	// confirmationTimeoutInMinutes pass without it (terraform-provider-aws
	// internal/service/sns/topic_subscription.go: "waitForConfirmation" is
	// off for http/https unless endpoint_auto_confirms is set; the
	// provider's docs: "number of minutes to wait in retrying mode for
	// fetching subscription arn before marking it as failure"). A first
	// SubscriptionConfirmation that reaches the URL before its permissions
	// take effect is answered 403, which SNS does not retry, so waiting
	// could only fail. Subscribe returns the subscription's ARN while it is
	// pending, and the endpoint's scheduled check re-subscribes a pending
	// subscription (SNS sends a new confirmation): the deploy succeeds and
	// the subscription heals on its own within minutes.
	live := []pulumi.Resource{args.Endpoint.Function, args.Endpoint.URL, c.DeadLetterPolicy}
	for _, p := range args.Endpoint.Permissions {
		live = append(live, p)
	}
	c.Subscription, err = sns.NewTopicSubscription(ctx, name+"-subscription", &sns.TopicSubscriptionArgs{
		Topic:          args.Topic.Arn,
		Protocol:       pulumi.String("https"),
		Endpoint:       args.Endpoint.NotificationURL,
		DeliveryPolicy: pulumi.String(string(deliveryPolicy)),
		RedrivePolicy:  redrive,
	}, pulumi.Parent(c), pulumi.DependsOn(live))
	if err != nil {
		return nil, err
	}

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"deadLetterQueueUrl": c.DeadLetterQueue.Url,
		"subscriptionArn":    c.Subscription.Arn,
	})
}
