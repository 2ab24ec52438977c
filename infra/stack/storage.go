package stack

import (
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StorageArgs configures the buckets.
type StorageArgs struct {
	Names     Namer
	Ephemeral bool
	// Key encrypts both buckets; nil means SSE-S3.
	Key *kms.Key
	// InputRetentionDays is how long uploads are kept.
	InputRetentionDays int
	// OutputRetentionDays is how long outputs are kept, the app's job
	// retention, so that no download outlives its job; 0 keeps them for
	// ever.
	OutputRetentionDays int
}

// Storage holds the media: the input bucket that users upload into and the
// output bucket the transcoder writes to. Both are private, encrypted and
// reachable over TLS only.
type Storage struct {
	pulumi.ResourceState

	Input  *s3.BucketV2
	Output *s3.BucketV2
	// InputCors lets browsers upload into the input bucket; declared by
	// AllowBrowserUploads.
	InputCors *s3.BucketCorsConfigurationV2

	name string
}

const (
	// abortUploadsAfterDays cleans up multipart uploads a browser or the
	// transcoder never finished.
	abortUploadsAfterDays = 2
	// outputNoncurrentDays keeps overwritten or deleted outputs this long.
	outputNoncurrentDays = 30
)

// NewStorage declares both buckets. The input bucket's CORS rule is declared
// by AllowBrowserUploads once the endpoint, whose page it names, exists.
func NewStorage(ctx *pulumi.Context, name string, args *StorageArgs, opts ...pulumi.ResourceOption) (*Storage, error) {
	c := &Storage{name: name}
	if err := ctx.RegisterComponentResource("transcoder:stack:Storage", name, c, opts...); err != nil {
		return nil, err
	}
	var err error

	c.Input, err = newPrivateBucket(ctx, c, name+"-input", "input", args)
	if err != nil {
		return nil, err
	}
	_, err = s3.NewBucketLifecycleConfigurationV2(ctx, name+"-input-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: c.Input.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:         pulumi.String("expire-uploads"),
				Status:     pulumi.String("Enabled"),
				Filter:     everyObject(),
				Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(args.InputRetentionDays)},
			},
			abortIncompleteUploads(),
		},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}

	c.Output, err = newPrivateBucket(ctx, c, name+"-output", "output", args)
	if err != nil {
		return nil, err
	}
	versioning, err := s3.NewBucketVersioningV2(ctx, name+"-output-versioning", &s3.BucketVersioningV2Args{
		Bucket: c.Output.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{
			Status: pulumi.String("Enabled"),
		},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	outputRules := s3.BucketLifecycleConfigurationV2RuleArray{
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("expire-noncurrent-versions"),
			Status: pulumi.String("Enabled"),
			Filter: everyObject(),
			NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
				NoncurrentDays: pulumi.Int(outputNoncurrentDays),
			},
		},
		abortIncompleteUploads(),
	}
	if args.OutputRetentionDays > 0 {
		// The app deletes a job that many days after it ends, and the
		// outputs are written as it ends: they expire with it. In a
		// versioned bucket the expired output becomes a noncurrent
		// version, so no download URL reaches it, and is removed
		// outputNoncurrentDays later by the rule above.
		outputRules = append(outputRules, &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-outputs-with-their-jobs"),
			Status:     pulumi.String("Enabled"),
			Filter:     everyObject(),
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(args.OutputRetentionDays)},
		})
	}
	_, err = s3.NewBucketLifecycleConfigurationV2(ctx, name+"-output-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: c.Output.ID(),
		Rules:  outputRules,
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{versioning}))
	if err != nil {
		return nil, err
	}

	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"inputBucket":  c.Input.Bucket,
		"outputBucket": c.Output.Bucket,
	})
}

