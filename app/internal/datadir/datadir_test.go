package datadir_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"transcoder/app/internal/datadir"
)

func acquire(t *testing.T, dir string) *datadir.Lock {
	t.Helper()
	l, err := datadir.Acquire(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestASecondHolderIsRefusedWithTheFirstsPidAndAddress(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first := acquire(t, dir)

	tests := []struct {
		name    string
		serving string
		want    []string
	}{
		{"before the first listens", "", []string{fmt.Sprintf("pid %d", os.Getpid()), "still starting"}},
		{"once the first listens", "http://127.0.0.1:8080", []string{fmt.Sprintf("at http://127.0.0.1:8080 (pid %d)", os.Getpid())}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.serving != "" {
				if err := first.Serving(tt.serving); err != nil {
					t.Fatal(err)
				}
			}
			// flock locks an open file, not a process: a second Acquire in
			// this process conflicts exactly as another process's would.
			_, err := datadir.Acquire(dir, slog.New(slog.DiscardHandler))
			var inUse *datadir.InUseError
			if !errors.As(err, &inUse) {
				t.Fatalf("Acquire = %v, want an InUseError", err)
			}
			if inUse.Holder.PID != os.Getpid() || inUse.Holder.URL != tt.serving {
				t.Errorf("holder %+v, want pid %d at %q", inUse.Holder, os.Getpid(), tt.serving)
			}
			msg := err.Error()
			for _, want := range append(tt.want, "DATA_DIR "+dir+" is in use", "stop it, or give this one another DATA_DIR") {
				if !strings.Contains(msg, want) {
					t.Errorf("%q does not say %q", msg, want)
				}
			}
		})
	}
}

func TestAReleasedDirectoryCanBeHeldAgainAndRecordsItsNewHolder(t *testing.T) {
	dir := t.TempDir()
	first, err := datadir.Acquire(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Serving("http://127.0.0.1:8080/a-long-address-the-next-record-is-shorter-than"); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := acquire(t, dir)
	if err := second.Serving("http://127.0.0.1:9"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, datadir.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`{"pid":%d,"url":"http://127.0.0.1:9"}`+"\n", os.Getpid()); string(data) != want {
		t.Errorf("the lock file holds %q, want %q", data, want)
	}
}

func TestTheDirectoryAndItsLockFileArePrivateToTheUser(t *testing.T) {
	tests := []struct {
		name     string
		existing os.FileMode // 0: the directory does not exist yet
		warned   bool
	}{
		{"a new directory", 0, false},
		{"an existing private directory", 0o700, false},
		{"an existing directory others may read", 0o755, true},
		{"an existing directory others may write", 0o777, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if tt.existing != 0 {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, tt.existing); err != nil {
					t.Fatal(err)
				}
			}
			var log strings.Builder
			l, err := datadir.Acquire(dir, slog.New(slog.NewTextHandler(&log, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for path, want := range map[string]os.FileMode{dir: datadir.DirMode, filepath.Join(dir, datadir.LockFile): datadir.FileMode} {
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != want {
					t.Errorf("%s is %04o, want %04o", path, st.Mode().Perm(), want)
				}
			}
			if warned := strings.Contains(log.String(), "made it private"); warned != tt.warned {
				t.Errorf("logged a tightening: %v, want %v; log: %s", warned, tt.warned, log.String())
			}
			if tt.warned && !strings.Contains(log.String(), fmt.Sprintf("was=%04o", tt.existing)) {
				t.Errorf("the log does not say the old mode: %s", log.String())
			}
		})
	}
}

func TestAFileInPlaceOfTheDirectoryIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := datadir.Acquire(path, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "DATA_DIR") {
		t.Fatalf("Acquire on a file = %v, want an error naming DATA_DIR", err)
	}
}
