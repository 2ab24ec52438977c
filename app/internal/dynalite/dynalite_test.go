package dynalite

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestStartServesDynamoDBUntilStopped(t *testing.T) {
	endpoint, stop, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	})
	if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables against %s: %v", endpoint, err)
	}

	stop()
	stop() // a second stop is harmless
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if conn, err := net.Dial("tcp", u.Host); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after stop", endpoint)
	}
}

// fakeDynalite writes a shell script that stands in for dynalite.
func fakeDynalite(t *testing.T, script string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in dynalite is a shell script: this test runs on every system but Windows")
	}
	bin := filepath.Join(t.TempDir(), "dynalite")
	mustWrite(t, bin, "#!/bin/sh\n"+script)
	return bin
}

func TestStartReportsWhatAFailingDynalitePrinted(t *testing.T) {
	bin := fakeDynalite(t, "echo 'Error: Cannot find module leveldown' >&2\nexit 1\n")
	_, _, err := start(bin)
	if err == nil || !strings.Contains(err.Error(), "Cannot find module leveldown") {
		t.Errorf("start of a dynalite that exits = %v, want an error quoting its stderr", err)
	}
}

func TestStartTriesAnotherPortWhenItsPortWasTaken(t *testing.T) {
	// The first run finds its port taken; the second listens (so it says)
	// until it is killed, with a child of its own that must die with it.
	marker := filepath.Join(t.TempDir(), "tried")
	bin := fakeDynalite(t, `
if [ ! -e `+marker+` ]; then
	touch `+marker+`
	echo "Error: listen EADDRINUSE: address already in use 127.0.0.1:$4" >&2
	exit 1
fi
echo "Dynalite listening at: http://127.0.0.1:$4"
sleep 600 &
echo $! > `+marker+`.child
wait
`)
	endpoint, stop, err := start(bin)
	if err != nil {
		t.Fatalf("start = %v, want success on a second port", err)
	}
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Errorf("endpoint = %q, want a loopback URL", endpoint)
	}
	stop()
	pid, err := os.ReadFile(marker + ".child")
	if err != nil {
		t.Fatal(err)
	}
	if !dies(strings.TrimSpace(string(pid))) {
		t.Errorf("the child of the stand-in dynalite (pid %s) outlived stop: the process group was not killed", strings.TrimSpace(string(pid)))
	}
}

// dies reports whether process pid is gone, or a zombie, within a bound far
// beyond what the kernel needs to deliver SIGKILL; the child left alive would
// sleep for ten minutes.
func dies(pid string) bool {
	for range 500 {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return true // reaped
		}
		// The state follows the command name, which is in parentheses.
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestFindLooksInTheRepositoryThenOnPath(t *testing.T) {
	withTools := t.TempDir()
	mustWrite(t, filepath.Join(withTools, "go.work"), "go 1.26\n")
	repoBin := filepath.Join(withTools, ".tools", "node_modules", ".bin", "dynalite")
	mustWrite(t, repoBin, "#!/bin/sh\n")
	pkgDir := filepath.Join(withTools, "app", "dynamodb")
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	withoutTools := t.TempDir()
	mustWrite(t, filepath.Join(withoutTools, "go.work"), "go 1.26\n")

	onPath := func(string) (string, error) { return "/usr/local/bin/dynalite", nil }
	nowhere := func(string) (string, error) { return "", errors.New("not on PATH") }
	tests := []struct {
		name     string
		dir      string
		lookPath func(string) (string, error)
		want     string
		wantErr  error
	}{
		{"the repository's .tools comes first", pkgDir, onPath, repoBin, nil},
		{"PATH is the fallback", withoutTools, onPath, "/usr/local/bin/dynalite", nil},
		{"found nowhere", withoutTools, nowhere, "", ErrNotInstalled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findFrom(tc.dir, tc.lookPath)
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("findFrom = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	if want := `dynalite not found: run "make ci-deps" (npm install --prefix .tools dynalite@4)`; ErrNotInstalled.Error() != want {
		t.Errorf("ErrNotInstalled says %q, want %q", ErrNotInstalled, want)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}
