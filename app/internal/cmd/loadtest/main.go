// Command loadtest measures the completion endpoint as SNS would load it: the
// real server binary on loopback, with the durable SQLite store, fed distinct
// pre-signed notifications that carry MediaConvert events (several per job, so
// the store really changes) plus a few tampered ones that must be refused,
// over raw keep-alive connections.
//
// It prints verified notifications per second, latency p50/p99 at full load
// and at half of it, the server's CPU time per delivery, its peak resident
// memory, and beside them the raw RSA-2048 verify rate of this machine
// measured in the same run, so that every figure reads as a ratio against a
// baseline rather than as an absolute that depends on the machine.
// Beside them it measures a typical Node.js endpoint doing the same work on
// the same messages (see nodePeerBench), and prints the ratio.
//
// Then it measures what open job pages cost on Lambda (see lambdaPagesBench)
// and runs the whole one-machine pipeline (see pipelineBench), then times
// the Lambda function's cold start against a local Runtime API (see
// coldStartBench).
//
// The full-load line says how busy the cores were. With few connections
// every answer waits for the store's durable commit while the cores idle, so
// the rate is bounded by latency rather than by the CPU, and the CPU per
// delivery carries the cost of idling: on 2 cores, the default 32
// connections left about a quarter of the CPU idle and cost about 20% more
// server CPU per delivery than 256 did, while 256 raised the p99 at half
// load from about 5 ms to 7-10 ms. -conns sets it.
//
// Usage: loadtest -server bin/server [-conns 32] [-duration 4s] [-pipeline-jobs 12]
package main

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"filippo.io/bigmod"

	"transcoder/app/internal/snstest"
)

const topic = "arn:aws:sns:us-east-1:123456789012:transcoder-bench-events"

type options struct {
	server   string
	conns    int
	duration time.Duration
	perJob   int

	pipelineJobs, pipelineConcurrency int
	pipelineSeconds                   float64

	lambdaPages              int
	lambdaWindow, lambdaPoll time.Duration

	tools string // where npm installs the Node peer's packages ("" skips the peer)
}

