package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"transcoder/app/dynamodb"
	"transcoder/app/internal/awsenv"
	"transcoder/app/internal/dynalite"
	"transcoder/app/jobs"
)

// coldStartOptions are the flags of the cold-start part.
type coldStartOptions struct {
	lean     string // the Lambda build for this machine
	artifact string // the linux/arm64 artifact make build-lambda leaves, if there
	starts   int
}

// coldStartFlags registers the cold-start part's flags.
func coldStartFlags() *coldStartOptions {
	o := &coldStartOptions{}
	flag.StringVar(&o.lean, "coldstart-bootstrap", "bin/bootstrap", "the Lambda build (make build-lambda's tags) for this machine's GOOS/GOARCH")
	flag.StringVar(&o.artifact, "coldstart-artifact", "dist/lambda/bootstrap", "the linux/arm64 Lambda artifact, whose size is reported if it exists")
	flag.IntVar(&o.starts, "coldstart-starts", 10, "cold starts of each build")
	return o
}

// Goals of the cold-start part. The sizes are what the deployment loads;
// the times are for this machine, beside their same-run baselines.
const (
	artifactGoal      = 15e6 // bytes
	initGoal          = 50 * time.Millisecond
	firstResponseGoal = 25 * time.Millisecond
)

const (
	coldTable = "transcoder-coldstart"
	coldJob   = "coldstart-job"
	coldToken = "coldstart-operator-token-0123456789"
	coldARN   = "arn:aws:lambda:us-east-1:123456789012:function:transcoder-bench"
)

