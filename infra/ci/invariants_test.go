package ci_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// The invariants every workflow keeps, whatever it does: each one is a check
// that returns what is wrong, run on the real workflows (which must pass) and
// on broken ones (which must not).

// step is one step of a job, flattened for the checks.
type step struct {
	job, name string
	run       string            // the script of a run step
	uses      string            // the action of a uses step
	with      map[string]string // its inputs, by name as written
	env       map[string]string // the step's own env, by name as written
}

func (s step) String() string {
	name := s.name
	if name == "" {
		name = s.uses
	}
	return fmt.Sprintf("job %s, step %q", s.job, name)
}

// parsed is a workflow read by actionlint's own parser.
type parsed struct {
	file string
	wf   *actionlint.Workflow
	raw  string
}

func parse(t *testing.T, file string, b []byte) parsed {
	t.Helper()
	wf, errs := actionlint.Parse(b)
	if len(errs) > 0 {
		t.Fatalf("%s does not parse: %v", file, errs[0])
	}
	return parsed{file: file, wf: wf, raw: string(b)}
}

func workflows(t *testing.T) []parsed {
	t.Helper()
	var out []parsed
	for _, f := range workflowFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, parse(t, filepath.Base(f), b))
	}
	return out
}

func str(s *actionlint.String) string {
	if s == nil {
		return ""
	}
	return s.Value
}

func envOf(e *actionlint.Env) map[string]string {
	m := map[string]string{}
	if e == nil {
		return m
	}
	for _, v := range e.Vars {
		m[str(v.Name)] = str(v.Value)
	}
	return m
}

// jobIDs lists a workflow's jobs in a stable order.
func jobIDs(wf *actionlint.Workflow) []string {
	ids := make([]string, 0, len(wf.Jobs))
	for id := range wf.Jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func steps(wf *actionlint.Workflow, job string) []step {
	var out []step
	for _, s := range wf.Jobs[job].Steps {
		st := step{job: job, name: str(s.Name), env: envOf(s.Env), with: map[string]string{}}
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			st.run = str(e.Run)
		case *actionlint.ExecAction:
			st.uses = str(e.Uses)
			for _, in := range e.Inputs {
				st.with[str(in.Name)] = str(in.Value)
			}
		}
		out = append(out, st)
	}
	return out
}

var (
	// makeStack is `make stack STACK="$X"`, the only way a stack is prepared.
	makeStack = regexp.MustCompile(`\bmake\s+stack\s+STACK="?\$\{?(\w+)\}?"?`)
	// stackCommand is a pulumi command that reads or writes one stack.
	stackCommand = regexp.MustCompile(`\bpulumi\s+(preview|up|update|destroy|refresh|import|config|stack\s+(?:output|export|import|tag|rm|history))\b[^\n]*`)
	stackFlag    = regexp.MustCompile(`--stack\s+"?\$\{?(\w+)\}?"?`)
	envRef       = regexp.MustCompile(`^\$\{\{\s*env\.(\w+)\s*\}\}$`)
)

// checkStacksArePreparedFirst: every step that runs a pulumi command on a
// stack comes after a `make stack` of that same stack in its job, which
// creates the stack if need be and restores its config and secrets; without
// it, a fresh repository has no stack and a new runner has no salt.
func checkStacksArePreparedFirst(p parsed) []string {
	var problems []string
	for _, job := range jobIDs(p.wf) {
		prepared := map[string]bool{}
		for _, s := range steps(p.wf, job) {
			if m := makeStack.FindAllStringSubmatch(s.run, -1); m != nil {
				for _, g := range m {
					prepared[g[1]] = true
				}
				continue
			}
			var targets []string
			if strings.HasPrefix(s.uses, "pulumi/actions@") && s.with["command"] != "" {
				m := envRef.FindStringSubmatch(s.with["stack-name"])
				if m == nil {
					problems = append(problems, fmt.Sprintf("%s: %s runs pulumi %s on stack-name %q, want ${{ env.NAME }} of a stack prepared by `make stack`",
						p.file, s, s.with["command"], s.with["stack-name"]))
					continue
				}
				targets = append(targets, m[1])
			}
			for _, cmd := range stackCommand.FindAllString(s.run, -1) {
				m := stackFlag.FindStringSubmatch(cmd)
				if m == nil {
					problems = append(problems, fmt.Sprintf("%s: %s runs %q without --stack \"$NAME\"", p.file, s, cmd))
					continue
				}
				targets = append(targets, m[1])
			}
			for _, st := range targets {
				if !prepared[st] {
					problems = append(problems, fmt.Sprintf("%s: %s uses stack $%s before `make stack STACK=\"$%s\"` in its job", p.file, s, st, st))
				}
			}
		}
	}
	return problems
}