func main() {
	// The load generator shares the cores with the server it measures, so
	// it collects garbage as seldom as the server does by default: what it
	// spends is taken from the server's share. A GOGC in the environment
	// (which the server is also given) is left to rule both.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
	var o options
	flag.StringVar(&o.server, "server", "bin/server", "path of the server binary to measure")
	flag.IntVar(&o.conns, "conns", 32, "keep-alive connections of the load generator")
	flag.DurationVar(&o.duration, "duration", 4*time.Second, "length of each load phase")
	flag.IntVar(&o.perJob, "events-per-job", 8, "notifications per job")
	flag.StringVar(&o.tools, "tools", ".tools", "npm prefix for the Node peer's packages (empty skips the Node peer)")
	flag.IntVar(&o.pipelineJobs, "pipeline-jobs", 12, "jobs through the local pipeline (0 skips that part)")
	flag.IntVar(&o.pipelineConcurrency, "pipeline-concurrency", runtime.NumCPU(), "jobs the local engine runs at once")
	flag.Float64Var(&o.pipelineSeconds, "pipeline-seconds", 10, "length of each job's input, in seconds")
	flag.IntVar(&o.lambdaPages, "lambda-pages", 100, "open job pages in the Lambda live-updates part (0 skips it)")
	flag.DurationVar(&o.lambdaWindow, "lambda-window", 12*time.Second, "how long the pages stay open, each way")
	flag.DurationVar(&o.lambdaPoll, "lambda-poll", 3*time.Second, "how often a polling page asks (the page's own interval)")
	coldStart := coldStartFlags()
	parts := flag.String("parts", "endpoint,lambda,pipeline,coldstart", "which parts to run, comma-separated")
	flag.Parse()
	want := map[string]bool{}
	for _, p := range strings.Split(*parts, ",") {
		want[strings.TrimSpace(p)] = true
	}
	if !want["lambda"] {
		o.lambdaPages = 0
	}
	if !want["pipeline"] {
		o.pipelineJobs = 0
	}
	var err error
	if want["endpoint"] {
		err = run(o)
	}
	if err == nil && o.lambdaPages > 0 {
		fmt.Println()
		err = lambdaPagesBench(o.lambdaPages, o.lambdaWindow, o.lambdaPoll)
	}
	if err == nil && o.pipelineJobs > 0 {
		fmt.Println()
		err = pipelineBench(o.server, o.pipelineJobs, o.pipelineConcurrency, o.pipelineSeconds)
	}
	if err == nil && want["coldstart"] {
		fmt.Println()
		err = coldStartBench(o.server, coldStart)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	fmt.Printf("machine: %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())

	signer, err := snstest.NewSigner(topic)
	if err != nil {
		return err
	}
	raw1, rawN := rawVerifyRates(signer.Key, time.Second)
	verifyCost := time.Duration(float64(time.Second) / raw1)
	fmt.Printf("baseline: raw RSA-2048 PKCS#1 v1.5 SHA-256 verify: %.0f/s on one core (%v each), %.0f/s on all %d cores\n",
		raw1, verifyCost.Round(100*time.Nanosecond), rawN, runtime.GOMAXPROCS(0))
	prepared, err := preparedVerifyRate(signer.Key, time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("  (that is crypto/rsa, which rebuilds the modulus's constants on every call; the server prepares them once per certificate: %.0f/s on one core = %.2f× crypto/rsa)\n",
		prepared, prepared/raw1)

	// Enough distinct messages for a full-speed phase at 60% of the
	// all-core raw verify rate, and a half-load phase after it.
	want := int(rawN*0.6*o.duration.Seconds()) + int(rawN*0.35*o.duration.Seconds())
	fmt.Printf("signing %d distinct notifications (%d per job, 1 in 100 tampered)...\n", want, o.perJob)
	reqs := presign(signer, want, o.perJob)

	srv, err := startServer(o.server, signer)
	if err != nil {
		return err
	}
	defer srv.stop()

	var next atomic.Int64
	self := selfCPU()
	full := load(srv.addr, reqs, &next, o.conns, o.duration, 0)
	cpu := srv.cpu()
	clientCPU := selfCPU() - self
	clientPer := clientCPU / time.Duration(max(full.total(), 1))
	if err := full.check(); err != nil {
		return err
	}
	perDelivery := time.Duration(float64(cpu.full) / float64(full.total()))
	rate := float64(full.verified) / full.elapsed.Seconds()

	half := load(srv.addr, reqs, &next, o.conns, o.duration, rate/2)
	if err := half.check(); err != nil {
		return err
	}
	rss := srv.peakRSS()

	// The machine's speed drifts over a minute of signing and loading
	// (turbo, neighbours): the ratios use the mean of the rates measured
	// before and right after the load.
	after1, afterN := rawVerifyRates(signer.Key, time.Second)
	fmt.Printf("baseline again after the load: %.0f/s on one core, %.0f/s on all cores; the ratios use the means, %.0f/s and %.0f/s\n",
		after1, afterN, (raw1+after1)/2, (rawN+afterN)/2)
	raw1, rawN = (raw1+after1)/2, (rawN+afterN)/2
	verifyCost = time.Duration(float64(time.Second) / raw1)

	fmt.Println()
	fmt.Printf("full load (%d connections, %v): %d verified + %d tampered refused, %d reused (messages ran out)\n",
		o.conns, full.elapsed.Round(time.Millisecond), full.verified, full.refused, full.reused)
	fmt.Printf("  verified notifications/s: %.0f = %.2f of the all-core raw verify rate, %.2f of the one-core rate (goal >= 0.30)\n",
		rate, rate/rawN, rate/raw1)
	fmt.Printf("  (the load generator shares the cores: %v of its own CPU per delivery; the server alone would take %.0f/s = %.2f of the all-core rate)\n",
		clientPer.Round(100*time.Nanosecond), float64(runtime.GOMAXPROCS(0))/perDelivery.Seconds(), float64(runtime.GOMAXPROCS(0))/perDelivery.Seconds()/rawN)
	fmt.Printf("  latency p50 %v, p99 %v\n", full.pct(50), full.pct(99))
	fmt.Println(" ", saturation(cpu.full, clientCPU, full.elapsed))
	fmt.Printf("  server CPU per delivery: %v = %.2f RSA verifies (goal <= 2.5; HTTP+JSON+store = %.2f, goal < 1.5)\n",
		perDelivery.Round(100*time.Nanosecond), float64(perDelivery)/float64(verifyCost), float64(perDelivery)/float64(verifyCost)-1)
	fmt.Printf("half load (%.0f/s offered): %d delivered, latency p50 %v, p99 %v (goal < 10ms)\n",
		rate/2, half.total(), half.pct(50), half.pct(99))
	fmt.Printf("server peak resident memory: %.1f MB (goal < 100 MB)\n", float64(rss)/1e6)
	if o.tools == "" {
		return nil
	}
	if err := nodePeerBench(o, signer, reqs, ours{rate, perDelivery, half.pct(99)}); err != nil {
		// The other parts do not need the peer: say why it is missing and go on.
		fmt.Fprintln(os.Stderr, "loadtest: the Node peer was not measured:", err)
	}
	return nil
}

// saturation says how busy the cores were during a full-load phase of
// length elapsed in which the server used server and the load generator
// client of CPU time, and says when they were too idle for the rate to be
// what the CPU allows.
func saturation(server, client, elapsed time.Duration) string {
	capacity := float64(elapsed) * float64(runtime.GOMAXPROCS(0))
	busy := float64(server+client) / capacity
	line := fmt.Sprintf("cores busy: %.0f%% (server %.0f%%, load generator %.0f%%)",
		100*busy, 100*float64(server)/capacity, 100*float64(client)/capacity)
	if busy < 0.9 {
		line += "; under 90%: the rate is bounded by the answers' wait for the durable commit, not by the CPU (more -conns keep the cores busy)"
	}
	return line
}

// rawVerifyRates measures RSA-2048 verifies per second on one goroutine and
// on one per core.
func rawVerifyRates(key *rsa.PrivateKey, d time.Duration) (one, all float64) {
	h := sha256.Sum256([]byte("baseline"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	measure := func(workers int) float64 {
		var n atomic.Int64
		var wg sync.WaitGroup
		deadline := time.Now().Add(d)
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					for range 16 {
						rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, h[:], sig)
					}
					n.Add(16)
				}
			})
		}
		wg.Wait()
		return float64(n.Load()) / time.Since(start).Seconds()
	}
	return measure(1), measure(runtime.GOMAXPROCS(0))
}