// coldStartBench measures the function's cold start the way the Lambda
// runtime sees it: each build runs as a subprocess against a local Runtime
// API (see runtimeAPI) with the environment the stack sets, its DynamoDB
// at dynalite and every other AWS endpoint at a loopback stub that counts
// what reaches it. It times init (process start to its first /next) and
// the first responses (a Function URL GET /healthz, then GET /jobs/:id),
// for the lean Lambda build and, as the same-run baseline, the ordinary
// build (server) started the same way; beside them, the ordinary build
// started as an HTTP server in local mode, to its first 200 from /healthz.
func coldStartBench(server string, o *coldStartOptions) error {
	for _, bin := range []string{o.lean, server} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("cold start: %s is missing: run `make bench`, which builds it", bin)
		}
	}
	dir, err := os.MkdirTemp("", "transcoder-coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	endpoint, stopDynalite, err := dynalite.Start()
	if err != nil {
		return fmt.Errorf("cold start: %w (run `make ci-deps` to install dynalite)", err)
	}
	defer stopDynalite()
	stray := newStrayAWS()
	defer stray.close()
	env := lambdaEnv(dir, endpoint, stray.url)
	if err := seedTable(env); err != nil {
		return err
	}

	fmt.Printf("Lambda cold start: %d cold starts of each build, each as a subprocess of a local Lambda Runtime API (DynamoDB at dynalite, other AWS endpoints at a loopback stub)\n", o.starts)
	var lean, full coldRuns
	for i := range o.starts {
		// Alternate, so that the machine's noise falls on both alike.
		r, err := coldStart(o.lean, env, dir, i)
		if err != nil {
			return fmt.Errorf("cold start of %s: %w", o.lean, err)
		}
		lean.add(r)
		if r, err = coldStart(server, env, dir, i); err != nil {
			return fmt.Errorf("cold start of %s: %w", server, err)
		}
		full.add(r)
	}
	var httpStarts []time.Duration
	for i := range o.starts {
		d, err := httpStart(server, filepath.Join(dir, "http-"+strconv.Itoa(i)))
		if err != nil {
			return err
		}
		httpStarts = append(httpStarts, d)
	}

	size := func(path string) float64 {
		st, err := os.Stat(path)
		if err != nil {
			return 0
		}
		return float64(st.Size())
	}
	if a := size(o.artifact); a > 0 {
		met := "met"
		if a >= artifactGoal {
			met = "not met"
		}
		fmt.Printf("  %-40s %6.2f MB stripped (goal < %.0f MB: %s; the bootstrap the stack deploys)\n", "Lambda artifact "+o.artifact, a/1e6, artifactGoal/1e6, met)
	} else {
		fmt.Printf("  %-40s not built (make build-lambda builds it; make bench does first)\n", "Lambda artifact "+o.artifact)
	}
	fmt.Printf("  %-40s %6.2f MB stripped (the ordinary build %s: %.2f MB with its debug information)\n",
		"lean bootstrap for this machine", size(o.lean)/1e6, server, size(server)/1e6)
	fmt.Printf("  %-40s median %7.2f ms, p90 %7.2f ms (goal < %v; ordinary build: median %.2f ms = %.2f of it)\n",
		"init (start to first /next)", millis(coldMedian(lean.init)), millis(percentile(lean.init, 90)), initGoal,
		millis(coldMedian(full.init)), millis(coldMedian(lean.init))/millis(coldMedian(full.init)))
	fmt.Printf("  %-40s median %7.2f ms, p90 %7.2f ms (goal < %v; ordinary build: median %.2f ms)\n",
		"first response: GET /healthz", millis(coldMedian(lean.healthz)), millis(percentile(lean.healthz, 90)), firstResponseGoal, millis(coldMedian(full.healthz)))
	fmt.Printf("  %-40s median %7.2f ms, p90 %7.2f ms (goal < %v; ordinary build: median %.2f ms; a DynamoDB read at dynalite)\n",
		"first response: GET /jobs/:id", millis(coldMedian(lean.job)), millis(percentile(lean.job, 90)), firstResponseGoal, millis(coldMedian(full.job)))
	fmt.Printf("  %-40s median %7.2f ms, p90 %7.2f ms (goal: below the HTTP server's start-up, %.2f ms)\n",
		"cold start to first answer (init+first)", millis(coldMedian(lean.total)), millis(percentile(lean.total, 90)), millis(coldMedian(httpStarts)))
	fmt.Printf("  %-40s median %7.2f ms, p90 %7.2f ms (baseline: the ordinary build in local mode, start to first 200 from /healthz)\n",
		"HTTP server start-up", millis(coldMedian(httpStarts)), millis(percentile(httpStarts, 90)))
	fmt.Printf("  %-40s %6.1f MB lean, %.1f MB ordinary (median after two requests)\n",
		"peak resident memory", float64(percentile(lean.rss, 50))/1e6, float64(percentile(full.rss, 50))/1e6)
	fmt.Printf("  %-40s %d of %d (goal: all, as the RESPONSE_STREAM Function URL takes them)\n",
		"responses streamed (chunked)", lean.streamed+full.streamed, 2*(len(lean.init)+len(full.init)))
	if n := stray.count(); n > 0 {
		return fmt.Errorf("cold start: %d AWS calls besides DynamoDB were made during init or the two requests (%s): the function should make none", n, stray.paths())
	}
	fmt.Printf("  AWS calls besides DynamoDB during init and the two requests: 0 (goal 0)\n")
	return nil
}

// lambdaEnv is the function's environment as the stack and the Lambda
// service set it, with every AWS endpoint on loopback and nothing of this
// machine's own AWS configuration.
func lambdaEnv(dir, dynamoEndpoint, strayURL string) []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir, "TZ=:UTC", "LANG=en_US.UTF-8",
		"LAMBDA_TASK_ROOT=" + dir, "_HANDLER=bootstrap", "AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME=transcoder-bench", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/transcoder-bench", "AWS_LAMBDA_LOG_STREAM_NAME=bench",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDCOLDSTARTBENCH", "AWS_SECRET_ACCESS_KEY=coldstart-secret", "AWS_SESSION_TOKEN=coldstart-session",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "no-aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=" + strayURL, "AWS_ENDPOINT_URL_DYNAMODB=" + dynamoEndpoint,
		"STORE=dynamodb", "DYNAMODB_TABLE=" + coldTable,
		"ENGINE=mediaconvert", "INPUT_BUCKET=transcoder-bench-input", "OUTPUT_BUCKET=transcoder-bench-output",
		"MEDIACONVERT_ROLE_ARN=arn:aws:iam::123456789012:role/transcoder-bench-mediaconvert",
		"MEDIACONVERT_QUEUE_ARN=arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",
		"SNS_TOPIC_ARNS=" + topic, "API_TOKEN=" + coldToken,
		"SESSION_SECRET=coldstart-session-secret-0123456789abcdef", "WEBHOOK_SECRET=coldstart-webhook-secret",
		"LOG_LEVEL=info", "SIGN_IN=invite", "JOB_RETENTION_DAYS=30",
		"DATA_DIR=" + filepath.Join(dir, "data"),
	}
}

