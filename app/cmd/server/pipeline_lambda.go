//go:build transcoder_lambda

package main

import (
	"context"
	"errors"
	"log/slog"

	"transcoder/app/config"
)

// The Lambda build leaves the one-machine pipeline out (see
// pipeline_local.go): config refuses ENGINE=local on Lambda anyway.
func (p *pipeline) openLocal(context.Context, *config.Config, *slog.Logger, string) error {
	return errors.New("ENGINE=local: this is the Lambda build, which has no local engine; run the ordinary build (make build) for ENGINE=local")
}
