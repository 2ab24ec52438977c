package atomicfile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"transcoder/app/atomicfile"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteLeavesExactlyTheNewContentWithTheModeAsked(t *testing.T) {
	tests := []struct {
		name string
		old  []byte // nil: no file before
		data []byte
		perm fs.FileMode
	}{
		{"a new private file is made", nil, []byte("secret\n"), 0o600},
		{"an existing file is replaced whole by a shorter one", []byte("a much longer old content\n"), []byte("new\n"), 0o600},
		{"a readable file keeps the mode asked, whatever the umask", nil, []byte("{}"), 0o644},
		{"empty content makes an empty file", []byte("old"), []byte{}, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state")
			if tt.old != nil {
				if err := os.WriteFile(path, tt.old, 0o666); err != nil {
					t.Fatal(err)
				}
			}
			if err := atomicfile.Write(path, tt.data, tt.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != string(tt.data) {
				t.Fatalf("content = %q, %v; want %q", got, err, tt.data)
			}
			st, err := os.Stat(path)
			if err != nil || st.Mode().Perm() != tt.perm {
				t.Fatalf("mode = %v, %v; want %v", st.Mode().Perm(), err, tt.perm)
			}
			if n := names(t, dir); len(n) != 1 || n[0] != "state" {
				t.Fatalf("the directory holds %q, want only the file (no temporary file left)", n)
			}
		})
	}
}

func TestAFailedWriteLeavesTheOldFileAndNoTemporaryOne(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory at the path: the rename over it fails after
	// the temporary file is written.
	path := filepath.Join(dir, "state")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "inside"), []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, []byte("new"), 0o600); err == nil {
		t.Fatal("Write over a non-empty directory succeeded, want an error")
	}
	if n := names(t, dir); len(n) != 1 || n[0] != "state" {
		t.Fatalf("the directory holds %q, want only what was there", n)
	}
	if got, err := os.ReadFile(filepath.Join(path, "inside")); err != nil || string(got) != "kept" {
		t.Fatalf("what was at the path changed: %q, %v", got, err)
	}
}

func TestWriteIntoAMissingDirectoryNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "state")
	err := atomicfile.Write(path, []byte("x"), 0o600)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want one naming %s", err, path)
	}
}
