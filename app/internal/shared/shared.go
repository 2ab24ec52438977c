// Package shared locates the test data that is kept beside the checkout, in
// ../shared/testdata, rather than in it: real AWS-signed SNS messages and
// real transcoder job events, written by AWS and by other projects, that the
// repository must not copy.
//
// CI places that folder beside the checkout; a fresh clone has nothing beside
// it. Dir owns the one rule for both: a test that needs a folder which is not
// there is skipped with one line saying what it needs, except when the
// environment variable CI is set, where a missing folder is a broken CI set-up
// and the test fails.
package shared

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TB is the part of testing.TB that Dir uses, so that tests, benchmarks and
// fuzz targets can all call it.
type TB interface {
	Helper()
	Fatal(args ...any)
	Skip(args ...any)
}

// Dir returns the folder ../shared/testdata/<name> beside the checkout, the
// directory holding go.work found upward from the working directory (a
// package's folder when go test runs). When that folder does not exist, Dir
// skips the test, or fails it when CI is set; it returns only a folder that
// exists.
func Dir(t TB, name string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(fmt.Sprintf("shared: the working directory: %v", err))
		return ""
	}
	return dirIn(t, wd, name, os.Getenv("CI") != "")
}

// dirIn is Dir from the working directory wd, in CI or not.
func dirIn(t TB, wd, name string, ci bool) string {
	t.Helper()
	dir, err := find(wd, name)
	switch {
	case err == nil:
		return dir
	case ci:
		t.Fatal(Needs(name) + ": CI is set, so it must be there: " + err.Error())
	default:
		t.Skip(Needs(name) + " (CI has it); skipping")
	}
	return ""
}

// Lookup returns the folder ../shared/testdata/<name> beside the checkout
// holding the working directory, or why it is not there. It is for a test
// that can run without the folder, only with less (a fuzz target's extra
// seeds); a test that needs the folder calls Dir.
func Lookup(name string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("shared: the working directory: %w", err)
	}
	return find(wd, name)
}

// Needs is the line that says what a test reading the folder name needs.
func Needs(name string) string {
	return "needs ../shared/testdata/" + name + " beside the checkout"
}

// ErrNoCheckout says that no directory above the working directory holds
// go.work, so there is no checkout to look beside.
var ErrNoCheckout = errors.New("no go.work in the working directory or above it: run the tests from inside the checkout")

// find returns <checkout>/../shared/testdata/<name> for the checkout that
// holds wd, or why there is none.
func find(wd, name string) (string, error) {
	root, ok := Checkout(wd)
	if !ok {
		return "", ErrNoCheckout
	}
	dir := filepath.Join(filepath.Dir(root), "shared", "testdata", name)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return "", err // names the folder
	case !fi.IsDir():
		return "", fmt.Errorf("%s is not a folder", dir)
	}
	return dir, nil
}

// Checkout walks up from dir to the directory holding go.work: the root of
// the checkout, beside which CI puts shared/ and under which make ci-deps
// installs .tools/.
func Checkout(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