var (
	stackFile = regexp.MustCompile(`Pulumi\.[\w.${}\-]*\.ya?ml`)
	// A stack is created only by `make stack`, which knows where its config goes.
	creates = regexp.MustCompile(`\bpulumi\s+stack\s+(init|select\s+[^\n]*--create|select\s+-c)\b`)
)

// checkNoStackFileInTheCheckout: no workflow names a stack config file,
// points Pulumi at another one, or creates a stack behind `make stack`'s
// back. Pulumi then writes only the file Pulumi.yaml's stackConfigDir names,
// which git ignores, so no run can leave a salt or a secret in a tracked file.
func checkNoStackFileInTheCheckout(p parsed) []string {
	var problems []string
	for _, job := range jobIDs(p.wf) {
		for _, s := range steps(p.wf, job) {
			text := s.run + "\n" + strings.Join(mapValues(s.with), "\n")
			switch {
			case stackFile.MatchString(text):
				problems = append(problems, fmt.Sprintf("%s: %s names a stack file (%s): let `make stack` and Pulumi.yaml's stackConfigDir place it", p.file, s, stackFile.FindString(text)))
			case strings.Contains(text, "--config-file"):
				problems = append(problems, fmt.Sprintf("%s: %s passes --config-file: stack config goes where Pulumi.yaml's stackConfigDir says", p.file, s))
			case strings.Contains(text, "encryptionsalt"):
				problems = append(problems, fmt.Sprintf("%s: %s handles an encryptionsalt itself: `make stack` restores it from the backend", p.file, s))
			case creates.MatchString(s.run):
				problems = append(problems, fmt.Sprintf("%s: %s creates a stack (%s): use `make stack`, which also restores its config", p.file, s, creates.FindString(s.run)))
			case (strings.HasPrefix(s.uses, "actions/upload-artifact@") || strings.HasPrefix(s.uses, "actions/cache@")) && strings.Contains(s.with["path"], ".pulumi-state"):
				problems = append(problems, fmt.Sprintf("%s: %s publishes %s, which holds the stacks' salts and secrets", p.file, s, s.with["path"]))
			case strings.HasPrefix(s.uses, "pulumi/actions@") && s.with["upsert"] == "true":
				problems = append(problems, fmt.Sprintf("%s: %s creates its stack with upsert: use `make stack`, which also restores its config", p.file, s))
			}
		}
	}
	return problems
}

func mapValues(m map[string]string) []string {
	var vs []string
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

// randomness is any way a script could make up a secret.
var randomness = regexp.MustCompile(`/dev/u?random|openssl\s+rand|uuidgen|\$RANDOM|mktemp -u`)

// checkSecretsAreMadeOnlyByMakeStack: no workflow generates a secret: `make
// stack` generates one only when the stack has never had it, so a
// pull-request stack's session secret survives every push. A script that
// made its own would rotate it on every run.
func checkSecretsAreMadeOnlyByMakeStack(p parsed) []string {
	var problems []string
	for _, job := range jobIDs(p.wf) {
		for _, s := range steps(p.wf, job) {
			if m := randomness.FindString(s.run); m != "" {
				problems = append(problems, fmt.Sprintf("%s: %s makes up a value with %s: secrets come from the stack's config (make stack) or from repository secrets", p.file, s, m))
			}
		}
	}
	return problems
}

// sensitive names an environment variable that must come from secrets.
var sensitive = regexp.MustCompile(`(PASSPHRASE|TOKEN|PASSWORD|SECRET_ACCESS_KEY|_SECRET)$`)

// checkCredentials: passphrases and tokens come from repository secrets, never
// from variables or literals; AWS is reached only by assuming a role through
// OIDC (no access keys), with id-token: write granted.
func checkCredentials(p parsed) []string {
	var problems []string
	fromSecrets := regexp.MustCompile(`^\$\{\{\s*secrets\.\w+\s*\}\}$`)
	checkEnv := func(where string, env map[string]string) {
		for name, v := range env {
			if sensitive.MatchString(name) && !fromSecrets.MatchString(v) {
				problems = append(problems, fmt.Sprintf("%s: %s sets %s to %q, want ${{ secrets.%s }}", p.file, where, name, v, name))
			}
		}
	}
	checkEnv("the workflow", envOf(p.wf.Env))
	for _, job := range jobIDs(p.wf) {
		j := p.wf.Jobs[job]
		checkEnv("job "+job, envOf(j.Env))
		for _, s := range steps(p.wf, job) {
			checkEnv(s.String(), s.env)
			if !strings.HasPrefix(s.uses, "aws-actions/configure-aws-credentials@") {
				continue
			}
			for _, in := range []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} {
				if _, ok := s.with[in]; ok {
					problems = append(problems, fmt.Sprintf("%s: %s passes %s: assume vars.AWS_ROLE_ARN through OIDC instead", p.file, s, in))
				}
			}
			if !regexp.MustCompile(`^\$\{\{\s*vars\.AWS_ROLE_ARN\s*\}\}$`).MatchString(s.with["role-to-assume"]) {
				problems = append(problems, fmt.Sprintf("%s: %s assumes role %q, want ${{ vars.AWS_ROLE_ARN }}", p.file, s, s.with["role-to-assume"]))
			}
			if !grants(p.wf.Permissions, j.Permissions, "id-token", "write") {
				problems = append(problems, fmt.Sprintf("%s: job %s assumes a role through OIDC without permissions: id-token: write", p.file, job))
			}
		}
	}
	return problems
}

