//go:build !transcoder_lambda

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"transcoder/app/config"
	"transcoder/app/internal/snstest"
	"transcoder/app/jobs"
	"transcoder/app/sns"
)

const (
	topic = "arn:aws:sns:us-east-1:123456789012:transcoder-dev-events"
	token = "test-token-0123456789"
)

// instance is one run of the whole program, as main starts it.
type instance struct {
	url    string
	cancel context.CancelFunc
	done   chan error
}

func testEnv(t *testing.T, signer *snstest.Signer, dataDir string) map[string]string {
	certs := t.TempDir()
	if err := signer.Pin(certs); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"ADDR":           "127.0.0.1:0",
		"DATA_DIR":       dataDir,
		"SNS_TOPIC_ARNS": topic,
		"SNS_CERT_DIR":   certs,
		"API_TOKEN":      token,
		"LOCAL_S3_ADDR":  "127.0.0.1:0",
	}
}

// start runs the program and waits until it says where it listens and its
// /healthz answers 200.
func start(t *testing.T, env map[string]string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	in := &instance{cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx, []string{"server"}, func(k string) string { return env[k] }, pw)
		pw.Close()
		in.done <- err
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case a := <-addr:
		in.url = "http://" + a
	case err := <-in.done:
		t.Fatalf("the service stopped before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not say where it listens")
	}
	resp, err := http.Get(in.url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { in.stop(t) })
	return in
}

func (in *instance) stop(t *testing.T) {
	in.cancel()
	select {
	case err := <-in.done:
		if err != nil {
			t.Errorf("run returned %v on shutdown", err)
		}
		in.done <- nil // a second stop returns at once
	case <-time.After(30 * time.Second):
		t.Error("the service did not stop")
	}
}

