//go:build transcoder_lambda

package main

import (
	"context"
	"errors"
	"io"
)

// The Lambda build leaves the redrive command out (see redrive.go): it is
// run by an operator, with the ordinary build.
func redriveCommand(context.Context, []string, func(string) string, io.Writer) error {
	return errors.New("redrive: this is the Lambda build; run the redrive with the ordinary build: make redrive STACK=<stack>")
}