// seedTable creates the table and the job GET /jobs/:id reads, with the
// SDK configured from the function's own environment.
func seedTable(env []string) error {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	cfg, err := awsenv.Config(func(k string) string { return vars[k] })
	if err != nil {
		return err
	}
	client := ddb.NewFromConfig(cfg)
	ctx := context.Background()
	if err := dynamodb.CreateTable(ctx, client, coldTable); err != nil {
		return fmt.Errorf("cold start: creating the table at dynalite: %w", err)
	}
	_, err = dynamodb.New(client, coldTable).Apply(ctx, &jobs.Update{JobID: coldJob, Owner: "bench", At: time.Now(), State: jobs.Progressing, Progress: 40})
	return err
}

// coldRun is what one cold start measured.
type coldRun struct {
	init, healthz, job time.Duration
	rss                int64
	streamed           int
}

// coldRuns gathers the runs of one build.
type coldRuns struct {
	init, healthz, job, total []time.Duration
	rss                       []int64
	streamed                  int // responses that came chunked
}

func (c *coldRuns) add(r coldRun) {
	c.init = append(c.init, r.init)
	c.healthz = append(c.healthz, r.healthz)
	c.job = append(c.job, r.job)
	c.total = append(c.total, r.init+r.healthz)
	c.rss = append(c.rss, r.rss)
	c.streamed += r.streamed
}

// coldStart starts bin as a fresh function instance and hands it a GET
// /healthz and then a GET /jobs/:id, as a Function URL would.
func coldStart(bin string, env []string, dir string, n int) (coldRun, error) {
	api, err := newRuntimeAPI()
	if err != nil {
		return coldRun{}, err
	}
	defer api.close()
	api.queue(urlEvent("/healthz"), urlEvent("/jobs/"+coldJob))

	logName := filepath.Join(dir, fmt.Sprintf("%s-%d.log", filepath.Base(bin), n))
	logs, err := os.Create(logName)
	if err != nil {
		return coldRun{}, err
	}
	defer logs.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(slices.Clone(env), "AWS_LAMBDA_RUNTIME_API="+api.addr)
	cmd.Stdout, cmd.Stderr = logs, logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return coldRun{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill() // as Lambda ends an instance it no longer needs
		<-exited
	}()

	var r coldRun
	var results []invocationResult
	timeout := time.After(30 * time.Second)
	for len(results) < 2 {
		select {
		case res := <-api.results:
			results = append(results, res)
		case msg := <-api.initErr:
			return r, fmt.Errorf("the function reported an init error: %s (log: %s)", msg, logName)
		case err := <-exited:
			exited <- err
			return r, fmt.Errorf("the function exited during the run: %v (log: %s)", err, logName)
		case <-timeout:
			return r, fmt.Errorf("no responses within 30 s (log: %s)", logName)
		}
	}
	r.rss = peakRSSOf(cmd.Process.Pid)
	r.init = api.firstNext().Sub(start)
	for i, res := range results {
		if res.err != "" {
			return r, fmt.Errorf("invocation %d failed: %s (log: %s)", i+1, res.err, logName)
		}
		if res.streamed {
			r.streamed++
		}
		if res.status != http.StatusOK {
			return r, fmt.Errorf("invocation %d answered %d: %.200s (log: %s)", i+1, res.status, res.body, logName)
		}
	}
	if !bytes.Contains(results[1].body, []byte(coldJob)) {
		return r, fmt.Errorf("GET /jobs/%s answered %.200s, not the job", coldJob, results[1].body)
	}
	r.healthz = results[0].took
	r.job = results[1].took
	return r, nil
}

