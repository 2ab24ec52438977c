package main

import (
	"log/slog"

	"transcoder/app/config"
	"transcoder/app/internal/datadir"
)

// holdDataDir takes DATA_DIR for this process, before anything in it is
// opened, if the process uses it: the SQLite store, the local pipeline,
// or a token or session secret kept there. It returns nil (whose methods
// do nothing) when DATA_DIR is not used, and always on Lambda, where
// instances share no directory.
func holdDataDir(cfg *config.Config, logger *slog.Logger) (*datadir.Lock, error) {
	if !usesDataDir(cfg) {
		return nil, nil
	}
	return datadir.Acquire(cfg.DataDir, logger)
}

// usesDataDir reports whether the process keeps anything in DATA_DIR.
func usesDataDir(cfg *config.Config) bool {
	if cfg.Lambda {
		return false
	}
	return cfg.Store == config.SQLite || cfg.Engine == config.Local ||
		cfg.APITokenGenerated || len(cfg.SessionSecret) == 0
}

// privateFiles makes every file and folder the process creates private to
// its user (see datadir.PrivateUmask); main calls it, as it changes the
// whole process.
func privateFiles() { datadir.PrivateUmask() }