// stackEnv is what `make stack` and pulumi read from the environment, and
// where each must come from.
var stackEnv = map[string]string{
	"PULUMI_BACKEND_URL":       "${{ vars.PULUMI_BACKEND_URL }}",
	"PULUMI_ACCESS_TOKEN":      "${{ secrets.PULUMI_ACCESS_TOKEN }}",
	"PULUMI_CONFIG_PASSPHRASE": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
	"PULUMI_SECRETS_PROVIDER":  "${{ vars.PULUMI_SECRETS_PROVIDER }}",
}

// checkStackJobsReachTheSharedBackend: every job that prepares a stack has
// the shared backend and the stacks' secrets provider, as the README's table
// says, in its environment; without them pulumi would fall back to Pulumi
// Cloud, or prompt for a passphrase and hang.
func checkStackJobsReachTheSharedBackend(p parsed) []string {
	var problems []string
	names := make([]string, 0, len(stackEnv))
	for n := range stackEnv {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, job := range jobIDs(p.wf) {
		prepares := false
		for _, s := range steps(p.wf, job) {
			prepares = prepares || makeStack.MatchString(s.run)
		}
		if !prepares {
			continue
		}
		env := envOf(p.wf.Env)
		for k, v := range envOf(p.wf.Jobs[job].Env) {
			env[k] = v
		}
		for _, n := range names {
			if got, ok := env[n]; !ok || got != stackEnv[n] {
				problems = append(problems, fmt.Sprintf("%s: job %s runs `make stack` with %s=%q, want %s in the workflow's or the job's env", p.file, job, n, got, stackEnv[n]))
			}
		}
	}
	return problems
}

// grants reports whether a job's permissions (its own, or else the
// workflow's) give scope the access.
func grants(workflow, job *actionlint.Permissions, scope, access string) bool {
	p := job
	if p == nil {
		p = workflow
	}
	if p == nil {
		return false
	}
	if all := str(p.All); all != "" {
		return all == access || all == "write-all" && access == "write"
	}
	s, ok := p.Scopes[scope]
	return ok && str(s.Value) == access
}

// contextRef is a repository secret or variable a workflow reads.
var contextRef = regexp.MustCompile(`\b(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)`)

// referenced lists every secrets.X and vars.X the workflows read, but
// GITHUB_TOKEN, which GitHub provides.
func referenced(ps []parsed) map[string][]string {
	refs := map[string][]string{}
	for _, p := range ps {
		for _, m := range contextRef.FindAllStringSubmatch(p.raw, -1) {
			name := m[1] + "." + m[2]
			if name == "secrets.GITHUB_TOKEN" || slices.Contains(refs[name], p.file) {
				continue
			}
			refs[name] = append(refs[name], p.file)
		}
	}
	return refs
}

// documented lists the secrets and variables in the first column of the
// README's deploy section's tables.
func documented(readme string) map[string]bool {
	row := regexp.MustCompile("(?m)^\\|\\s*`((?:secrets|vars)\\.[A-Za-z_][A-Za-z0-9_]*)`")
	docs := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(readme, -1) {
		docs[m[1]] = true
	}
	return docs
}

// checkEverySecretIsDocumented: the README's table names exactly the
// secrets and variables the workflows read, so that whoever forks the
// repository knows what to set, and a stale row does not send them chasing
// one nothing reads.
func checkEverySecretIsDocumented(readme string, ps []parsed) []string {
	var problems []string
	refs, docs := referenced(ps), documented(readme)
	var names []string
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !docs[n] {
			problems = append(problems, fmt.Sprintf("%s reads %s, which README.md's deploy section does not list in its table of secrets and variables", strings.Join(refs[n], ", "), n))
		}
	}
	var rows []string
	for n := range docs {
		rows = append(rows, n)
	}
	sort.Strings(rows)
	for _, n := range rows {
		if refs[n] == nil {
			problems = append(problems, fmt.Sprintf("README.md lists %s, which no workflow reads: remove the row or use it", n))
		}
	}
	return problems
}