func post(t *testing.T, url string, m *sns.Message) int {
	t.Helper()
	resp, err := http.Post(url+"/transcode-complete", "text/plain", bytes.NewReader(snstest.Body(m)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func jobState(t *testing.T, url, id string) (string, int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/jobs/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j struct{ State string }
	json.NewDecoder(resp.Body).Decode(&j)
	return j.State, resp.StatusCode
}

func completeEvent(id string, at time.Time) string {
	return fmt.Sprintf(`{"version":"0","id":"e1","detail-type":"MediaConvert Job State Change","source":"aws.mediaconvert","account":"123456789012",`+
		`"time":"%s","region":"us-east-1","resources":[],"detail":{"timestamp":%d,"accountId":"123456789012","queue":"arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",`+
		`"jobId":"%s","status":"COMPLETE","userMetadata":{},"outputGroupDetails":[{"outputDetails":[{"outputFilePaths":["s3://out/a.flac"],"durationInMs":1000}],"type":"FILE_GROUP"}]}}`,
		at.UTC().Format(time.RFC3339), at.UnixMilli(), id)
}

func TestTheServiceKeepsJobsAcrossARestart(t *testing.T) {
	signer, err := snstest.NewSigner(topic)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, signer, t.TempDir())
	first := start(t, env)
	now := time.Now()
	if status := post(t, first.url, signer.Notification(completeEvent("j1", now), now)); status != 200 {
		t.Fatalf("delivery answered %d", status)
	}
	first.stop(t)

	second := start(t, env)
	if state, status := jobState(t, second.url, "j1"); status != 200 || state != "COMPLETE" {
		t.Fatalf("after restart the job is %d %q", status, state)
	}
}

func TestABadConfigurationStopsTheServiceNamingTheVariable(t *testing.T) {
	env := map[string]string{"ADDR": "nowhere", "STORE": "postgres"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ADDR:") || !strings.Contains(err.Error(), "STORE:") {
		t.Fatalf("run = %v, want an error naming ADDR and STORE", err)
	}
}

func TestShutdownFinishesTheRequestInFlight(t *testing.T) {
	signer, err := snstest.NewSigner(topic)
	if err != nil {
		t.Fatal(err)
	}
	in := start(t, testEnv(t, signer, t.TempDir()))
	now := time.Now()
	body := snstest.Body(signer.Notification(completeEvent("j1", now), now))

	conn, err := net.Dial("tcp", strings.TrimPrefix(in.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The server answers "100 Continue" once the handler starts reading the
	// body: from then on the request is in flight, not an idle connection
	// that shutdown may close.
	fmt.Fprintf(conn, "POST /transcode-complete HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(body))
	r := bufio.NewReader(conn)
	if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("the server did not take the request in: %q %v", line, err)
	}
	r.ReadString('\n') // the blank line after the interim answer
	conn.Write(body[:10])
	// Shutdown begins: the server reports itself not ready at once, so poll
	// for that after cancelling.
	in.cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(in.url + "/healthz")
		if err != nil || resp.StatusCode == 503 {
			if resp != nil {
				resp.Body.Close()
			}
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("shutdown did not begin")
		}
		time.Sleep(10 * time.Millisecond)
	}
	conn.Write(body[10:])
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("the in-flight request answered %d", resp.StatusCode)
	}
}

func TestTheLambdaFunctionServesTheSameHandlerAndDeliversWebhooksOnSchedule(t *testing.T) {
	signer, err := snstest.NewSigner(topic)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, signer, t.TempDir())
	env["WEBHOOK_SECRET"] = "webhook-secret-0123456789"
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	svc, err := newService(context.Background(), cfg, logger, "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer svc.close(logger)
	svc.srv.SetReady(true)
	handle := lambdaHandler(svc.srv, svc.webhooks, svc.subscription)

	// invoke sends the function the JSON the Lambda service would.
	invoke := func(payload any) any {
		t.Helper()
		raw, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		out, err := handle(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	request := func(method, path string, body []byte, header map[string]string) (int, string) {
		t.Helper()
		req := lambdaevents.LambdaFunctionURLRequest{RawPath: path, Headers: header, Body: string(body)}
		req.RequestContext.DomainName = "abc.lambda-url.us-east-1.on.aws"
		req.RequestContext.HTTP.Method = method
		resp, ok := invoke(req).(*lambdaevents.LambdaFunctionURLStreamingResponse)
		if !ok {
			t.Fatal("a Function URL request was not answered as a stream")
		}
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	now := time.Now()
	m := signer.Notification(completeEvent("j1", now), now)
	if status, out := request("POST", "/transcode-complete", snstest.Body(m), map[string]string{
		"x-amz-sns-message-type": m.Type, "x-amz-sns-topic-arn": m.TopicARN,
	}); status != 200 || !strings.Contains(out, "applied") {
		t.Fatalf("delivery through the Function URL: %d %s", status, out)
	}
	if status, out := request("GET", "/jobs/j1", nil, map[string]string{"authorization": "Bearer " + token}); status != 200 || !strings.Contains(out, `"state":"COMPLETE"`) {
		t.Fatalf("job through the Function URL: %d %s", status, out)
	}
	if status, _ := request("POST", "/transcode-complete", []byte("junk"), nil); status != 400 {
		t.Fatalf("junk through the Function URL: %d", status)
	}

	// A call owed and due is made when the schedule fires.
	calls := make(chan string, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls <- r.Header.Get("Transcoder-Delivery")
	}))
	defer receiver.Close()
	if _, err := svc.store.Apply(context.Background(), &jobs.Update{JobID: "j2", At: time.Now(), State: jobs.Complete, CallbackURL: receiver.URL}); err != nil {
		t.Fatal(err)
	}
	out := invoke(map[string]any{"source": "aws.events", "detail-type": "Scheduled Event", "detail": map[string]any{}})
	if got, ok := out.(map[string]int); !ok || got["calls"] != 1 {
		t.Fatalf("the scheduled event answered %v, want one call made", out)
	}
	if id := <-calls; id != "j2-COMPLETE" {
		t.Fatalf("the receiver got delivery %q", id)
	}
}
