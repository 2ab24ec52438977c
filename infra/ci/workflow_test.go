// Package ci checks the GitHub Actions workflows, which cannot run here:
// every one must lint clean, keep the invariants the stacks rely on (see
// invariants_test.go) and do what the README promises.
package ci_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
		Uses  string `yaml:"uses"`
		Needs needs  `yaml:"needs"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// needs is a job's needs, written as one job or as a list.
type needs []string

func (n *needs) UnmarshalYAML(v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode {
		*n = needs{v.Value}
		return nil
	}
	var list []string
	if err := v.Decode(&list); err != nil {
		return err
	}
	*n = list
	return nil
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

	// A repository without its secrets and variables is told which to set
	// before any job touches a stack.
	if wf.Jobs["setup"].Uses != "./.github/workflows/infra-setup.yml" {
		t.Errorf("the setup job uses %q, want the set-up check ./.github/workflows/infra-setup.yml", wf.Jobs["setup"].Uses)
	}
	for _, job := range []string{"preview", "deploy", "destroy"} {
		if !slices.Contains(wf.Jobs[job].Needs, "setup") {
			t.Errorf("job %s does not wait for the set-up check (needs %v)", job, wf.Jobs[job].Needs)
		}
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

func TestTheDriftWorkflowReadsTheSharedStacksBackEveryDayAndOnDemand(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "infra-drift.yml"))
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, "infra-drift.yml", b)
	var scheduled, onDemand bool
	for _, ev := range p.wf.On {
		switch e := ev.(type) {
		case *actionlint.ScheduledEvent:
			scheduled = len(e.Schedules) > 0
		case *actionlint.WorkflowDispatchEvent:
			onDemand = true
		}
	}
	if !scheduled || !onDemand {
		t.Errorf("runs on a schedule: %v, on demand: %v; want both", scheduled, onDemand)
	}

	// The drift job previews each stack against the cloud, and fails on
	// any change, after the offline tests (the policy) pass.
	job := p.wf.Jobs["drift"]
	if job == nil {
		t.Fatal("no drift job")
	}
	var previews []string
	for _, s := range steps(p.wf, "drift") {
		if strings.Contains(s.run, "--expect-no-changes") {
			previews = append(previews, s.run)
		}
	}
	if len(previews) != 1 {
		t.Fatalf("%d steps check for changes, want 1", len(previews))
	}
	for _, flag := range []string{"pulumi preview", "--refresh", "--expect-no-changes", `--stack "$STACK"`} {
		if !strings.Contains(previews[0], flag) {
			t.Errorf("the drift check %q does not use %s", previews[0], flag)
		}
	}
	if job.Strategy == nil || job.Strategy.Matrix == nil || !strings.Contains(p.raw, `stack: ${{ fromJSON(vars.DRIFT_STACKS || '["dev"]') }}`) {
		t.Error(`the drift job does not check vars.DRIFT_STACKS, by default ["dev"]`)
	}
	if envOf(job.Env)["STACK"] != "${{ matrix.stack }}" {
		t.Errorf("STACK is %q, want the matrix's stack", envOf(job.Env)["STACK"])
	}
	var needsPolicy bool
	for _, n := range job.Needs {
		needsPolicy = needsPolicy || str(n) == "policy"
	}
	var tests bool
	for _, s := range steps(p.wf, "policy") {
		tests = tests || strings.Contains(s.run, "go test ./infra/...")
	}
	if !needsPolicy || !tests {
		t.Errorf("the drift job does not wait for the offline tests of the program (needs policy: %v, policy tests: %v)", needsPolicy, tests)
	}

	// `pulumi refresh --expect-no-changes` would write what it found into the
	// state, and so hide the drift from the next run.
	for _, job := range jobIDs(p.wf) {
		for _, s := range steps(p.wf, job) {
			if regexp.MustCompile(`pulumi\s+refresh\b`).MatchString(s.run) && !strings.Contains(s.run, "--preview-only") {
				t.Errorf("%s refreshes the state itself: %q", s, s.run)
			}
		}
	}
}
