package shared

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a TB that records what Dir asked of it instead of stopping the
// test.
type recorder struct {
	fatal, skip []string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = append(r.fatal, fmt.Sprint(args...)) }
func (r *recorder) Skip(args ...any)  { r.skip = append(r.skip, fmt.Sprint(args...)) }

func TestDirFindsTheFolderBesideTheCheckoutOrSkipsOutsideCI(t *testing.T) {
	// work/main is a checkout with shared/ beside it; fresh/main is a fresh
	// clone with nothing beside it; nowhere has no go.work at all.
	top := t.TempDir()
	mkdir := func(parts ...string) string {
		p := filepath.Join(append([]string{top}, parts...)...)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, root := range []string{mkdir("work", "main"), mkdir("fresh", "main")} {
		if err := os.WriteFile(filepath.Join(root, "go.work"), []byte("go 1.26\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := mkdir("work", "shared", "testdata", "sns-real")
	inCheckout := mkdir("work", "main", "app", "sns")
	inFreshClone := mkdir("fresh", "main", "app", "sns")
	if err := os.WriteFile(filepath.Join(top, "work", "shared", "testdata", "a-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	nowhere := mkdir("nowhere")

	const skipLine = "needs ../shared/testdata/sns-real beside the checkout (CI has it); skipping"
	tests := []struct {
		name      string
		wd        string
		folder    string
		ci        bool
		want      string
		wantSkip  string // the whole skip line
		wantFatal string // a part of the failure
	}{
		{"a package of a checkout with shared beside it gets the folder", inCheckout, "sns-real", false, want, "", ""},
		{"the same in CI", inCheckout, "sns-real", true, want, "", ""},
		{"a fresh clone skips with one line saying what it needs", inFreshClone, "sns-real", false, "", skipLine, ""},
		{"a fresh clone in CI fails naming the folder", inFreshClone, "sns-real", true, "", "",
			filepath.Join(top, "fresh", "shared", "testdata", "sns-real")},
		{"a folder missing from shared skips too", inCheckout, "transcoder-events", false, "",
			"needs ../shared/testdata/transcoder-events beside the checkout (CI has it); skipping", ""},
		{"a file where the folder should be fails in CI", inCheckout, "a-file", true, "", "", "is not a folder"},
		{"outside any checkout, CI fails saying where to run the tests", nowhere, "sns-real", true, "", "", "run the tests from inside the checkout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := new(recorder)
			got := dirIn(r, tt.wd, tt.folder, tt.ci)
			if got != tt.want {
				t.Errorf("dirIn = %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantSkip != "":
				if len(r.skip) != 1 || r.skip[0] != tt.wantSkip || len(r.fatal) != 0 {
					t.Errorf("skipped %q, failed %q; want one skip %q", r.skip, r.fatal, tt.wantSkip)
				}
			case tt.wantFatal != "":
				if len(r.fatal) != 1 || !strings.Contains(r.fatal[0], tt.wantFatal) || len(r.skip) != 0 {
					t.Errorf("failed %q, skipped %q; want one failure mentioning %q", r.fatal, r.skip, tt.wantFatal)
				}
			default:
				if len(r.fatal)+len(r.skip) != 0 {
					t.Errorf("failed %q, skipped %q; want neither", r.fatal, r.skip)
				}
			}
		})
	}
}
