//go:build !transcoder_lambda

package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// awsConfig is the AWS SDK's configuration, found the SDK's usual ways:
// environment, shared files, SSO, instance roles and the rest.
func awsConfig(ctx context.Context) (aws.Config, error) {
	return awsconfig.LoadDefaultConfig(ctx)
}
