package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NotificationsArgs configures the job-events topic.
type NotificationsArgs struct {
	Names Namer
	// Key encrypts the topic; nil leaves it unencrypted, since EventBridge
	// cannot publish to a topic under the AWS-managed SNS key.
	Key *kms.Key
}

// Notifications is the SNS topic the transcoder reports job state changes
// to, and the policy saying who may publish to it.
type Notifications struct {
	pulumi.ResourceState

	Topic  *sns.Topic
	Policy *sns.TopicPolicy

	name  string
	names Namer
}

// Publisher is the one service principal allowed to publish job events,
// with the condition that pins it to this stack's transcoder where the
// service supports one.
type Publisher struct {
	// Service is the principal ("events.amazonaws.com").
	Service string
	// Operator, Key and Value form the condition, e.g. StringEquals
	// aws:SourceAccount <account>; all empty for a publisher that AWS
	// documents no condition for (EventBridge).
	Operator, Key string
	Value         pulumi.StringInput
}

// topicOwnerActions are what the account owner may do with its topic.
var topicOwnerActions = []string{
	"sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission",
	"sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish",
}

// NewNotifications declares the topic. Its policy is declared by
// AllowPublisher once the transcoder, whose identity it names, exists.
func NewNotifications(ctx *pulumi.Context, name string, args *NotificationsArgs, opts ...pulumi.ResourceOption) (*Notifications, error) {
	c := &Notifications{name: name, names: args.Names}
	if err := ctx.RegisterComponentResource("transcoder:stack:Notifications", name, c, opts...); err != nil {
		return nil, err
	}
	var err error
	c.Topic, err = sns.NewTopic(ctx, name+"-topic", &sns.TopicArgs{
		Name:        pulumi.String(args.Names.Name("job-events")),
		DisplayName: pulumi.String("Transcoder job events - " + args.Names.Stack),
		// SignatureVersion 2 signs deliveries with SHA256; the endpoint
		// verifies every signature.
		SignatureVersion: pulumi.Int(2),
		KmsMasterKeyId:   keyArn(args.Key),
		Tags:             args.Names.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"topicArn": c.Topic.Arn})
}

// AllowPublisher declares the topic policy: the account owner keeps control,
// the transcoder's service principal may publish under its condition, and
// nobody may publish without TLS.
func (c *Notifications) AllowPublisher(ctx *pulumi.Context, p Publisher) error {
	refs := pulumi.StringMap{"topic": c.Topic.Arn}
	if p.Value != nil {
		refs["source"] = p.Value
	}
	policy := PolicyFrom(refs, func(ref map[string]string) PolicyDocument {
		return topicPolicy(c.names, ref["topic"], p, ref["source"])
	})
	var err error
	c.Policy, err = sns.NewTopicPolicy(ctx, c.name+"-topic-policy", &sns.TopicPolicyArgs{
		Arn:    c.Topic.Arn,
		Policy: policy,
	}, pulumi.Parent(c))
	return err
}

func topicPolicy(n Namer, topicArn string, p Publisher, source string) PolicyDocument {
	publish := Allow("TranscoderPublishes", []string{"sns:Publish"}, topicArn).By(Service(p.Service))
	if p.Key != "" {
		publish = publish.When(p.Operator, p.Key, source)
	}
	return Policy(
		Allow("AccountOwnerManagesTopic", topicOwnerActions, topicArn).By(AWSPrincipal(n.AccountRoot())),
		publish,
		DenyInsecureTransport([]string{"sns:Publish"}, topicArn),
	)
}
