package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// EncryptionArgs configures the customer-managed key.
type EncryptionArgs struct {
	Names     Namer
	Ephemeral bool
	// EventBridgeTargets says whether EventBridge writes to the encrypted
	// topic and queue (the MediaConvert engine's job-state rule); only then
	// does the key policy let it use the key.
	EventBridgeTargets bool
}

// Encryption is the stack's customer-managed KMS key (transcoder:encryption
// kms). It encrypts the buckets, the topics, the dead-letter queue, the table
// and the function's environment. Its policy lets the services that write to
// encrypted topics and queues on this account's behalf (EventBridge, SNS,
// CloudWatch alarms) use it: the AWS-managed SNS key cannot be used by
// EventBridge, which is why the key is customer-managed. See keyPolicy for
// why EventBridge's grant has no source condition.
type Encryption struct {
	pulumi.ResourceState

	Key   *kms.Key
	Alias *kms.Alias
}

// conditionedKeyUsers are the service principals that encrypt or decrypt
// with the key for this account's resources and that AWS documents source
// conditions for: SNS (delivering to the encrypted dead-letter queue) and
// CloudWatch (notifying the encrypted alarm topic).
var conditionedKeyUsers = []string{"sns.amazonaws.com", "cloudwatch.amazonaws.com"}

// eventBridge is EventBridge's service principal. It publishes the job-state
// rule's events to the encrypted topic and parks undeliverable ones in the
// encrypted dead-letter queue.
const eventBridge = "events.amazonaws.com"

// NewEncryption declares the key and its alias.
func NewEncryption(ctx *pulumi.Context, name string, args *EncryptionArgs, opts ...pulumi.ResourceOption) (*Encryption, error) {
	c := &Encryption{}
	if err := ctx.RegisterComponentResource("transcoder:stack:Encryption", name, c, opts...); err != nil {
		return nil, err
	}
	n := args.Names

	policy, err := keyPolicy(n, args.EventBridgeTargets).JSON()
	if err != nil {
		return nil, err
	}
	deletionWindow := 30
	if args.Ephemeral {
		deletionWindow = 7
	}
	c.Key, err = kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          pulumi.String("Encrypts the " + n.Prefix() + " transcoding pipeline's data"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(deletionWindow),
		Policy:               pulumi.String(policy),
		Tags:                 n.Tags(),
	}, pulumi.Parent(c), pulumi.Protect(!args.Ephemeral))
	if err != nil {
		return nil, err
	}
	c.Alias, err = kms.NewAlias(ctx, name+"-alias", &kms.AliasArgs{
		Name:        pulumi.String("alias/" + n.Prefix()),
		TargetKeyId: c.Key.KeyId,
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"keyArn": c.Key.Arn,
		"alias":  c.Alias.Name,
	})
}

// keyPolicy keeps the account in control of the key (which lets IAM policies
// grant its use to the stack's roles) and lets the publishing services use
// it. Resource "*" in a key policy means this key and no other.
//
// EventBridge's statement carries no condition: "Adding the
// aws:SourceAccount, aws:SourceArn, and aws:SourceOrgID to a AWS KMS policy
// is not supported for EventBridge-to-encrypted topics" (Amazon SNS
// Developer Guide, "Enable compatibility between event sources from AWS
// services and encrypted topics",
// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
// With one, KMS refuses EventBridge and every MediaConvert event is dropped.
// No encryption-context condition either: AWS documents none for
// EventBridge's calls to an SNS topic's key. What bounds it is the key
// itself: only this stack's topics and queues are encrypted with it, and
// the statement is there only when a rule of the stack targets them.
func keyPolicy(n Namer, eventBridgeTargets bool) PolicyDocument {
	s := []Statement{Allow("AccountAdministersKey", []string{"kms:*"}, "*").By(AWSPrincipal(n.AccountRoot()))}
	if eventBridgeTargets {
		s = append(s, Allow("EventBridgeEncryptsForTheStacksTargets", []string{"kms:Decrypt", "kms:GenerateDataKey*"}, "*").
			By(Service(eventBridge)))
	}
	return Policy(append(s,
		Allow("ServicesEncryptForThisAccount", []string{"kms:Decrypt", "kms:GenerateDataKey*"}, "*").
			By(Service(conditionedKeyUsers...)).
			When("StringEquals", "aws:SourceAccount", n.Account),
	)...)
}

// keyArn is the key's ARN, or nil when AWS-managed keys are used.
func keyArn(key *kms.Key) pulumi.StringPtrInput {
	if key == nil {
		return nil
	}
	return key.Arn
}
