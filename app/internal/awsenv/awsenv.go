// Package awsenv builds the AWS SDK's configuration from environment
// variables alone, as AWS Lambda provides them: the region, the execution
// role's credentials and any endpoint override.
//
// The SDK's config.LoadDefaultConfig does the same on Lambda (environment
// credentials come first in its chain), but linking it links every other
// way of finding credentials too (SSO, STS web identity, IMDS, credential
// processes, shared files), about 1.5 MB of the Lambda bootstrap that is
// loaded at every cold start and never used there.
package awsenv

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config is the SDK configuration that getenv describes: the region from
// AWS_REGION (or AWS_DEFAULT_REGION); static credentials from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; and, unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true, the endpoint of every service
// from AWS_ENDPOINT_URL, or of one service from AWS_ENDPOINT_URL_<SERVICE>
// (DYNAMODB, S3, SNS, MEDIACONVERT, ELASTIC_TRANSCODER...), with the SDK's
// own names and precedence.
func Config(getenv func(string) string) (aws.Config, error) {
	region := first(getenv, "AWS_REGION", "AWS_DEFAULT_REGION")
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set: Lambda sets it for every function; elsewhere set AWS_REGION to the stack's region")
	}
	id := first(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := first(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set: Lambda sets them from the function's execution role; this build reads credentials from the environment only")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))),
	}
	if strings.EqualFold(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return cfg, nil
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	cfg.ConfigSources = []any{endpoints(getenv)}
	return cfg, nil
}

// first is the value of the first of the variables that is set.
func first(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// endpoints answers each service client's question for its own endpoint
// (the SDK asks its configuration sources for GetServiceBaseEndpoint).
type endpoints func(string) string

// GetServiceBaseEndpoint is AWS_ENDPOINT_URL_ followed by the service's SDK
// ID in capitals, spaces made underscores ("Elastic Transcoder" reads
// AWS_ENDPOINT_URL_ELASTIC_TRANSCODER).
func (e endpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := e("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}
