package dynalite

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestStartServesDynamoDBUntilStopped(t *testing.T) {
	endpoint, stop, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	client := Client(endpoint)
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
	_, _, err := start([]string{bin}, startTimeout)
	if err == nil || !strings.Contains(err.Error(), "Cannot find module leveldown") {
		t.Errorf("start of a dynalite that exits = %v, want an error quoting its stderr", err)
	}
}

func TestStartTriesAnotherPortWhenItsPortWasTaken(t *testing.T) {
	// The first run finds its port taken; the second listens (so it says,
	// and the test answers on its port) until it is killed, with a child of
	// its own that must die with it.
	marker := filepath.Join(t.TempDir(), "tried")
	bin := fakeDynalite(t, `
if [ ! -e `+marker+` ]; then
	touch `+marker+`
	echo "Error: listen EADDRINUSE: address already in use 127.0.0.1:$4" >&2
	exit 1
fi
echo $4 > `+marker+`.port
echo "Dynalite listening at: http://127.0.0.1:$4"
sleep 600 &
echo $! > `+marker+`.child
wait
`)
	answerListTables(t, marker+".port", 0, 0)
	endpoint, stop, err := start([]string{bin}, startTimeout)
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

// answerListTables stands in for dynalite's HTTP side: once the stand-in
// has written its port to portFile, it waits delay (connections are refused
// meanwhile), listens on that port, answers the first bad requests with a
// plain-text 503 as a server still starting might, and every later
// ListTables as DynamoDB does. The flag it returns is set just before the
// first DynamoDB answer is written.
func answerListTables(t *testing.T, portFile string, delay time.Duration, bad int64) *atomic.Bool {
	t.Helper()
	answered := new(atomic.Bool)
	var requests atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) <= bad {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		if target := r.Header.Get("X-Amz-Target"); r.Method != http.MethodPost || target != "DynamoDB_20120810.ListTables" {
			http.Error(w, "not a ListTables call: "+r.Method+" "+target, http.StatusBadRequest)
			return
		}
		answered.Store(true)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		io.WriteString(w, `{"TableNames":[]}`) //nolint:errcheck // the client sees a short answer
	})}
	t.Cleanup(func() { srv.Close() })
	go func() {
		var port string
		for range 3000 { // 30 s, as long as start waits
			b, err := os.ReadFile(portFile)
			if port = strings.TrimSpace(string(b)); err == nil && port != "" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(delay)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
		if err != nil {
			t.Errorf("listen on the stand-in's port %q: %v", port, err)
			return
		}
		srv.Serve(l) //nolint:errcheck // ends with Close
	}()
	return answered
}

func TestStartWaitsUntilDynaliteAnswersListTables(t *testing.T) {
	tests := []struct {
		name  string
		delay time.Duration // before the port accepts connections
		bad   int64         // answers that are not DynamoDB's
	}{
		{"a dynalite that says it listens before its port accepts connections", 300 * time.Millisecond, 0},
		{"a dynalite whose first answers are not DynamoDB's", 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			portFile := filepath.Join(t.TempDir(), "port")
			bin := fakeDynalite(t, "echo $4 > "+portFile+"\necho \"Dynalite listening at: http://127.0.0.1:$4\"\nexec sleep 600\n")
			answered := answerListTables(t, portFile, tt.delay, tt.bad)
			endpoint, stop, err := start([]string{bin}, startTimeout)
			if err != nil {
				t.Fatalf("start = %v, want success once the server answers", err)
			}
			defer stop()
			if !answered.Load() {
				t.Errorf("start returned %s before the server answered a ListTables call", endpoint)
			}
		})
	}
}

func TestStartGivesUpOnADynaliteThatNeverAnswers(t *testing.T) {
	bin := fakeDynalite(t, "echo \"Dynalite listening at: http://127.0.0.1:$4\"\necho 'the stand-in never serves'\nexec sleep 600\n")
	_, _, err := start([]string{bin}, time.Second)
	if err == nil {
		t.Fatal("start of a dynalite that never answers succeeded")
	}
	for _, want := range []string{"did not answer ListTables within 1s", "the stand-in never serves"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
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

func TestStartKeepsServingAfterAClientHangsUpMidRequest(t *testing.T) {
	endpoint, stop, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	// What a canceled SDK call leaves behind: headers and part of a body,
	// then a closed connection.
	for range 3 {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatalf("connect after an earlier client hung up: %v; dynalite must survive that as DynamoDB does", err)
		}
		io.WriteString(conn, "POST / HTTP/1.1\r\nHost: "+u.Host+"\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"+ //nolint:errcheck // a short write fails the call below
			"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{\"Limit\":")
		time.Sleep(50 * time.Millisecond) // let the server start reading the body
		conn.Close()
	}
	time.Sleep(100 * time.Millisecond) // a crash would have happened by now
	if err := answers(context.Background(), endpoint); err != nil {
		t.Fatalf("ListTables after clients hung up mid-request: %v; dynalite must survive them as DynamoDB does", err)
	}
}