// preparedVerifyRate measures on one goroutine the exponentiation a verify
// costs once the modulus's Montgomery constants are built, as app/sns
// builds them once per certificate (filippo.io/bigmod, the package
// crypto/rsa uses inside). Each result is checked to end with the digest.
func preparedVerifyRate(key *rsa.PrivateKey, d time.Duration) (float64, error) {
	h := sha256.Sum256([]byte("baseline"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	n, err := bigmod.NewModulus(key.N.Bytes())
	if err != nil {
		return 0, err
	}
	count := 0
	start := time.Now()
	for deadline := start.Add(d); time.Now().Before(deadline); count += 16 {
		for range 16 {
			s, err := bigmod.NewNat().SetBytes(sig, n)
			if err != nil {
				return 0, err
			}
			if em := bigmod.NewNat().ExpShortVarTime(s, uint(key.E), n).Bytes(n); !bytes.HasSuffix(em, h[:]) {
				return 0, errors.New("the prepared verify does not give back the digest")
			}
		}
	}
	return float64(count) / time.Since(start).Seconds(), nil
}

// request is one pre-rendered HTTP request and the status it must get.
type request struct {
	raw  []byte
	want int
}

func presign(signer *snstest.Signer, n, perJob int) []request {
	reqs := make([]request, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	base := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				job, step := i/perJob, i%perJob
				msg := event(fmt.Sprintf("bench-%07d", job), step, perJob, base.Add(time.Duration(step)*time.Second))
				m := signer.Notification(msg, time.Now())
				want := http.StatusOK
				if i%100 == 99 {
					m.Message = strings.Replace(m.Message, "bench-", "bEnch-", 1)
					want = http.StatusForbidden
				}
				body := snstest.Body(m)
				reqs[i] = request{raw: fmt.Appendf(nil,
					"POST /transcode-complete HTTP/1.1\r\nHost: bench\r\nContent-Type: text/plain; charset=UTF-8\r\n"+
						"x-amz-sns-message-type: Notification\r\nx-amz-sns-topic-arn: %s\r\nContent-Length: %d\r\n\r\n%s",
					topic, len(body), body), want: want}
			}
		})
	}
	wg.Wait()
	return reqs
}

