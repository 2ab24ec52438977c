// Command infra is the Pulumi program of the transcoder pipeline; Pulumi.yaml
// at the repository root points here. Everything it declares lives in the
// importable package transcoder/infra/stack.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"transcoder/infra/stack"
)

func main() {
	pulumi.Run(stack.Program)
}
