// Package dynalite runs a real DynamoDB emulator (npm dynalite@4) for the
// tests of a package, so that the DynamoDB store is tested against the wire
// protocol and DynamoDB's own rules for conditional writes rather than a
// mock of them.
//
// The Makefile's ci-deps target installs dynalite under <repo>/.tools; Start
// finds it there, or on PATH.
package dynalite

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"transcoder/app/internal/shared"
	"transcoder/app/internal/syncbuf"
)

// ErrNotInstalled is returned by Start when dynalite is neither in the
// repository's .tools directory nor on PATH.
var ErrNotInstalled = errors.New(`dynalite not found: run "make ci-deps" (npm install --prefix .tools dynalite@4)`)

// startTimeout bounds how long dynalite may take to answer its first
// request; node starts in well under a second on an idle machine, but tests
// run on busy ones, and the first run after an install loads more.
const startTimeout = 30 * time.Second

// Start starts dynalite on a free loopback port and returns its endpoint URL
// (for the SDK's BaseEndpoint) and a function that stops it. It returns once
// dynalite answers a DynamoDB ListTables call, not merely once its port
// accepts connections, so that no test meets a server still starting; or,
// after startTimeout at most, an error that includes what dynalite printed.
// Tables are created instantly and live in memory only.
func Start() (endpoint string, stop func(), err error) {
	bin, err := find()
	if err != nil {
		return "", nil, err
	}
	return start(launcher(bin), startTimeout)
}

// serveJS starts dynalite's server as its cli.js does, but keeps it up when
// a client hangs up in the middle of a request (which dynalite 4 answers by
// throwing, ending the process and every later test's calls with it).
//
//go:embed serve.js
var serveJS string

// launcher returns the command that runs the dynalite executable bin: node
// with serveJS and the module bin belongs to, or bin itself when that module
// or node cannot be found.
func launcher(bin string) []string {
	cli, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return []string{bin}
	}
	dir := filepath.Dir(cli)
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(dir, "index.js")); err != nil || statErr != nil {
		return []string{bin}
	}
	return []string{node, "-e", serveJS, dir}
}

// bindAttempts is how many ports Start tries: a port found free can be
// taken by another process before dynalite binds it.
const bindAttempts = 3

// errPortTaken says that dynalite could not bind the port it was given.
var errPortTaken = errors.New("port taken")

// start runs the command argv, with dynalite's options after it, as
// dynalite, on another port when the one it picked was taken in the
// meantime.
func start(argv []string, timeout time.Duration) (endpoint string, stop func(), err error) {
	for range bindAttempts {
		endpoint, stop, err = startOnce(argv, timeout)
		if !errors.Is(err, errPortTaken) {
			return endpoint, stop, err
		}
	}
	return "", nil, err
}

// ready is what dynalite prints once it has bound its port. Waiting for it
// before the first request makes sure that the process answering is this one
// and not another test's.
const ready = "Dynalite listening at:"

// probeInterval is how often Start looks at dynalite's output and, once it
// has said it listens, asks it to list its tables.
const probeInterval = 20 * time.Millisecond

func startOnce(argv []string, timeout time.Duration) (endpoint string, stop func(), err error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	var output syncbuf.Buffer
	bin := argv[len(argv)-1] // dynalite itself, or its module when node runs serve.js
	cmd := exec.Command(argv[0], append(argv[1:],
		"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")...)
	cmd.Stdout, cmd.Stderr = &output, &output
	// Should anything outlive the process group and hold its output open,
	// stop still returns.
	cmd.WaitDelay = 5 * time.Second
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("dynalite: start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var stopping, serving atomic.Bool
	go func() {
		cmd.Wait() //nolint:errcheck // how it ended is in output
		if serving.Load() && !stopping.Load() {
			// Every later call will be refused; say why once, where the
			// test log shows it.
			fmt.Fprintf(os.Stderr, "dynalite on %s exited while tests were using it; it said:\n%s\n", addr, output.String())
		}
		close(exited)
	}()
	stop = sync.OnceFunc(func() {
		stopping.Store(true)
		killProcessGroup(cmd)
		<-exited
	})

	endpoint = "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	var unanswered error // why the last ListTables failed
	for {
		if strings.Contains(output.String(), ready) {
			if unanswered = answers(ctx, endpoint); unanswered == nil {
				serving.Store(true)
				return endpoint, stop, nil
			}
		}
		select {
		case <-exited:
			if strings.Contains(output.String(), "EADDRINUSE") {
				return "", nil, fmt.Errorf("dynalite: %s could not listen on %s: %w; it said:\n%s", bin, addr, errPortTaken, output.String())
			}
			return "", nil, fmt.Errorf("dynalite: %s exited before answering on %s; it said:\n%s", bin, addr, output.String())
		case <-ctx.Done():
			stop()
			if unanswered == nil {
				return "", nil, fmt.Errorf("dynalite: %s did not listen on %s within %s; it said:\n%s", bin, addr, timeout, output.String())
			}
			return "", nil, fmt.Errorf("dynalite: %s said it listens on %s but did not answer ListTables within %s (last attempt: %v); it said:\n%s",
				bin, addr, timeout, unanswered, output.String())
		case <-tick.C:
		}
	}
}

// probeTimeout bounds one ListTables call of answers, so that a server that
// accepts connections but never answers is asked again.
const probeTimeout = 2 * time.Second

// Client returns a DynamoDB client for the dynalite at endpoint (what
// Start returned), with the static credentials dynalite takes from anyone.
func Client(endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("dynalite", "dynalite", ""),
		BaseEndpoint: aws.String(endpoint),
	}, optFns...)
}

// answers calls ListTables once at endpoint, without retries, and reports
// whether a DynamoDB answered it.
func answers(ctx context.Context, endpoint string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	client := Client(endpoint, func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} })
	_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
	return err
}

// find returns the dynalite executable: the repository's own, else the one
// on PATH.
func find() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("dynalite: %w", err)
	}
	return findFrom(wd, exec.LookPath)
}

func findFrom(dir string, lookPath func(string) (string, error)) (string, error) {
	if root, ok := shared.Checkout(dir); ok {
		bin := filepath.Join(root, ".tools", "node_modules", ".bin", "dynalite")
		if fi, err := os.Stat(bin); err == nil && !fi.IsDir() {
			return bin, nil
		}
	}
	if bin, err := lookPath("dynalite"); err == nil {
		return bin, nil
	}
	return "", ErrNotInstalled
}

// freePort asks the kernel for a loopback port nobody is using. Another
// process could take it before dynalite does; start then tries another.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("dynalite: find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
