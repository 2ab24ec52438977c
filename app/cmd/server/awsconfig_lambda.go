//go:build transcoder_lambda

package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"transcoder/app/internal/awsenv"
)

// awsConfig is the AWS SDK's configuration on Lambda: the region and the
// execution role's credentials from the environment, which is where the
// SDK's default chain finds them there too (see package awsenv for what
// leaving the rest of that chain out saves).
func awsConfig(context.Context) (aws.Config, error) {
	return awsenv.Config(os.Getenv)
}
