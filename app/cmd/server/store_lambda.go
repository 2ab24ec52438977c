//go:build transcoder_lambda

package main

import (
	"errors"
	"log/slog"

	"transcoder/app/config"
	"transcoder/app/jobs"
)

// The Lambda build leaves SQLite out (see store_sqlite.go): instances
// share no disk, so the function keeps jobs in DynamoDB.
func openSQLite(*config.Config, *slog.Logger) (jobs.Store, error) {
	return nil, errors.New("STORE=sqlite: this is the Lambda build, which keeps jobs in DynamoDB only: set STORE=dynamodb and DYNAMODB_TABLE")
}

func logStoreStats(jobs.Store, *slog.Logger) {}
