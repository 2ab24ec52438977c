// Package ci checks the GitHub Actions workflows, which cannot run here:
// they must lint clean and do what the README promises of pull requests.
package ci_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// root is the repository root, seen from infra/ci.
var root = filepath.Join("..", "..")

func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, ".github", "workflows", pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no workflow in .github/workflows")
	}
	return files
}

func TestEveryWorkflowLintsClean(t *testing.T) {
	t.Parallel()
	opts := &actionlint.LinterOptions{WorkingDir: root}
	// shellcheck, where installed, also checks the run: scripts.
	if path, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = path
	}
	var out bytes.Buffer
	linter, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.LintFiles(workflowFiles(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
}

// workflow is the part of a workflow file the behaviour test reads.
type workflow struct {
	On struct {
		PullRequest struct {
			Types []string `yaml:"types"`
		} `yaml:"pull_request"`
	} `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		If    string `yaml:"if"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func TestThePullRequestWorkflowPreviewsDeploysOnDemandAndDestroysOnClose(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "infra-pr.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{"opened", "synchronize", "labeled", "closed"} {
		if !slices.Contains(wf.On.PullRequest.Types, ev) {
			t.Errorf("does not run when a pull request is %s", ev)
		}
	}
	if wf.Env["PR_STACK"] != "pr-${{ github.event.pull_request.number }}" {
		t.Errorf("PR_STACK is %q, want pr-<number>", wf.Env["PR_STACK"])
	}

	// pulumi finds the command a job gives pulumi/actions.
	pulumi := func(job string) map[string]string {
		for _, s := range wf.Jobs[job].Steps {
			if strings.HasPrefix(s.Uses, "pulumi/actions@") && s.With["command"] != "" {
				return s.With
			}
		}
		t.Fatalf("job %s runs no pulumi command", job)
		return nil
	}
	if p := pulumi("preview"); p["command"] != "preview" || p["comment-on-pr"] != "true" {
		t.Errorf("preview job: %v, want a preview commented on the pull request", p)
	}
	if p := pulumi("deploy"); p["command"] != "up" || p["stack-name"] != "${{ env.PR_STACK }}" {
		t.Errorf("deploy job: %v, want up on the pull request's stack", p)
	}
	if !strings.Contains(wf.Jobs["deploy"].If, "labels") {
		t.Errorf("deploy runs on every pull request (if: %q), want on demand by label", wf.Jobs["deploy"].If)
	}
	if p := pulumi("destroy"); p["command"] != "destroy" || p["stack-name"] != "${{ env.PR_STACK }}" || p["remove"] != "true" {
		t.Errorf("destroy job: %v, want destroy and remove of the pull request's stack", p)
	}
	if !strings.Contains(wf.Jobs["destroy"].If, "'closed'") {
		t.Errorf("destroy does not run on close (if: %q)", wf.Jobs["destroy"].If)
	}

	// The pull request's stack must be ephemeral, or destroy would stop at
	// protected resources.
	var configured bool
	for _, s := range wf.Jobs["deploy"].Steps {
		configured = configured || strings.Contains(s.Run, "transcoder:ephemeral true")
	}
	if !configured {
		t.Error("the deploy job does not make the pull-request stack ephemeral")
	}
}
