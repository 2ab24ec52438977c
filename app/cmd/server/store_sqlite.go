//go:build !transcoder_lambda

package main

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"transcoder/app/config"
	"transcoder/app/jobs"
	"transcoder/app/sqlite"
)

// openSQLite opens the embedded store in DATA_DIR. The Lambda build
// (tag transcoder_lambda) leaves SQLite out.
func openSQLite(cfg *config.Config, logger *slog.Logger) (jobs.Store, error) {
	s, err := sqlite.Open(filepath.Join(cfg.DataDir, "transcoder.db"),
		sqlite.WithRetention(cfg.JobRetention), sqlite.WithLogger(logger.With("component", "store")))
	if err != nil {
		return nil, fmt.Errorf("DATA_DIR: opening the SQLite store in %s: %w", cfg.DataDir, err)
	}
	return s, nil
}

// logStoreStats says how the SQLite store's group commit went.
func logStoreStats(store jobs.Store, logger *slog.Logger) {
	if st, ok := store.(*sqlite.Store); ok {
		stats := st.Stats()
		logger.Info("store closed", "requests", stats.Requests, "commits", stats.Commits, "largest_batch", stats.MaxBatch)
	}
}