// urlEvent is a Function URL request (payload format 2.0) for GET path with
// the operator's token.
func urlEvent(path string) []byte {
	now := time.Now()
	ev := lambdaevents.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: path,
		Headers: map[string]string{
			"host": "abcdefghijklmnop.lambda-url.us-east-1.on.aws", "authorization": "Bearer " + coldToken,
			"accept": "application/json", "user-agent": "coldstart-bench", "x-forwarded-proto": "https",
		},
		RequestContext: lambdaevents.LambdaFunctionURLRequestContext{
			AccountID: "123456789012", RequestID: strconv.FormatInt(now.UnixNano(), 36),
			DomainName: "abcdefghijklmnop.lambda-url.us-east-1.on.aws", DomainPrefix: "abcdefghijklmnop",
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: lambdaevents.LambdaFunctionURLRequestContextHTTPDescription{
				Method: http.MethodGet, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: "coldstart-bench",
			},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// httpStart is the ordinary build's start-up as an HTTP server in local
// mode: from the process's start to its first 200 from /healthz.
func httpStart(bin, dir string) (time.Duration, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	addr := freeAddr()
	logs, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return 0, err
	}
	defer logs.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADDR="+addr, "DATA_DIR="+filepath.Join(dir, "data"), "API_TOKEN="+coldToken, "LOG_FORMAT=json")
	cmd.Stdout, cmd.Stderr = logs, logs
	client := &http.Client{Timeout: time.Second}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	for deadline := start.Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Microsecond) {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return time.Since(start), nil
		}
	}
	return 0, fmt.Errorf("the HTTP server did not answer 200 on /healthz within 30 s; see %s", logs.Name())
}

// peakRSSOf is a live process's peak resident memory (VmHWM), or 0 where
// /proc does not tell.
func peakRSSOf(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// runtimeAPI is a local AWS Lambda Runtime API (version 2018-06-01) for one
// function instance: GET /runtime/invocation/next hands out the queued
// events one at a time (and then holds the request, as Lambda does between
// invocations), POST /runtime/invocation/{id}/response and /error take the
// result, streamed (chunked) or not, and POST /runtime/init/error takes an
// init failure.
type runtimeAPI struct {
	addr    string
	srv     *http.Server
	events  chan []byte
	results chan invocationResult
	initErr chan string

	mu     sync.Mutex
	handed map[string]time.Time // request ID → when /next answered with it
	first  time.Time            // the first /next
	seq    atomic.Int64
}

// invocationResult is one invocation's answer, as the runtime received it.
type invocationResult struct {
	took     time.Duration // from /next answering to the response's last byte
	status   int           // the HTTP status the Function URL would answer
	body     []byte
	err      string // the function's error payload, for /error
	streamed bool   // whether the response was streamed (chunked)
}

const runtimePrefix = "/2018-06-01/runtime/"

func newRuntimeAPI() (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &runtimeAPI{
		addr: ln.Addr().String(), events: make(chan []byte, 16), results: make(chan invocationResult, 16),
		initErr: make(chan string, 1), handed: map[string]time.Time{},
	}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

func (a *runtimeAPI) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if a.srv.Shutdown(ctx) != nil {
		a.srv.Close() // a /next still held
	}
}

func (a *runtimeAPI) queue(events ...[]byte) {
	for _, e := range events {
		a.events <- e
	}
}

func (a *runtimeAPI) firstNext() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.first
}

