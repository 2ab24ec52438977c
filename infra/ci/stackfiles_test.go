package ci_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// Where Pulumi keeps each stack's config, decided by Pulumi's own code from
// the committed Pulumi.yaml: never in a file git tracks, and where `make
// stack` writes it.

func project(t *testing.T) (*workspace.Project, string) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	proj, err := workspace.LoadProject(path)
	if err != nil {
		t.Fatal(err)
	}
	return proj, path
}

func git(t *testing.T, args ...string) error {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return err
}

func TestPulumiKeepsEveryStacksConfigWhereGitDoesNotLook(t *testing.T) {
	t.Parallel()
	proj, projPath := project(t)
	for _, stack := range []string{"dev", "pr-42", "prod"} {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			path := workspace.ProjectStackPath(projPath, proj, tokens.QName(stack))
			rel, err := filepath.Rel(filepath.Dir(projPath), path)
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Fatalf("Pulumi keeps %s's config at %s, outside the repository", stack, path)
			}
			if filepath.Dir(rel) == "." {
				t.Fatalf("Pulumi keeps %s's config at %s, next to Pulumi.yaml where it is committed: set stackConfigDir", stack, rel)
			}
			if err := git(t, "check-ignore", "-q", "--no-index", rel); err != nil {
				t.Errorf("git does not ignore %s, where Pulumi writes %s's salt and secrets: add its directory to .gitignore", rel, stack)
			}
			if err := git(t, "ls-files", "--error-unmatch", rel); err == nil {
				t.Errorf("git tracks %s, where Pulumi writes %s's salt and secrets", rel, stack)
			}
		})
	}
}

func TestMakeStackWritesTheFilePulumiReads(t *testing.T) {
	t.Parallel()
	proj, projPath := project(t)
	for _, stack := range []string{"dev", "pr-42"} {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("make", "-n", "--no-print-directory", "stack", "STACK="+stack, "PULUMI=pulumi")
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n stack: %v\n%s", err, out)
			}
			want := workspace.ProjectStackPath(projPath, proj, tokens.QName(stack))
			if !strings.Contains(string(out), fmt.Sprintf("test -f %q", want)) {
				t.Errorf("make stack does not look for the stack's config where Pulumi reads it, %s:\n%s", want, out)
			}
			template := filepath.Join(filepath.Dir(projPath), "Pulumi."+stack+".yaml")
			_, statErr := os.Stat(template)
			merges := strings.Contains(string(out), fmt.Sprintf("-template %q -config %q", template, want))
			switch {
			case statErr == nil && !merges:
				t.Errorf("make stack does not copy the committed %s into %s:\n%s", filepath.Base(template), want, out)
			case statErr != nil && strings.Contains(string(out), "stackconfig"):
				t.Errorf("make stack merges a template although there is no %s:\n%s", filepath.Base(template), out)
			}
		})
	}
}

// committedStackFileProblems says what in a committed stack file is secret
// or tied to one passphrase: Pulumi would have written it there.
func committedStackFileProblems(t *testing.T, proj *workspace.Project, path string) []string {
	t.Helper()
	ps, err := workspace.LoadProjectStack(diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never}), proj, path)
	if err != nil {
		return []string{fmt.Sprintf("%s: Pulumi cannot read it: %v", path, err)}
	}
	var problems []string
	for key, v := range map[string]string{"encryptionsalt": ps.EncryptionSalt, "secretsprovider": ps.SecretsProvider, "encryptedkey": ps.EncryptedKey} {
		if v != "" {
			problems = append(problems, fmt.Sprintf("%s holds %s, which belongs to one passphrase and one backend: move it to the stack's own file (make stack does)", filepath.Base(path), key))
		}
	}
	for _, k := range ps.Config.SecureKeys() {
		problems = append(problems, fmt.Sprintf("%s holds the secret %s: keep it in the stack's own file (`pulumi config set --secret %s`)", filepath.Base(path), k, k))
	}
	return problems
}

func TestCommittedStackFilesHoldNoSecrets(t *testing.T) {
	t.Parallel()
	proj, projPath := project(t)
	files, err := filepath.Glob(filepath.Join(filepath.Dir(projPath), "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no committed Pulumi.<stack>.yaml: the dev stack's shared settings are missing")
	}
	for _, f := range files {
		for _, p := range committedStackFileProblems(t, proj, f) {
			t.Error(p)
		}
	}

	t.Run("a file that an older make stack wrote into is caught", func(t *testing.T) {
		t.Parallel()
		bad := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
		content := "encryptionsalt: v1:Q0lTQUxU:v1:c2FsdHNhbHQ=:aGVsbG8=\nconfig:\n  aws:region: eu-west-1\n" +
			"  transcoder:sessionSecret:\n    secure: v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==\n"
		if err := os.WriteFile(bad, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		problems := strings.Join(committedStackFileProblems(t, proj, bad), "\n")
		for _, want := range []string{"holds encryptionsalt", "holds the secret transcoder:sessionSecret"} {
			if !strings.Contains(problems, want) {
				t.Errorf("problems %q do not say %q", problems, want)
			}
		}
	})
}
