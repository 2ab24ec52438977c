package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// sessionSecret returns SESSION_SECRET, or the secret kept in the data
// directory, made on first use, so that browser sessions survive a restart.
func sessionSecret(configured []byte, dataDir string) ([]byte, error) {
	if len(configured) > 0 {
		return configured, nil
	}
	return keptSecret(filepath.Join(dataDir, "session.key"), "SESSION_SECRET")
}

// keptSecret returns the secret in the file at path (mode 0600), making it
// on first use; variable names the setting that would replace it.
func keptSecret(path, variable string) ([]byte, error) {
	dataDir := filepath.Dir(path)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("DATA_DIR: reading %s: %w (or set %s)", path, err, variable)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("DATA_DIR: keeping a secret in %s: %w (or set %s)", path, err, variable)
	}
	return []byte(secret), nil
}