func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, runtimePrefix)
	switch {
	case ok && path == "invocation/next" && r.Method == http.MethodGet:
		a.next(w, r)
	case ok && path == "init/error" && r.Method == http.MethodPost:
		body, _ := io.ReadAll(r.Body)
		select {
		case a.initErr <- r.Header.Get("Lambda-Runtime-Function-Error-Type") + " " + string(body):
		default:
		}
		accepted(w)
	case ok && strings.HasPrefix(path, "invocation/") && r.Method == http.MethodPost:
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		if kind != "response" && kind != "error" {
			http.Error(w, "unknown runtime API path "+r.URL.Path, http.StatusNotFound)
			return
		}
		a.result(w, r, id, kind == "error")
	default:
		http.Error(w, "unknown runtime API call "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

func (a *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	a.mu.Lock()
	if a.first.IsZero() {
		a.first = now
	}
	a.mu.Unlock()
	var ev []byte
	select {
	case ev = <-a.events:
	case <-r.Context().Done():
		return
	}
	id := fmt.Sprintf("c0ffee00-0000-4000-8000-%012d", a.seq.Add(1))
	a.mu.Lock()
	a.handed[id] = time.Now()
	a.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", coldARN)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	w.Write(ev)
}

// streamDelimiter separates a streamed Function URL response's JSON prelude
// (status, headers, cookies) from its body.
var streamDelimiter = make([]byte, 8)

func (a *runtimeAPI) result(w http.ResponseWriter, r *http.Request, id string, failed bool) {
	body, err := io.ReadAll(r.Body)
	done := time.Now()
	a.mu.Lock()
	handed, known := a.handed[id]
	a.mu.Unlock()
	if !known {
		http.Error(w, "unknown request ID "+id, http.StatusBadRequest)
		return
	}
	res := invocationResult{
		took:     done.Sub(handed),
		streamed: r.Header.Get("Lambda-Runtime-Function-Response-Mode") == "streaming" || slices.Contains(r.TransferEncoding, "chunked"),
	}
	switch {
	case err != nil:
		res.err = "reading the response: " + err.Error()
	case failed:
		res.err = string(body)
	default:
		res.status, res.body, err = functionURLResponse(r.Header.Get("Content-Type"), body)
		if err != nil {
			res.err = err.Error()
		}
	}
	if t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
		res.err = "the stream failed midway: " + t
	}
	a.results <- res
	accepted(w)
}

// functionURLResponse reads a Function URL response: streamed (a JSON
// prelude, eight zero bytes, the body) or buffered (one JSON document).
func functionURLResponse(contentType string, b []byte) (status int, body []byte, err error) {
	var prelude struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if contentType == "application/vnd.awslambda.http-integration-response" {
		head, rest, ok := bytes.Cut(b, streamDelimiter)
		if !ok {
			return 0, nil, errors.New("a streamed response without the prelude's delimiter")
		}
		if err := json.Unmarshal(head, &prelude); err != nil {
			return 0, nil, fmt.Errorf("the streamed response's prelude: %w", err)
		}
		return prelude.StatusCode, rest, nil
	}
	if err := json.Unmarshal(b, &prelude); err != nil {
		return 0, nil, fmt.Errorf("a response that is neither streamed nor a Function URL response (%s): %w", contentType, err)
	}
	return prelude.StatusCode, []byte(prelude.Body), nil
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

// strayAWS stands in for every AWS endpoint but DynamoDB's: it counts what
// reaches it and answers 500, so that nothing leaves the machine and a call
// the function should not make shows.
type strayAWS struct {
	url string
	srv *http.Server
	mu  sync.Mutex
	got []string
}

func newStrayAWS() *strayAWS {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := &strayAWS{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, r.Method+" "+r.Host+r.URL.Path+" "+r.Header.Get("X-Amz-Target"))
		s.mu.Unlock()
		http.Error(w, "the cold-start benchmark reaches no AWS service but DynamoDB", http.StatusInternalServerError)
	}), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s
}

func (s *strayAWS) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func (s *strayAWS) paths() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.got, "; ")
}

func (s *strayAWS) close() { s.srv.Close() }

func coldMedian(d []time.Duration) time.Duration { return percentile(d, 50) }

// percentile is the p-th percentile of d (nearest rank).
func percentile[T int64 | time.Duration](d []T, p float64) T {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
