package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elastictranscoder"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// declareElasticTranscoder declares the seed's legacy engine the way the seed
// wired it: one pipeline from the input bucket to the output bucket, acting
// as its role, notifying the topic of every job state (Progressing,
// Completed, Warning, Error).
//
// Amazon Elastic Transcoder was discontinued on 2025-11-13: AWS no longer
// creates pipelines, so `pulumi up` fails on a new stack. The declaration is
// kept for stacks that still hold a pipeline, and Program warns at preview.
func (c *Transcoder) declareElasticTranscoder(ctx *pulumi.Context, name string, args *TranscoderArgs) (pulumi.Map, error) {
	n := args.Names
	refs := mediaRefs(args)
	refs["topic"] = args.Topic.Arn
	var err error
	c.Role, err = newServiceRole(ctx, c, name, "elastictranscoder", "elastictranscoder.amazonaws.com", n, refs,
		func(ref map[string]string) PolicyDocument {
			// Elastic Transcoder notifies with the pipeline role's credentials.
			return Policy(append(mediaStatements(ref),
				Allow("NotifyJobEvents", []string{"sns:Publish"}, ref["topic"]))...)
		})
	if err != nil {
		return nil, err
	}

	c.Pipeline, err = elastictranscoder.NewPipeline(ctx, name+"-pipeline", &elastictranscoder.PipelineArgs{
		Name:         pulumi.String(n.Name("pipeline")),
		InputBucket:  args.Input.Bucket,
		OutputBucket: args.Output.Bucket,
		Role:         c.Role.Arn,
		AwsKmsKeyArn: keyArn(args.Key),
		Notifications: &elastictranscoder.PipelineNotificationsArgs{
			Progressing: args.Topic.Arn,
			Completed:   args.Topic.Arn,
			Warning:     args.Topic.Arn,
			Error:       args.Topic.Arn,
		},
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}

	c.Publisher = Publisher{
		Service:  "elastictranscoder.amazonaws.com",
		Operator: "StringEquals",
		Key:      "aws:SourceAccount",
		Value:    pulumi.String(n.Account),
	}
	return pulumi.Map{"pipelineId": c.Pipeline.ID(), "pipelineArn": c.Pipeline.Arn}, nil
}