// deploySection is the README between its deploy markers.
func deploySection(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	begin, end := strings.Index(s, "<!-- deploy:begin -->"), strings.Index(s, "<!-- deploy:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md has no <!-- deploy:begin --> ... <!-- deploy:end --> section")
	}
	return s[begin:end]
}

func TestEveryWorkflowKeepsTheInvariants(t *testing.T) {
	t.Parallel()
	ps := workflows(t)
	for _, p := range ps {
		for _, check := range []func(parsed) []string{
			checkStacksArePreparedFirst, checkNoStackFileInTheCheckout,
			checkSecretsAreMadeOnlyByMakeStack, checkCredentials, checkStackJobsReachTheSharedBackend,
		} {
			for _, problem := range check(p) {
				t.Error(problem)
			}
		}
	}
	for _, problem := range checkEverySecretIsDocumented(deploySection(t), ps) {
		t.Error(problem)
	}
}

// A workflow that breaks each invariant once, so that each check is seen to
// fail.
func TestTheInvariantChecksCatchWhatTheyAreFor(t *testing.T) {
	t.Parallel()
	const head = "on: push\npermissions:\n  id-token: write\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
	for _, tc := range []struct {
		name  string
		steps string
		check func(parsed) []string
		want  string // a substring of the one problem expected; "" for none
	}{
		{"a preview of a stack nobody prepared is caught",
			"      - uses: pulumi/actions@v6\n        with:\n          command: preview\n          stack-name: ${{ env.S }}\n",
			checkStacksArePreparedFirst, "uses stack $S before `make stack"},
		{"a stack prepared under another name does not count",
			"      - run: make stack STACK=\"$T\"\n      - run: pulumi up --stack \"$S\" --yes\n",
			checkStacksArePreparedFirst, "uses stack $S before"},
		{"a pulumi command that names no stack is caught",
			"      - run: make stack STACK=\"$S\"\n      - run: pulumi config set aws:region eu-west-1\n",
			checkStacksArePreparedFirst, "without --stack"},
		{"a literal stack name in the action is caught",
			"      - uses: pulumi/actions@v6\n        with:\n          command: up\n          stack-name: dev\n",
			checkStacksArePreparedFirst, `stack-name "dev"`},
		{"a stack prepared first passes",
			"      - run: make stack STACK=\"$S\"\n      - run: pulumi config set --stack \"$S\" aws:region eu-west-1\n      - uses: pulumi/actions@v6\n        with:\n          command: up\n          stack-name: ${{ env.S }}\n",
			checkStacksArePreparedFirst, ""},
		{"writing a stack file into the checkout is caught",
			"      - run: printf x > Pulumi.pr-1.yaml\n",
			checkNoStackFileInTheCheckout, "names a stack file (Pulumi.pr-1.yaml)"},
		{"a stack file named through a variable is caught",
			"      - run: cp \"$RUNNER_TEMP/cfg\" \"Pulumi.${PR_STACK}.yaml\"\n",
			checkNoStackFileInTheCheckout, "names a stack file"},
		{"another config file is caught",
			"      - run: pulumi up --stack \"$S\" --config-file /tmp/x.yaml\n",
			checkNoStackFileInTheCheckout, "--config-file"},
		{"creating a stack outside make stack is caught",
			"      - run: pulumi stack select --create \"$S\"\n",
			checkNoStackFileInTheCheckout, "creates a stack"},
		{"creating a stack with the action's upsert is caught",
			"      - uses: pulumi/actions@v6\n        with:\n          command: up\n          stack-name: ${{ env.S }}\n          upsert: true\n",
			checkNoStackFileInTheCheckout, "upsert"},
		{"publishing the stacks' config as an artifact is caught",
			"      - uses: actions/upload-artifact@v4\n        with:\n          name: state\n          path: infra/.pulumi-state/config\n",
			checkNoStackFileInTheCheckout, "publishes infra/.pulumi-state/config"},
		{"a session secret made up on every run is caught",
			"      - run: pulumi config set --stack \"$S\" --secret transcoder:sessionSecret \"$(od -An -N32 -tx1 /dev/urandom)\"\n",
			checkSecretsAreMadeOnlyByMakeStack, "/dev/urandom"},
		{"a token from openssl is caught",
			"      - run: echo \"$(openssl rand -hex 16)\"\n",
			checkSecretsAreMadeOnlyByMakeStack, "openssl rand"},
		{"a passphrase from a variable is caught",
			"      - run: make stack STACK=\"$S\"\n        env:\n          PULUMI_CONFIG_PASSPHRASE: ${{ vars.PULUMI_CONFIG_PASSPHRASE }}\n",
			checkCredentials, "want ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"},
		{"static AWS keys are caught",
			"      - uses: aws-actions/configure-aws-credentials@v5\n        with:\n          role-to-assume: ${{ vars.AWS_ROLE_ARN }}\n          aws-access-key-id: ${{ secrets.KEY_ID }}\n",
			checkCredentials, "passes aws-access-key-id"},
		{"a role from elsewhere is caught",
			"      - uses: aws-actions/configure-aws-credentials@v5\n        with:\n          role-to-assume: arn:aws:iam::123456789012:role/ci\n",
			checkCredentials, "want ${{ vars.AWS_ROLE_ARN }}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			problems := tc.check(parse(t, "broken.yml", []byte(head+tc.steps)))
			switch {
			case tc.want == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", problems)
			case tc.want != "" && (len(problems) != 1 || !strings.Contains(problems[0], tc.want)):
				t.Errorf("problems %q, want one saying %q", problems, tc.want)
			}
		})
	}

	t.Run("a job preparing a stack without the shared backend is caught", func(t *testing.T) {
		t.Parallel()
		wf := "on: push\nenv:\n  PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}\n  PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}\n" +
			"  PULUMI_SECRETS_PROVIDER: ${{ vars.PULUMI_SECRETS_PROVIDER }}\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make stack STACK=\"$S\"\n"
		problems := checkStackJobsReachTheSharedBackend(parse(t, "broken.yml", []byte(wf)))
		if len(problems) != 1 || !strings.Contains(problems[0], "PULUMI_BACKEND_URL") {
			t.Errorf("problems %q, want one about PULUMI_BACKEND_URL", problems)
		}
	})

	t.Run("OIDC without id-token: write is caught", func(t *testing.T) {
		t.Parallel()
		wf := "on: push\npermissions:\n  contents: read\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n" +
			"      - uses: aws-actions/configure-aws-credentials@v5\n        with:\n          role-to-assume: ${{ vars.AWS_ROLE_ARN }}\n"
		if problems := checkCredentials(parse(t, "broken.yml", []byte(wf))); len(problems) != 1 || !strings.Contains(problems[0], "id-token: write") {
			t.Errorf("problems %q, want one about id-token: write", problems)
		}
	})
}

