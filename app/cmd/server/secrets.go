package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"transcoder/app/atomicfile"
	"transcoder/app/internal/datadir"
	"transcoder/app/internal/ids"
)

// minKeptSecret is the fewest characters a kept secret may have: what
// SESSION_SECRET demands, and more than API_TOKEN does.
const minKeptSecret = 32

// sessionSecret returns SESSION_SECRET, or the secret kept in the data
// directory, made on first use, so that browser sessions survive a restart.
func sessionSecret(configured []byte, dataDir string) ([]byte, error) {
	if len(configured) > 0 {
		return configured, nil
	}
	return keptSecret(filepath.Join(dataDir, "session.key"), "SESSION_SECRET")
}

// keptSecret returns the secret in the file at path, making it on first
// use (64 random hex digits and a newline, written atomically and durably,
// mode 0600); variable names the setting that would replace it.
//
// A file that is there but unusable (unreadable, empty, too short, or not
// one line of a secret's characters) is an error, never replaced: it may
// be a secret somebody relies on, or the sign of a problem that replacing
// it would hide. The error names the file and how to fix it.
func keptSecret(path, variable string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		secret, problem := parseSecret(b)
		if problem != "" {
			return nil, fmt.Errorf("DATA_DIR: %s %s: delete it to have a new secret made (what the old one signed stops working), or set %s", path, problem, variable)
		}
		return secret, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("DATA_DIR: cannot read %s (%w): make it readable by this user, delete it to have a new secret made, or set %s", path, err, variable)
	}
	secret := ids.Hex(32)
	if err := os.MkdirAll(filepath.Dir(path), datadir.DirMode); err != nil {
		return nil, fmt.Errorf("DATA_DIR: cannot make the directory of %s: %w (or set %s)", path, err, variable)
	}
	if err := atomicfile.Write(path, []byte(secret+"\n"), datadir.FileMode); err != nil {
		return nil, fmt.Errorf("DATA_DIR: cannot keep a new secret: %w (or set %s)", err, variable)
	}
	return []byte(secret), nil
}

// parseSecret reads a kept secret's file: one line, its newline optional,
// of at least minKeptSecret printable ASCII characters without spaces. It
// returns the problem with the file, in words, when there is one.
func parseSecret(b []byte) (secret []byte, problem string) {
	line := bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	if len(line) == 0 {
		return nil, "is empty (perhaps a crash cut its writing short)"
	}
	for i, c := range line {
		if c == '\n' {
			return nil, "holds more than one line, and a kept secret is one line"
		}
		if c <= ' ' || c > '~' {
			return nil, fmt.Sprintf("holds byte 0x%02x at offset %d, which cannot be part of a secret (printable ASCII without spaces)", c, i)
		}
	}
	if len(line) < minKeptSecret {
		return nil, fmt.Sprintf("holds a secret of %d characters, fewer than the %d it needs", len(line), minKeptSecret)
	}
	return line, ""
}