// event is step i of a job's life as MediaConvert reports it: PROGRESSING,
// then STATUS_UPDATEs, then COMPLETE.
func event(job string, step, steps int, at time.Time) string {
	status, detail := "STATUS_UPDATE", fmt.Sprintf(`,"jobProgress":{"jobPercentComplete":%d,"currentPhase":"TRANSCODING"}`, step*100/steps)
	switch step {
	case 0:
		status, detail = "PROGRESSING", ""
	case steps - 1:
		status, detail = "COMPLETE", `,"outputGroupDetails":[{"outputDetails":[{"outputFilePaths":["s3://out/`+job+`/a.m4a"],"durationInMs":4000}],"type":"FILE_GROUP"}]`
	}
	return fmt.Sprintf(`{"version":"0","id":"%[1]s-%[2]d","detail-type":"MediaConvert Job State Change","source":"aws.mediaconvert",`+
		`"account":"123456789012","time":"%[3]s","region":"us-east-1","resources":["arn:aws:mediaconvert:us-east-1:123456789012:jobs/%[1]s"],`+
		`"detail":{"timestamp":%[4]d,"accountId":"123456789012","queue":"arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",`+
		`"jobId":"%[1]s","status":"%[5]s","userMetadata":{}%[6]s}}`,
		job, step, at.UTC().Format(time.RFC3339), at.UnixMilli(), status, detail)
}

type server struct {
	cmd   *exec.Cmd
	addr  string
	dir   string
	start cpuTimes
}

type cpuTimes struct{ full time.Duration }

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer starts the server for the SNS load: the MediaConvert engine
// (no job is started, so AWS is never called) and the signer's certificate
// pinned, so that its messages verify as Amazon's would.
func startServer(bin string, signer *snstest.Signer) (*server, error) {
	dir, err := os.MkdirTemp("", "transcoder-loadtest-")
	if err != nil {
		return nil, err
	}
	certs := filepath.Join(dir, "certs")
	os.Mkdir(certs, 0o755)
	if err := signer.Pin(certs); err != nil {
		return nil, err
	}
	s, err := startProcess(bin, dir, freeAddr(), "ENGINE=mediaconvert", "INPUT_BUCKET=bench-input", "OUTPUT_BUCKET=bench-output",
		"MEDIACONVERT_ROLE_ARN=arn:aws:iam::123456789012:role/bench", "MEDIACONVERT_QUEUE_ARN=arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench",
		"SNS_TOPIC_ARNS="+topic, "SNS_CERT_DIR="+certs, "API_TOKEN=loadtest-token-0123456789")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.dir = dir
	return s, nil
}

