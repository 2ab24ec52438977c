package ci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The set-up check's script, run by bash as the runner runs it (bash -e),
// with the repository's secrets and variables as its environment.
func TestTheSetUpCheckNamesEveryMissingSecretAndVariable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "infra-setup.yml"))
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, "infra-setup.yml", b)
	var script string
	for _, s := range steps(p.wf, "check") {
		script += s.run
	}
	if script == "" {
		t.Fatal("the set-up check runs no script")
	}
	// Every variable the script reads comes from the job's env, wired to
	// the secret or variable of the same name.
	for name, want := range stackEnv {
		if got := envOf(p.wf.Jobs["check"].Env)[name]; got != want {
			t.Errorf("the check reads %s from %q, want %s", name, got, want)
		}
	}

	complete := map[string]string{
		"PULUMI_BACKEND_URL":       "s3://state",
		"PULUMI_CONFIG_PASSPHRASE": "correct horse",
		"AWS_ROLE_ARN":             "arn:aws:iam::123456789012:role/ci",
	}
	with := func(changes map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range complete {
			env[k] = v
		}
		for k, v := range changes {
			env[k] = v
		}
		return env
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		missing []string // what the errors must name; none means it passes
	}{
		{"a repository with a backend, a passphrase and a role passes", complete, nil},
		{"Pulumi Cloud's token stands in for a backend URL",
			with(map[string]string{"PULUMI_BACKEND_URL": "", "PULUMI_ACCESS_TOKEN": "pul-123"}), nil},
		{"a KMS secrets provider stands in for a passphrase",
			with(map[string]string{"PULUMI_CONFIG_PASSPHRASE": "", "PULUMI_SECRETS_PROVIDER": "awskms://alias/k?region=eu-west-1"}), nil},
		{"a fresh fork is told all three",
			map[string]string{}, []string{"variable PULUMI_BACKEND_URL", "secret PULUMI_CONFIG_PASSPHRASE", "variable AWS_ROLE_ARN"}},
		{"a missing role alone is named alone",
			with(map[string]string{"AWS_ROLE_ARN": ""}), []string{"variable AWS_ROLE_ARN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("bash", "-e", "-c", script)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			for k, v := range tc.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if tc.missing == nil {
				if err != nil || len(out) > 0 {
					t.Errorf("the check failed (%v):\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Errorf("the check passed, want it to name %q:\n%s", tc.missing, out)
			}
			count := strings.Count(string(out), "::error::")
			if count != len(tc.missing) {
				t.Errorf("%d errors, want %d:\n%s", count, len(tc.missing), out)
			}
			for _, m := range tc.missing {
				if !strings.Contains(string(out), "::error::Set the repository "+m) {
					t.Errorf("the errors do not name %s:\n%s", m, out)
				}
			}
		})
	}
}
