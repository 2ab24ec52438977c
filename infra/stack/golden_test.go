package stack_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"transcoder/infra/stack"
	"transcoder/infra/stacktest"
)

var update = flag.Bool("update", false, "rewrite the golden snapshots in testdata/ instead of comparing with them")

// goldenStacks are the stacks whose every resource is snapshotted: each is
// run with its checked-in Pulumi.<stack>.yaml, so that any change to the
// program or to that configuration shows in review.
var goldenStacks = []string{"dev"}

// snapshotEntry is one resource in a golden snapshot.
type snapshotEntry struct {
	Type      string         `json:"type"`
	Name      string         `json:"name"`
	Parent    string         `json:"parent"`
	Protect   bool           `json:"protect,omitempty"`
	DependsOn []string       `json:"dependsOn,omitempty"`
	Inputs    map[string]any `json:"inputs,omitempty"`
}

func TestGoldenSnapshotOfEveryResource(t *testing.T) {
	for _, name := range goldenStacks {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			config, secure, err := stacktest.ReadStackConfig(filepath.Join("..", "..", "Pulumi."+name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			secrets := requiredSecrets()
			for _, key := range secure {
				if _, ok := secrets[key]; !ok {
					t.Fatalf("Pulumi.%s.yaml has secret %s: give it a test value in requiredSecrets", name, key)
				}
			}
			maps.Copy(config, secrets)
			res, err := stacktest.Run(stack.Program, stacktest.Options{
				Project: "transcoder", Stack: name, Config: config, Secrets: secretKeys,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := snapshot(t, res)

			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (create it with: go test ./infra/stack -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the %s stack differs from %s:\n%s\nIf the change is intended, regenerate it with\n"+
					"  go test ./infra/stack -run TestGolden -update\nand commit the diff.", name, path, lineDiff(string(want), string(got)))
			}
		})
	}
}

// snapshot renders every resource with its inputs, secrets masked and JSON
// documents (policies, patterns) expanded so that a diff shows which
// statement changed.
func snapshot(t *testing.T, res *stacktest.Result) []byte {
	t.Helper()
	// Each component comes first, then its children, as `pulumi preview`
	// shows the tree.
	rs := slices.Clone(res.Resources)
	group := func(r stacktest.Resource) string {
		if !r.Custom {
			return r.Name
		}
		return r.Parent
	}
	slices.SortStableFunc(rs, func(a, b stacktest.Resource) int {
		if c := strings.Compare(group(a), group(b)); c != 0 {
			return c
		}
		if a.Custom != b.Custom {
			if !a.Custom {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	entries := make([]snapshotEntry, 0, len(rs))
	for _, r := range rs {
		e := snapshotEntry{Type: r.Type, Name: r.Name, Parent: r.Parent, Protect: r.Protect}
		for _, d := range r.DependsOn {
			if d != r.Parent {
				e.DependsOn = append(e.DependsOn, d)
			}
		}
		if len(r.Inputs) > 0 {
			e.Inputs = expandJSON(stacktest.Plain(resource.NewProperty(r.Inputs), false)).(map[string]any)
		}
		entries = append(entries, e)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(entries); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func expandJSON(v any) any {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "{") || strings.HasPrefix(x, "[") {
			var doc any
			if json.Unmarshal([]byte(x), &doc) == nil {
				return map[string]any{"(json)": doc}
			}
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = expandJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = expandJSON(e)
		}
		return x
	}
	return v
}

// lineDiff shows the lines that differ, with a little context, without
// depending on a diff tool.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	// Trim the common head and tail; show the middle of each.
	head := 0
	for head < len(w) && head < len(g) && w[head] == g[head] {
		head++
	}
	tail := 0
	for tail < len(w)-head && tail < len(g)-head && w[len(w)-1-tail] == g[len(g)-1-tail] {
		tail++
	}
	var b strings.Builder
	from := max(0, head-3)
	b.WriteString("@@ line " + strconv.Itoa(from+1) + "\n")
	for _, l := range w[from:head] {
		b.WriteString("  " + l + "\n")
	}
	for _, l := range limit(w[head : len(w)-tail]) {
		b.WriteString("- " + l + "\n")
	}
	for _, l := range limit(g[head : len(g)-tail]) {
		b.WriteString("+ " + l + "\n")
	}
	return b.String()
}

func limit(lines []string) []string {
	if len(lines) > 60 {
		return append(lines[:60:60], "... ("+strconv.Itoa(len(lines)-60)+" more lines)")
	}
	return lines
}
