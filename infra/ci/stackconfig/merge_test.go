package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// root is the repository root, seen from infra/ci/stackconfig.
var root = filepath.Join("..", "..", "..")

const salt = "v1:Q0lTQUxU:v1:c2FsdHNhbHQ=:aGVsbG8="

// files lays out a template and, unless local is "", the stack's own file.
func files(t *testing.T, template, local string) (tmpl, cfg string) {
	t.Helper()
	dir := t.TempDir()
	tmpl = filepath.Join(dir, "Pulumi.dev.yaml")
	cfg = filepath.Join(dir, "state", "config", "Pulumi.dev.yaml")
	if err := os.WriteFile(tmpl, []byte(template), 0o644); err != nil {
		t.Fatal(err)
	}
	if local != "" {
		if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfg, []byte(local), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return tmpl, cfg
}

// load reads a stack file the way the Pulumi CLI does.
func load(t *testing.T, path string) *workspace.ProjectStack {
	t.Helper()
	proj, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := workspace.LoadProjectStack(diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never}), proj, path)
	if err != nil {
		t.Fatalf("Pulumi cannot read %s: %v", path, err)
	}
	return ps
}

func plain(t *testing.T, ps *workspace.ProjectStack, key string) string {
	t.Helper()
	v, ok, err := ps.Config.Get(config.MustParseKey(key), false)
	if err != nil || !ok {
		t.Fatalf("%s is not set (%v)", key, err)
	}
	s, err := v.Value(config.NewPanicCrypter())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMerge(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	crypter := config.NewSymmetricCrypter(key)
	token, err := crypter.EncryptValue(context.Background(), "the-api-token-of-this-stack")
	if err != nil {
		t.Fatal(err)
	}
	const template = "config:\n  aws:region: eu-west-1\n  transcoder:engine: mediaconvert\n  transcoder:allowedOrigins:\n    - http://localhost:5173\n"

	for _, tc := range []struct {
		name, template, local string
		// check inspects the stack's own file after a successful merge.
		check func(t *testing.T, ps *workspace.ProjectStack)
		notes []string // substrings of the notes, in order
		err   []string // substrings of the error; the file must be unchanged
	}{
		{
			name:     "a stack without a file of its own gets the committed settings",
			template: template,
			check: func(t *testing.T, ps *workspace.ProjectStack) {
				if got := plain(t, ps, "transcoder:engine"); got != "mediaconvert" {
					t.Errorf("engine is %q", got)
				}
				if ps.EncryptionSalt != "" || ps.Config.HasSecureValue() {
					t.Error("a file made from the template alone holds encryption settings or secrets")
				}
			},
		},
		{
			name:     "the committed settings replace stale local ones and say which",
			template: template,
			local:    "encryptionsalt: " + salt + "\nconfig:\n  transcoder:engine: elastictranscoder\n",
			check: func(t *testing.T, ps *workspace.ProjectStack) {
				if got := plain(t, ps, "transcoder:engine"); got != "mediaconvert" {
					t.Errorf("engine is %q, want the committed mediaconvert", got)
				}
			},
			notes: []string{`transcoder:engine: Pulumi.dev.yaml sets "mediaconvert", replacing "elastictranscoder"`},
		},
		{
			name:     "the salt, the secrets and keys only the stack sets stay as they were",
			template: template,
			local: "encryptionsalt: " + salt + "\nconfig:\n  transcoder:apiToken:\n    secure: " + token +
				"\n  transcoder:alarmEmail: ops@example.com\n",
			check: func(t *testing.T, ps *workspace.ProjectStack) {
				if ps.EncryptionSalt != salt {
					t.Errorf("salt is %q, want %q", ps.EncryptionSalt, salt)
				}
				got, err := ps.Config.Decrypt(crypter)
				if err != nil {
					t.Fatalf("the secrets no longer decrypt: %v", err)
				}
				if got[config.MustParseKey("transcoder:apiToken")] != "the-api-token-of-this-stack" {
					t.Errorf("apiToken decrypts to %q", got[config.MustParseKey("transcoder:apiToken")])
				}
				if plain(t, ps, "transcoder:alarmEmail") != "ops@example.com" {
					t.Error("a key only the stack sets is gone")
				}
				if plain(t, ps, "aws:region") != "eu-west-1" {
					t.Error("a committed key is missing")
				}
			},
		},
		{
			name: "secrets an older make stack wrote into the tracked file move to the stack's own file",
			template: "encryptionsalt: " + salt + "\nconfig:\n  aws:region: eu-west-1\n  transcoder:apiToken:\n    secure: " +
				token + "\n",
			check: func(t *testing.T, ps *workspace.ProjectStack) {
				if ps.EncryptionSalt != salt {
					t.Errorf("salt is %q, want the one moved from the template", ps.EncryptionSalt)
				}
				got, err := ps.Config.Decrypt(crypter)
				if err != nil || got[config.MustParseKey("transcoder:apiToken")] != "the-api-token-of-this-stack" {
					t.Errorf("the moved apiToken does not decrypt: %q, %v", got[config.MustParseKey("transcoder:apiToken")], err)
				}
			},
			notes: []string{"written there by an older `make stack`", "moved: transcoder:apiToken, encryptionsalt", "git checkout -- "},
		},
		{
			name: "secrets in the tracked file under another salt are refused, not mixed",
			template: "encryptionsalt: v1:T1RIRVI=:v1:b3RoZXI=:b3RoZXI=\nconfig:\n  transcoder:apiToken:\n    secure: " +
				token + "\n",
			local: "encryptionsalt: " + salt + "\nconfig:\n  aws:region: eu-west-1\n",
			err:   []string{"other encryption settings", "pulumi config set --secret", "git checkout -- "},
		},
		{
			name:     "a stack file that is not YAML is reported with the way out",
			template: template,
			local:    "config: [unclosed\n",
			err:      []string{"not a Pulumi stack file", "delete it and run `make stack` again"},
		},
		{
			name:     "a config that is not a map is reported",
			template: "config: 3\n",
			err:      []string{"want a map of keys to values"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmpl, cfg := files(t, tc.template, tc.local)
			notes, err := Merge(tmpl, cfg)
			if tc.err != nil {
				if err == nil {
					t.Fatalf("merged, want an error with %q", tc.err)
				}
				for _, want := range tc.err {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				if tc.local != "" {
					if b, _ := os.ReadFile(cfg); string(b) != tc.local {
						t.Errorf("a refused merge changed the stack's file to:\n%s", b)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(notes, "\n")
			for _, want := range tc.notes {
				if !strings.Contains(joined, want) {
					t.Errorf("notes %q do not say %q", notes, want)
				}
			}
			if len(tc.notes) == 0 && len(notes) > 0 {
				t.Errorf("notes %q, want none", notes)
			}
			fi, err := os.Stat(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("the stack's file is %v, want 0600: it holds secrets", fi.Mode().Perm())
			}
			b, _ := os.ReadFile(tmpl)
			if string(b) != tc.template {
				t.Errorf("the merge changed the committed template to:\n%s", b)
			}
			tc.check(t, load(t, cfg))
		})
	}
}

func TestMergeNeverWritesIntoTheTemplate(t *testing.T) {
	t.Parallel()
	tmpl, _ := files(t, "config:\n  aws:region: eu-west-1\n", "")
	for _, cfg := range []string{tmpl, filepath.Join(filepath.Dir(tmpl), ".", "Pulumi.dev.yaml")} {
		if _, err := Merge(tmpl, cfg); err == nil || !strings.Contains(err.Error(), "is the committed template itself") {
			t.Errorf("Merge(%s, %s) = %v, want a refusal", tmpl, cfg, err)
		}
	}
	link := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
	if err := os.Symlink(tmpl, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(tmpl, link); err == nil {
		t.Errorf("Merge through a link to the template succeeded, want a refusal")
	}
}

func TestMergingTheCommittedDevSettingsTwiceChangesNothingTheSecondTime(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
	tmpl := filepath.Join(root, "Pulumi.dev.yaml")
	if _, err := Merge(tmpl, cfg); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(cfg)
	notes, err := Merge(tmpl, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(cfg)
	if len(notes) > 0 || !bytes.Equal(first, second) {
		t.Errorf("the second merge changed the file (notes %q):\n%s\nthen\n%s", notes, first, second)
	}
	committed, merged := load(t, tmpl), load(t, cfg)
	for k := range committed.Config {
		if _, ok := merged.Config[k]; !ok {
			t.Errorf("%s is committed but missing from the stack's file", k)
		}
	}
}

func TestRunSaysHowToCallIt(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-template", "Pulumi.dev.yaml"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "want -template and -config") {
		t.Errorf("run without -config = %v, want a usage error", err)
	}
	if !strings.Contains(stderr.String(), "-config") {
		t.Errorf("usage %q does not list -config", stderr.String())
	}
}
