//go:build !transcoder_lambda

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The Lambda build (make build-lambda) must leave out what never runs on
// Lambda, so that every cold start loads less.
func TestTheLambdaBuildLeavesOutTheOneMachinePipeline(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "lambda.norpc,transcoder_lambda,nomsgpack", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := "\n" + string(out)
	for _, left := range []string{
		"transcoder/app/sqlite", "modernc.org/sqlite", "transcoder/app/localengine", "transcoder/app/localsns",
		"transcoder/app/s3/local", "github.com/johannesboyne/gofakes3", "transcoder/app/redrive",
		"github.com/aws/aws-sdk-go-v2/service/sqs", "github.com/ugorji/go/codec",
		// credentials come from the environment there (see awsconfig_lambda.go)
		"github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/service/sso",
	} {
		if strings.Contains(deps, "\n"+left+"\n") {
			t.Errorf("the Lambda build still links %s", left)
		}
	}
	for _, kept := range []string{"transcoder/app/dynamodb", "transcoder/app/mediaconvert", "transcoder/app/lambdafn", "transcoder/app/subscription", "transcoder/app/internal/awsenv"} {
		if !strings.Contains(deps, "\n"+kept+"\n") {
			t.Errorf("the Lambda build lacks %s, which runs there", kept)
		}
	}
}