// startProcess runs the server binary on addr with its data in dir and the
// given environment, and waits until /healthz answers 200.
func startProcess(bin, dir, addr string, env ...string) (*server, error) {
	logs, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "ADDR="+addr, "DATA_DIR="+filepath.Join(dir, "data"),
		"GOMAXPROCS="+strconv.Itoa(runtime.GOMAXPROCS(0))), env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (run `make build` first): %w", bin, err)
	}
	s := &server{cmd: cmd, addr: addr}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("the server did not become healthy; see %s", logs.Name())
		}
	}
	s.start = s.cpuNow()
	return s, nil
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
	s.reportStore()
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// reportStore prints what the server's store said as it closed: how many
// deliveries shared each durable commit.
func (s *server) reportStore() {
	logs, err := os.ReadFile(filepath.Join(s.dir, "server.log"))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(logs), "\n") {
		var l struct {
			Msg               string
			Requests, Commits float64
			LargestBatch      float64 `json:"largest_batch"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "store closed" && l.Commits > 0 {
			fmt.Printf("store: %.0f changes in %.0f durable commits (%.1f per commit, at most %.0f)\n",
				l.Requests, l.Commits, l.Requests/l.Commits, l.LargestBatch)
		}
	}
}

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuNow reads the server's user+system CPU time from /proc.
func (s *server) cpuNow() cpuTimes {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return cpuTimes{}
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields, in clock ticks (USER_HZ, 100 on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return cpuTimes{full: time.Duration(ut+st) * 10 * time.Millisecond}
}

// cpu returns the CPU time used since the last call (or since start).
func (s *server) cpu() cpuTimes {
	now := s.cpuNow()
	d := cpuTimes{full: now.full - s.start.full}
	s.start = now
	return d
}

func (s *server) peakRSS() int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1000
		}
	}
	return 0
}

// result is what one phase saw.
type result struct {
	verified, refused, reused int
	wrong                     []string
	latencies                 []time.Duration
	elapsed                   time.Duration
}

func (r *result) total() int { return r.verified + r.refused }

func (r *result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(r.latencies)))) - 1
	return r.latencies[max(i, 0)].Round(10 * time.Microsecond)
}

func (r *result) check() error {
	if len(r.wrong) > 0 {
		return fmt.Errorf("%d deliveries got the wrong answer, e.g. %s", len(r.wrong), r.wrong[0])
	}
	if r.total() == 0 {
		return errors.New("no delivery completed")
	}
	return nil
}

// load runs conns keep-alive connections for d. With rate 0 each connection
// sends as fast as answers come back; otherwise the connections together
// offer rate requests per second on a fixed schedule, and latency counts from
// the scheduled time so that a stall is not hidden.
func load(addr string, reqs []request, next *atomic.Int64, conns int, d time.Duration, rate float64) *result {
	var mu sync.Mutex
	res := &result{}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			local := &result{latencies: make([]time.Duration, 0, 1<<16)}
			defer func() {
				mu.Lock()
				res.verified += local.verified
				res.refused += local.refused
				res.reused += local.reused
				res.wrong = append(res.wrong, local.wrong...)
				res.latencies = append(res.latencies, local.latencies...)
				mu.Unlock()
			}()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				local.wrong = append(local.wrong, err.Error())
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 4096)
			var interval time.Duration
			if rate > 0 {
				interval = time.Duration(float64(conns) / rate * float64(time.Second))
			}
			sched := start.Add(time.Duration(c) * interval / time.Duration(conns))
			for {
				if interval > 0 {
					if wait := time.Until(sched); wait > 0 {
						time.Sleep(wait)
					}
				}
				t0 := time.Now()
				if t0.After(deadline) {
					return
				}
				i := next.Add(1) - 1
				if i >= int64(len(reqs)) {
					local.reused++
				}
				r := reqs[i%int64(len(reqs))]
				if _, err := conn.Write(r.raw); err != nil {
					local.wrong = append(local.wrong, err.Error())
					return
				}
				status, err := readResponse(br)
				if err != nil {
					local.wrong = append(local.wrong, err.Error())
					return
				}
				from := t0
				if interval > 0 {
					from = sched
					sched = sched.Add(interval)
				}
				local.latencies = append(local.latencies, time.Since(from))
				switch {
				case status != r.want:
					local.wrong = append(local.wrong, fmt.Sprintf("request %d: %d, want %d", i, status, r.want))
				case r.want == http.StatusOK:
					local.verified++
				default:
					local.refused++
				}
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

// readResponse reads one HTTP/1.1 response from br and returns its status.
// It is http.ReadResponse cut to what the load needs, so that the load
// generator, which shares the cores with the server it measures, takes as
// little of them as it can: it reads the status line and the headers in
// place, and skips the body by its Content-Length (none for 1xx, 204 and
// 304). Anything else (a chunked body, a response with no length) is an
// error, never a guess.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, fmt.Errorf("reading the status line: %w", err)
	}
	proto, rest, _ := strings.Cut(string(line), " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(strings.TrimSpace(code))
	if !strings.HasPrefix(proto, "HTTP/1.") || err != nil {
		return 0, fmt.Errorf("not an HTTP/1.x status line: %q", line)
	}
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, fmt.Errorf("reading the headers: %w", err)
		}
		if len(line) <= 2 { // the blank line (CRLF) that ends the headers
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, fmt.Errorf("not a header line: %q", line)
		}
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil || length < 0 {
				return 0, fmt.Errorf("bad Content-Length: %q", line)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, fmt.Errorf("the load generator reads only responses with a Content-Length, not %q", line)
		}
	}
	if status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
		length = 0 // these never have a body (RFC 9112, section 6.3)
	}
	if length < 0 {
		return 0, errors.New("the response has no Content-Length")
	}
	if _, err := br.Discard(length); err != nil {
		return 0, fmt.Errorf("reading the %d-byte body: %w", length, err)
	}
	return status, nil
}
