// Package fauxqs runs a real SQS-API server (npm fauxqs, which speaks the
// AWS JSON protocol the Go SDK's SQS client uses) for the tests of a
// package, so that code reading a queue is tested against receive handles,
// visibility timeouts and deletes as a server keeps them, not a mock.
//
// The Makefile's ci-deps target installs fauxqs under <repo>/.tools; Start
// finds it there.
package fauxqs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"transcoder/app/internal/syncbuf"
)

// Version is the fauxqs release the Makefile installs: the last that runs on
// Node.js 20.
const Version = "1.9.2"

// ErrNotInstalled is returned by Start when fauxqs is not in the
// repository's .tools directory.
var ErrNotInstalled = errors.New(`fauxqs not found: run "make ci-deps" (npm install --prefix .tools fauxqs@` + Version + `)`)

// startTimeout bounds how long node may take to listen on a busy machine.
const startTimeout = 30 * time.Second

// script serves fauxqs's app on a loopback port the kernel picks, says
// where, and ends when its standard input closes, so that it never outlives
// the test that started it.
const script = `
const { buildApp } = await import(process.env.FAUXQS_MODULE);
const app = buildApp({ logger: false });
const addr = await app.listen({ port: 0, host: "127.0.0.1" });
console.log("fauxqs listening at " + addr);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`

var listening = regexp.MustCompile(`fauxqs listening at (http://127\.0\.0\.1:\d+)`)

// Start starts fauxqs on a free loopback port and returns its endpoint URL
// (for the SDK's BaseEndpoint) and a function that stops it. Queues live in
// memory only.
func Start() (endpoint string, stop func(), err error) {
	module, err := find()
	if err != nil {
		return "", nil, err
	}
	var output syncbuf.Buffer
	cmd := exec.Command("node", "--input-type=module", "-e", script)
	cmd.Env = append(os.Environ(), "FAUXQS_MODULE=file://"+module)
	cmd.Stdout, cmd.Stderr = &output, &output
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("fauxqs: start node: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait() //nolint:errcheck // how it ended is in output
		close(exited)
	}()
	stop = sync.OnceFunc(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // already gone
			<-exited
		}
	})
	deadline := time.After(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := listening.FindStringSubmatch(output.String()); m != nil {
			return m[1], stop, nil
		}
		select {
		case <-exited:
			return "", nil, fmt.Errorf("fauxqs: node exited before listening; it said:\n%s", output.String())
		case <-deadline:
			stop()
			return "", nil, fmt.Errorf("fauxqs: not listening within %s; node said:\n%s", startTimeout, output.String())
		case <-tick.C:
		}
	}
}

// find returns the path of fauxqs's app module in the repository's .tools.
func find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("fauxqs: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotInstalled
		}
		dir = parent
	}
	module := filepath.Join(dir, ".tools", "node_modules", "fauxqs", "dist", "app.js")
	if _, err := os.Stat(module); err != nil {
		return "", ErrNotInstalled
	}
	return module, nil
}
