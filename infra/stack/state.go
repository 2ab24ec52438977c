package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"transcoder/app/dynamodb/schema"
)

// StateArgs configures the job table.
type StateArgs struct {
	Names     Namer
	Ephemeral bool
	// Key encrypts the table; nil means an AWS-owned key.
	Key *kms.Key
}

// State is where the endpoint keeps jobs: one on-demand DynamoDB table.
// Outside ephemeral stacks it has point-in-time recovery and deletion
// protection, and Pulumi protects it.
type State struct {
	pulumi.ResourceState

	Table *dynamodb.Table
}

// NewState declares the table.
func NewState(ctx *pulumi.Context, name string, args *StateArgs, opts ...pulumi.ResourceOption) (*State, error) {
	c := &State{}
	if err := ctx.RegisterComponentResource("transcoder:stack:State", name, c, opts...); err != nil {
		return nil, err
	}
	var sse dynamodb.TableServerSideEncryptionPtrInput
	if args.Key != nil {
		sse = &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KmsKeyArn: args.Key.Arn}
	}
	str := func(attr string) dynamodb.TableAttributeInput {
		return &dynamodb.TableAttributeArgs{Name: pulumi.String(attr), Type: pulumi.String("S")}
	}
	var err error
	c.Table, err = dynamodb.NewTable(ctx, name+"-table", &dynamodb.TableArgs{
		Name:        pulumi.String(args.Names.Name("jobs")),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String(schema.PartitionKey),
		RangeKey:    pulumi.String(schema.SortKey),
		Attributes: dynamodb.TableAttributeArray{
			str(schema.PartitionKey), str(schema.SortKey), str(schema.OwnerIndexPartitionKey), str(schema.OwnerIndexSortKey),
			str(schema.DueIndexPartitionKey), str(schema.DueIndexSortKey),
		},
		GlobalSecondaryIndexes: dynamodb.TableGlobalSecondaryIndexArray{
			&dynamodb.TableGlobalSecondaryIndexArgs{
				Name:           pulumi.String(schema.OwnerIndex),
				HashKey:        pulumi.String(schema.OwnerIndexPartitionKey),
				RangeKey:       pulumi.String(schema.OwnerIndexSortKey),
				ProjectionType: pulumi.String("ALL"),
			},
			&dynamodb.TableGlobalSecondaryIndexArgs{
				Name:     pulumi.String(schema.DueIndex),
				HashKey:  pulumi.String(schema.DueIndexPartitionKey),
				RangeKey: pulumi.String(schema.DueIndexSortKey),
				// Keys only: the store reads each due job consistently
				// anyway, and the job documents, rewritten at every change,
				// are not written twice.
				ProjectionType: pulumi.String("KEYS_ONLY"),
			},
		},
		Ttl: &dynamodb.TableTtlArgs{
			AttributeName: pulumi.String(schema.TTLAttribute),
			Enabled:       pulumi.Bool(true),
		},
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(!args.Ephemeral)},
		DeletionProtectionEnabled: pulumi.Bool(!args.Ephemeral),
		ServerSideEncryption:      sse,
		Tags:                      args.Names.Tags(),
	}, pulumi.Parent(c), pulumi.Protect(!args.Ephemeral), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"tableName": c.Table.Name})
}
