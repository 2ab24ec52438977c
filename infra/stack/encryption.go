package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// EncryptionArgs configures the customer-managed key.
type EncryptionArgs struct {
	Names     Namer
	Ephemeral bool
}

// Encryption is the stack's customer-managed KMS key (transcoder:encryption
// kms). It encrypts the buckets, the topics, the dead-letter queue, the table
// and the function's environment. Its policy lets the services that write to
// encrypted topics and queues on this account's behalf (EventBridge, SNS,
// CloudWatch alarms) use it: the AWS-managed SNS key cannot be used by
// EventBridge, which is why the key is customer-managed.
type Encryption struct {
	pulumi.ResourceState

	Key   *kms.Key
	Alias *kms.Alias
}

// keyUsers are the service principals that encrypt or decrypt with the key
// for this account's resources.
var keyUsers = []string{"events.amazonaws.com", "sns.amazonaws.com", "cloudwatch.amazonaws.com"}

// NewEncryption declares the key and its alias.
func NewEncryption(ctx *pulumi.Context, name string, args *EncryptionArgs, opts ...pulumi.ResourceOption) (*Encryption, error) {
	c := &Encryption{}
	if err := ctx.RegisterComponentResource("transcoder:stack:Encryption", name, c, opts...); err != nil {
		return nil, err
	}
	n := args.Names

	policy, err := keyPolicy(n).JSON()
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
// grant its use to the stack's roles) and lets the publishing services use it
// for this account only.
func keyPolicy(n Namer) PolicyDocument {
	return Policy(
		Allow("AccountAdministersKey", []string{"kms:*"}, "*").By(AWSPrincipal(n.AccountRoot())),
		Allow("ServicesEncryptForThisAccount", []string{"kms:Decrypt", "kms:GenerateDataKey*"}, "*").
			By(Service(keyUsers...)).
			When("StringEquals", "aws:SourceAccount", n.Account),
	)
}

// keyArn is the key's ARN, or nil when AWS-managed keys are used.
func keyArn(key *kms.Key) pulumi.StringPtrInput {
	if key == nil {
		return nil
	}
	return key.Arn
}
