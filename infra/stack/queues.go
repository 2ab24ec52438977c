package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DeadLetterRetentionSeconds keeps undeliverable events for 14 days, the
// most SQS allows.
const DeadLetterRetentionSeconds = 14 * 24 * 60 * 60

// newDeadLetterQueue declares, as name+"-queue", a queue that keeps what a service could not
// deliver for DeadLetterRetentionSeconds, encrypted with key (SSE-SQS when
// key is nil), and, as name+"-policy", its policy: only service, on behalf of the one resource
// sourceArn, may send to it, and nobody without TLS. Both the SNS
// subscription's and the job-state rule's dead letters are such queues.
func newDeadLetterQueue(ctx *pulumi.Context, parent pulumi.Resource, name, purpose string, n Namer, key *kms.Key,
	service string, sourceArn pulumi.StringInput,
) (*sqs.Queue, *sqs.QueuePolicy, error) {
	args := &sqs.QueueArgs{
		Name:                    pulumi.String(n.Name(purpose)),
		MessageRetentionSeconds: pulumi.Int(DeadLetterRetentionSeconds),
		SqsManagedSseEnabled:    pulumi.Bool(true),
		Tags:                    n.Tags(),
	}
	if key != nil {
		args.SqsManagedSseEnabled = nil
		args.KmsMasterKeyId = key.Arn
	}
	queue, err := sqs.NewQueue(ctx, name+"-queue", args, pulumi.Parent(parent), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, nil, err
	}
	policy, err := sqs.NewQueuePolicy(ctx, name+"-policy", &sqs.QueuePolicyArgs{
		QueueUrl: queue.Url,
		Policy: PolicyFrom(pulumi.StringMap{"queue": queue.Arn, "source": sourceArn},
			func(ref map[string]string) PolicyDocument {
				return Policy(
					Allow("OnlyTheSourceSends", []string{"sqs:SendMessage"}, ref["queue"]).
						By(Service(service)).
						When("ArnEquals", "aws:SourceArn", ref["source"]),
					DenyInsecureTransport([]string{"sqs:*"}, ref["queue"]),
				)
			}),
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, nil, err
	}
	return queue, policy, nil
}
