//go:build !transcoder_lambda

package main

import (
	"context"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAKeptSecretIsMadeOnceAndKeptPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // not there yet
	path := filepath.Join(dir, "session.key")
	first, err := keptSecret(path, "SESSION_SECRET")
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := hex.DecodeString(string(first)); err != nil || len(raw) != 32 {
		t.Fatalf("made secret %q, want 64 hex digits", first)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != string(first)+"\n" {
		t.Fatalf("the file holds %q, %v; want the secret and a newline", b, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the file's mode is %v, %v; want 0600", st.Mode().Perm(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("the directory holds %v, %v; want only the secret's file (no temporary file)", entries, err)
	}
	again, err := keptSecret(path, "SESSION_SECRET")
	if err != nil || string(again) != string(first) {
		t.Fatalf("the second read gave %q, %v; want the secret made first, %q", again, err, first)
	}
}

func TestAHandWrittenSecretIsReadAsItIs(t *testing.T) {
	secret := "0123456789abcdefghijklmnopqrstuvwxyz-_.~+/="
	tests := []struct {
		name, content string
	}{
		{"with a newline", secret + "\n"},
		{"without a newline", secret},
		{"with a Windows line ending", secret + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "api-token")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := keptSecret(path, "API_TOKEN")
			if err != nil || string(got) != secret {
				t.Fatalf("keptSecret = %q, %v; want %q", got, err, secret)
			}
		})
	}
}

func TestAnUnusableSecretFileIsAnErrorNamingItAndTheFixNeverReplaced(t *testing.T) {
	tests := []struct {
		name    string
		content string // written at the path; "" with dir set: a directory there
		dir     bool
		problem string
	}{
		{"an empty file, as a crash mid-write leaves", "", false, "is empty"},
		{"a secret shorter than 32 characters", "0123456789abcdef\n", false, "holds a secret of 16 characters, fewer than the 32"},
		{"two lines", strings.Repeat("a", 40) + "\n" + strings.Repeat("b", 40) + "\n", false, "more than one line"},
		{"a space inside", strings.Repeat("a", 20) + " " + strings.Repeat("b", 20), false, "byte 0x20 at offset 20"},
		{"binary bytes", "\x00\x01\x02" + strings.Repeat("a", 40), false, "byte 0x00 at offset 0"},
		{"something that cannot be read as a file", "", true, "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.key")
			if tt.dir {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := keptSecret(path, "SESSION_SECRET")
			if err == nil {
				t.Fatal("keptSecret succeeded, want an error")
			}
			for _, want := range []string{path, tt.problem, "delete it", "set SESSION_SECRET"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error %q does not say %q", err, want)
				}
			}
			if tt.dir {
				return
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != tt.content {
				t.Errorf("the file now holds %q, %v; want it left as it was, %q", b, err, tt.content)
			}
		})
	}
}

func TestTheServiceRefusesToStartOnAnUnusableKeptSecret(t *testing.T) {
	tests := []struct {
		name, file, variable string
	}{
		{"a short operator's token", "api-token", "API_TOKEN"},
		{"a short session secret", "session.key", "SESSION_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			path := filepath.Join(dataDir, tt.file)
			if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"ADDR": "127.0.0.1:0", "LOCAL_S3_ADDR": "127.0.0.1:0", "DATA_DIR": dataDir, "API_TOKEN": token}
			if tt.variable == "API_TOKEN" {
				delete(env, "API_TOKEN")
			}
			err := run(context.Background(), []string{"server"}, func(k string) string { return env[k] }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.variable) {
				t.Fatalf("run = %v, want an error naming %s and %s", err, path, tt.variable)
			}
			if b, _ := os.ReadFile(path); string(b) != "short\n" {
				t.Fatalf("the file now holds %q, want it left as it was", b)
			}
		})
	}
}
