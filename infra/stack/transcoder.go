package stack

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elastictranscoder"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/mediaconvert"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TranscoderArgs configures the transcoding engine.
type TranscoderArgs struct {
	Names  Namer
	Engine Engine
	// Input is read, Output written, by the engine and nothing else.
	Input, Output *s3.BucketV2
	// Topic receives every job state change.
	Topic *sns.Topic
	// Key encrypts the buckets and the topic; nil when AWS-managed.
	Key *kms.Key
	// MaxConcurrentJobs caps the MediaConvert queue; the legacy pipeline
	// has no such setting.
	MaxConcurrentJobs int
}

// Transcoder is the engine that turns uploads into outputs, the role it acts
// as, and how its job events reach the topic. Exactly one engine is declared:
// MediaConvert (a queue, and an EventBridge rule forwarding its job state
// changes) or the legacy Elastic Transcoder pipeline (which notifies the
// topic itself).
type Transcoder struct {
	pulumi.ResourceState

	Engine Engine
	// Role is what the engine acts as: it may read only the input bucket
	// and write only the output bucket.
	Role *iam.Role

	// MediaConvert engine.
	Queue  *mediaconvert.Queue
	Rule   *cloudwatch.EventRule
	Target *cloudwatch.EventTarget
	// DeadLetterQueue keeps the job-state events EventBridge could not
	// publish to the topic; only Rule may send to it (DeadLetterPolicy).
	DeadLetterQueue  *sqs.Queue
	DeadLetterPolicy *sqs.QueuePolicy

	// Elastic Transcoder engine.
	Pipeline *elastictranscoder.Pipeline

	// Publisher is who the topic policy must let publish.
	Publisher Publisher
}

// NewTranscoder declares the engine selected by args.Engine.
func NewTranscoder(ctx *pulumi.Context, name string, args *TranscoderArgs, opts ...pulumi.ResourceOption) (*Transcoder, error) {
	c := &Transcoder{Engine: args.Engine}
	if err := ctx.RegisterComponentResource("transcoder:stack:Transcoder", name, c, opts...); err != nil {
		return nil, err
	}
	var outputs pulumi.Map
	var err error
	switch args.Engine {
	case MediaConvert:
		outputs, err = c.declareMediaConvert(ctx, name, args)
	case ElasticTranscoder:
		outputs, err = c.declareElasticTranscoder(ctx, name, args)
	default:
		err = fmt.Errorf("unknown engine %q", args.Engine)
	}
	if err != nil {
		return nil, err
	}
	outputs["roleArn"] = c.Role.Arn
	return c, ctx.RegisterResourceOutputs(c, outputs)
}

// newServiceRole declares a role that only the named AWS service may assume,
// with an inline policy granting exactly what the engine needs.
func newServiceRole(ctx *pulumi.Context, parent pulumi.Resource, name, purpose, service string, n Namer,
	refs pulumi.StringMap, build func(ref map[string]string) PolicyDocument,
) (*iam.Role, error) {
	trust, err := Policy(Allow("", []string{"sts:AssumeRole"}).By(Service(service))).JSON()
	if err != nil {
		return nil, err
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Name:             pulumi.String(n.Name(purpose)),
		Description:      pulumi.String("Assumed by " + service + " to transcode " + n.Prefix() + " media"),
		AssumeRolePolicy: pulumi.String(trust),
		Tags:             n.Tags(),
	}, pulumi.Parent(parent), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	_, err = iam.NewRolePolicy(ctx, name+"-role-policy", &iam.RolePolicyArgs{
		Name:   pulumi.String("transcode"),
		Role:   role.ID(),
		Policy: PolicyFrom(refs, build),
	}, pulumi.Parent(parent))
	return role, err
}

// mediaStatements let an engine read inputs and write outputs, and use the
// key when there is one. ref holds "input" and "output" bucket ARNs and,
// optionally, "key".
func mediaStatements(ref map[string]string) []Statement {
	s := []Statement{
		Allow("ReadInputs", []string{"s3:GetObject"}, ref["input"]+"/*"),
		Allow("ListInputs", []string{"s3:ListBucket"}, ref["input"]),
		Allow("WriteOutputs", []string{"s3:PutObject"}, ref["output"]+"/*"),
	}
	if key, ok := ref["key"]; ok {
		s = append(s, Allow("UseKey", []string{"kms:Decrypt", "kms:GenerateDataKey"}, key))
	}
	return s
}

// mediaRefs are the ARNs mediaStatements needs.
func mediaRefs(args *TranscoderArgs) pulumi.StringMap {
	refs := pulumi.StringMap{"input": args.Input.Arn, "output": args.Output.Arn}
	if args.Key != nil {
		refs["key"] = args.Key.Arn
	}
	return refs
}