func TestTheSecretsTableMustMatchTheWorkflows(t *testing.T) {
	t.Parallel()
	wf := parse(t, "a.yml", []byte("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"$X\"\n        env:\n          X: ${{ secrets.USED }}${{ vars.ALSO_USED }}${{ secrets.GITHUB_TOKEN }}\n"))
	for _, tc := range []struct {
		name, readme string
		want         []string
	}{
		{"a table naming exactly what is read passes",
			"| name | meaning |\n|---|---|\n| `secrets.USED` | x |\n| `vars.ALSO_USED` | y |\n", nil},
		{"a secret read but not listed is caught",
			"| `vars.ALSO_USED` | y |\n", []string{"reads secrets.USED, which README.md"}},
		{"a row nothing reads is caught",
			"| `secrets.USED` | x |\n| `vars.ALSO_USED` | y |\n| `secrets.STALE` | z |\n", []string{"lists secrets.STALE, which no workflow reads"}},
		{"a name mentioned in prose is not a row",
			"Set `secrets.USED` and `vars.ALSO_USED`.\n", []string{"secrets.USED", "vars.ALSO_USED"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			problems := checkEverySecretIsDocumented(tc.readme, []parsed{wf})
			if len(problems) != len(tc.want) {
				t.Fatalf("problems %q, want %d", problems, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.Contains(problems[i], want) {
					t.Errorf("problem %q does not say %q", problems[i], want)
				}
			}
		})
	}
}