// AllowBrowserUploads declares the input bucket's CORS rule: browsers PUT
// straight into the bucket with presigned URLs from the service's own page,
// served at pageOrigin (the Function URL without its trailing slash), and
// from the extra origins the stack allows. Nothing the function needs waits
// for the rule, so declaring it after the endpoint makes no cycle.
func (c *Storage) AllowBrowserUploads(ctx *pulumi.Context, pageOrigin pulumi.StringInput, extra []string) error {
	origins := pageOrigin.ToStringOutput().ApplyT(func(page string) []string {
		return uploadOrigins(page, extra)
	}).(pulumi.StringArrayOutput)
	var err error
	c.InputCors, err = s3.NewBucketCorsConfigurationV2(ctx, c.name+"-input-cors", &s3.BucketCorsConfigurationV2Args{
		Bucket: c.Input.ID(),
		CorsRules: s3.BucketCorsConfigurationV2CorsRuleArray{
			// ETag is exposed because multipart uploads must echo it back.
			&s3.BucketCorsConfigurationV2CorsRuleArgs{
				Id:             pulumi.String("browser-uploads"),
				AllowedMethods: pulumi.ToStringArray([]string{"PUT", "POST"}),
				AllowedOrigins: origins,
				AllowedHeaders: pulumi.ToStringArray([]string{"content-type", "content-md5", "x-amz-*"}),
				ExposeHeaders:  pulumi.ToStringArray([]string{"ETag"}),
				MaxAgeSeconds:  pulumi.Int(3000),
			},
		},
	}, pulumi.Parent(c))
	return err
}

// uploadOrigins is the page's origin, then each extra origin it does not
// already hold: a stack configured before its page was allowed may still
// list the page's origin among its extras.
func uploadOrigins(page string, extra []string) []string {
	origins := []string{page}
	for _, o := range extra {
		if !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	return origins
}

func abortIncompleteUploads() *s3.BucketLifecycleConfigurationV2RuleArgs {
	return &s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:     pulumi.String("abort-incomplete-multipart-uploads"),
		Status: pulumi.String("Enabled"),
		Filter: everyObject(),
		AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
			DaysAfterInitiation: pulumi.Int(abortUploadsAfterDays),
		},
	}
}

// newPrivateBucket declares a bucket that nobody outside the account can
// reach: all four public access block settings on, ACLs disabled (the owner
// owns every object), default encryption, and a policy refusing plain HTTP.
func newPrivateBucket(ctx *pulumi.Context, parent pulumi.Resource, name, purpose string, args *StorageArgs) (*s3.BucketV2, error) {
	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		Bucket:       pulumi.String(args.Names.BucketName(purpose)),
		ForceDestroy: pulumi.Bool(args.Ephemeral),
		Tags:         args.Names.Tags(),
	}, pulumi.Parent(parent), pulumi.Protect(!args.Ephemeral), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}

	block, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access-block", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}

	_, err = s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}

	sse := &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
		ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
			SseAlgorithm: pulumi.String("AES256"),
		},
	}
	if args.Key != nil {
		sse = &s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: args.Key.Arn,
			},
			// Bucket keys cut the KMS requests (and their cost) per object.
			BucketKeyEnabled: pulumi.Bool(true),
		}
	}
	_, err = s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  s3.BucketServerSideEncryptionConfigurationV2RuleArray{sse},
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}

	_, err = s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: PolicyFrom(pulumi.StringMap{"bucket": bucket.Arn}, func(ref map[string]string) PolicyDocument {
			return Policy(DenyInsecureTransport([]string{"s3:*"}, ref["bucket"], ref["bucket"]+"/*"))
		}),
	}, pulumi.Parent(parent), pulumi.DependsOn([]pulumi.Resource{block}))
	if err != nil {
		return nil, err
	}
	return bucket, nil
}

// everyObject is a lifecycle filter matching the whole bucket. An empty
// prefix rather than an empty filter, which the provider warns about.
func everyObject() *s3.BucketLifecycleConfigurationV2RuleFilterArgs {
	return &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")}
}
