package main

import (
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"transcoder/app/internal/snstest"
)

// nodePeerJS is the Node peer: a typical Node.js SNS endpoint (AWS's
// sns-validator and better-sqlite3) doing what our endpoint does.
//
//go:embed nodepeer/server.js
var nodePeerJS []byte

// nodePeerPackages are the npm packages the Node peer needs, installed into
// the project's .tools folder as `make ci-deps` installs its own tools.
var nodePeerPackages = []string{"sns-validator@0.3.5", "better-sqlite3@12"}

// ours is what the Go server did in the same run, for the comparison.
type ours struct {
	rate        float64
	perDelivery time.Duration
	halfP99     time.Duration
}

// nodePeerBench runs the Node peer under the same load as our server (the
// same messages from the first, the same connections and phases) and prints
// its figures beside ours and the ratio.
func nodePeerBench(o options, signer *snstest.Signer, reqs []request, us ours) error {
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("the Node peer needs node on PATH (apt-get install nodejs npm): %w", err)
	}
	modules, err := installNodePeer(o.tools)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "transcoder-nodepeer-")
	if err != nil {
		return err
	}
	script := filepath.Join(dir, "server.js")
	if err := os.WriteFile(script, nodePeerJS, 0o644); err != nil {
		return err
	}
	if err := signer.Pin(dir); err != nil {
		return err
	}
	certURL := signer.Notification("{}", time.Now()).SigningCertURL
	addr := freeAddr()
	_, port, _ := strings.Cut(addr, ":")
	logs, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "PORT="+port, "DB="+filepath.Join(dir, "jobs.db"),
		"CERT_URL="+certURL, "CERT_FILE="+filepath.Join(dir, path.Base(certURL)), "TOPIC="+topic)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the Node peer: %w", err)
	}
	s := &server{cmd: cmd, addr: addr, dir: dir}
	defer s.stop()
	if err := waitHealthy(s, logs.Name()); err != nil {
		return err
	}
	s.start = s.cpuNow()

	var next atomic.Int64
	full := load(addr, reqs, &next, o.conns, o.duration, 0)
	cpu := s.cpu()
	if err := full.check(); err != nil {
		return fmt.Errorf("node peer: %w\n%s", err, tail(logs.Name()))
	}
	rate := float64(full.verified) / full.elapsed.Seconds()
	perDelivery := time.Duration(float64(cpu.full) / float64(full.total()))
	half := load(addr, reqs, &next, o.conns, o.duration, rate/2)
	if err := half.check(); err != nil {
		return fmt.Errorf("node peer: %w\n%s", err, tail(logs.Name()))
	}
	fmt.Println()
	fmt.Printf("node peer (sns-validator + better-sqlite3, one process, %d connections): %d verified + %d tampered refused\n",
		o.conns, full.verified, full.refused)
	fmt.Printf("  verified notifications/s: %.0f; ours %.0f = %.1fx (goal >= 5x)\n", rate, us.rate, us.rate/rate)
	fmt.Printf("  CPU per delivery: %v; ours %v = %.1fx less\n",
		perDelivery.Round(100*time.Nanosecond), us.perDelivery.Round(100*time.Nanosecond), float64(perDelivery)/float64(us.perDelivery))
	fmt.Printf("  half load (%.0f/s offered): p99 %v; ours %v at our half load\n", rate/2, half.pct(99), us.halfP99)
	return nil
}

// installNodePeer makes sure the Node peer's packages are in tools and
// returns its node_modules folder.
func installNodePeer(tools string) (string, error) {
	tools, err := filepath.Abs(tools)
	if err != nil {
		return "", err
	}
	modules := filepath.Join(tools, "node_modules")
	_, e1 := os.Stat(filepath.Join(modules, "sns-validator", "index.js"))
	_, e2 := os.Stat(filepath.Join(modules, "better-sqlite3", "build", "Release", "better_sqlite3.node"))
	if e1 == nil && e2 == nil {
		return modules, nil
	}
	fmt.Printf("installing the Node peer's packages (%s) into %s...\n", strings.Join(nodePeerPackages, ", "), tools)
	args := append([]string{"install", "--prefix", tools, "--no-audit", "--no-fund"}, nodePeerPackages...)
	out, err := exec.Command("npm", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm install %s failed (better-sqlite3 builds from source here: it needs python3, make and g++, e.g. apt-get install build-essential): %w\n%s",
			strings.Join(nodePeerPackages, " "), err, out)
	}
	return modules, nil
}

// waitHealthy waits until s answers 200 on /healthz.
func waitHealthy(s *server, logs string) error {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := httpGet("http://" + s.addr + "/healthz"); err == nil && resp == 200 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Node peer did not become healthy in 30s:\n%s", tail(logs))
		}
	}
}

func httpGet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// tail is the end of the log file at name, for an error message.
func tail(name string) string {
	b, _ := os.ReadFile(name)
	return string(b[max(0, len(b)-2000):])
}
