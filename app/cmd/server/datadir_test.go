//go:build !transcoder_lambda

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"transcoder/app/internal/datadir"
	"transcoder/app/internal/syncbuf"
	"transcoder/app/localsns"
)

// These tests run the real program, built into a binary, as processes of
// their own: what they check (a lock a second process meets, kill -9,
// the umask main sets) is about processes, which run inside a test cannot
// show.

// buildServer builds this command into a fresh directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "transcoder")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is the program running as a process of its own.
type process struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string // where it said it listens
	stderr syncbuf.Buffer
	exited chan struct{} // closed once it has exited; err is then set
	err    error

	mu    sync.Mutex
	lines []map[string]any // its log, one JSON object a line
	more  chan struct{}    // closed and replaced on every line
}

// launch starts bin with env (and PATH, for ffmpeg) and returns at once.
func launch(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	p := &process{t: t, exited: make(chan struct{}), more: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			p.mu.Lock()
			p.lines = append(p.lines, line)
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
		io.Copy(io.Discard, stdout)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// serveBinary starts bin and waits until it listens and its /healthz answers 200.
func serveBinary(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	p := launch(t, bin, env)
	line := p.waitLog("listening")
	p.url, _ = line["url"].(string)
	resp, err := http.Get(p.url + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %s", resp.Status)
	}
	return p
}

// waitLog waits for the first log line whose msg is msg.
func (p *process) waitLog(msg string) map[string]any {
	p.t.Helper()
	deadline := time.After(60 * time.Second)
	for i := 0; ; {
		p.mu.Lock()
		lines, more := p.lines, p.more
		p.mu.Unlock()
		for ; i < len(lines); i++ {
			if lines[i]["msg"] == msg {
				return lines[i]
			}
		}
		select {
		case <-more:
		case <-p.exited:
			p.t.Fatalf("the process exited (%v) before logging %q; stderr: %s", p.err, msg, p.stderr.String())
		case <-deadline:
			p.t.Fatalf("the process did not log %q", msg)
		}
	}
}

// wait waits for the process to exit on its own.
func (p *process) wait() error {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(60 * time.Second):
		p.t.Fatal("the process did not exit")
	}
	return nil
}

// stop ends the process as Ctrl-C does and waits for it.
func (p *process) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	if err := p.wait(); err != nil {
		p.t.Fatalf("the process ended with %v on Ctrl-C; stderr: %s", err, p.stderr.String())
	}
}

func TestASecondProcessOnTheSameDataDirIsRefusedUntilTheFirstIsGone(t *testing.T) {
	bin := buildServer(t)
	env := pipelineEnv(t)
	dir := env["DATA_DIR"]
	first := serveBinary(t, bin, env)
	pid := first.cmd.Process.Pid

	second := launch(t, bin, env)
	err := second.wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the second process ended with %v, want exit status 1; stderr: %s", err, second.stderr.String())
	}
	want := fmt.Sprintf("transcoder: DATA_DIR %s is in use by the transcoder at %s (pid %d): stop it, or give this one another DATA_DIR\n",
		dir, first.url, pid)
	if got := second.stderr.String(); got != want {
		t.Errorf("the second process said\n%q\nwant\n%q", got, want)
	}
	if resp, err := http.Get(first.url + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the first process is unwell after the second was refused: %v %v", resp, err)
	}

	// kill -9 runs no cleanup: the kernel releases the lock.
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.wait()
	third := serveBinary(t, bin, env)
	if third.url == first.url {
		t.Fatalf("the restart listens where the first did (%s): the test would not see a stale subscription", third.url)
	}
	// The first's subscription is stale: its endpoint is served by nobody.
	removed := third.waitLog("localsns: removed the subscriptions of endpoints no longer served; their undone notifications go to the new endpoint")
	if got, want := fmt.Sprint(removed["removed"]), fmt.Sprint([]any{first.url + "/transcode-complete"}); got != want {
		t.Errorf("removed %s, want %s", got, want)
	}
	third.waitLog("localsns: subscription confirmed")
	data, err := os.ReadFile(filepath.Join(dir, "sns", localsns.SubscriptionsFile))
	if err != nil {
		t.Fatal(err)
	}
	var subs struct{ Subscriptions []struct{ Endpoint string } }
	if err := json.Unmarshal(data, &subs); err != nil {
		t.Fatal(err)
	}
	if len(subs.Subscriptions) != 1 || subs.Subscriptions[0].Endpoint != third.url+"/transcode-complete" {
		t.Errorf("the topic keeps %+v, want only %s/transcode-complete", subs.Subscriptions, third.url)
	}
	third.stop()
}

func TestEverythingTheServiceKeepsInDataDirIsPrivateToItsUser(t *testing.T) {
	bin := buildServer(t)
	env := pipelineEnv(t)
	delete(env, "API_TOKEN") // kept in DATA_DIR/api-token
	dir := filepath.Join(env["DATA_DIR"], "data")
	env["DATA_DIR"] = dir
	if err := os.Mkdir(dir, 0o755); err != nil { // as a person might have made it
		t.Fatal(err)
	}
	p := serveBinary(t, bin, env)
	if line := p.waitLog("DATA_DIR was readable by others: made it private to this user"); line["was"] != "0755" {
		t.Errorf("the tightening was logged as %v", line)
	}

	// A job through the whole local pipeline, so that every part writes.
	alice := bearer(t, p.url, aliceKey)
	if _, done := alice.await(alice.submit(alice.upload(tone(t, 1), "audio/wav"), "mp3", "flac").ID); done.State != "COMPLETE" {
		t.Fatalf("the job ended %s: %+v", done.State, done.Error)
	}

	// walk checks every mode under dir and returns the paths it saw.
	walk := func(when string) []string {
		t.Helper()
		var seen []string
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			want := datadir.FileMode
			if d.IsDir() {
				want = datadir.DirMode
			}
			if !d.IsDir() && !info.Mode().IsRegular() {
				t.Errorf("%s: %s is a %v, neither a folder nor a file", when, rel, info.Mode().Type())
			} else if info.Mode().Perm() != want {
				t.Errorf("%s: %s is %04o, want %04o", when, rel, info.Mode().Perm(), want)
			}
			seen = append(seen, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return seen
	}
	// Every kind of thing the service keeps, so that the walk is not
	// vacuous: while it runs the database has its -wal and -shm files.
	running := walk("while running")
	for _, want := range []string{".", "lock", "api-token", "session.key", "transcoder.db", "transcoder.db-wal", "transcoder.db-shm",
		"sns", "sns/" + localsns.KeyFile, "sns/" + localsns.CertFile, "sns/" + localsns.SubscriptionsFile, "sns/" + localsns.DeliveriesDir,
		"engine", "s3"} {
		if !slices.Contains(running, want) {
			t.Errorf("DATA_DIR holds no %s while running: %v", want, running)
		}
	}
	var objects int
	for _, path := range running {
		if strings.HasPrefix(path, "s3/") {
			if info, err := os.Stat(filepath.Join(dir, path)); err == nil && info.Mode().IsRegular() {
				objects++
			}
		}
	}
	if objects < 3 { // the upload and two outputs, at least
		t.Errorf("the local S3 keeps %d files, want the upload and both outputs: %v", objects, running)
	}
	p.stop()
	walk("after a clean stop")
}
