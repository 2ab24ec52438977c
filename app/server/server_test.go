package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"transcoder/app/events"
	"transcoder/app/internal/snstest"

	"transcoder/app/internal/syncbuf"
	"transcoder/app/jobs"
	"transcoder/app/server"
	"transcoder/app/sns"
	"transcoder/app/sqlite"
)

const (
	topic = "arn:aws:sns:us-east-1:123456789012:transcoder-dev-events"
	token = "test-token-0123456789"
)

// harness is the real handler on a real loopback server, with the real
// verifier, decoders and SQLite store. Only SNS itself is stood in for: a
// TLS server that answers the subscription confirmation GETs, reached through
// the verifier's HTTP client so that every URL rule stays in force.
type harness struct {
	t        *testing.T
	url      string
	signer   *snstest.Signer
	store    *sqlite.Store
	logs     *syncbuf.Buffer
	confirms atomic.Int32
}

func newHarness(t *testing.T, opts ...func(*server.Deps)) *harness {
	t.Helper()
	h := &harness{t: t, logs: new(syncbuf.Buffer)}
	var err error
	if h.signer, err = snstest.NewSigner(topic); err != nil {
		t.Fatal(err)
	}
	certs := t.TempDir()
	if err := h.signer.Pin(certs); err != nil {
		t.Fatal(err)
	}
	if h.store, err = sqlite.Open(filepath.Join(t.TempDir(), "jobs.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })

	fakeSNS := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".pem") {
			http.Error(w, "SNS is having a bad day", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Query().Get("Token") == "refuse" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		h.confirms.Add(1)
		io.WriteString(w, "<ConfirmSubscriptionResponse/>")
	}))
	t.Cleanup(fakeSNS.Close)
	client := &http.Client{Transport: &http.Transport{
		// Every host dials the stand-in; the verifier still checks the URL.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, fakeSNS.Listener.Addr().String())
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}

	v, err := sns.NewVerifier(sns.Options{TopicARNs: []string{topic}, MaxAge: time.Hour, CertDir: certs, HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	deps := server.Deps{
		Logger:   slog.New(slog.NewJSONHandler(h.logs, nil)),
		Store:    h.store,
		Verifier: v,
		Events:   &events.Decoder{},
		APIToken: token,
	}
	for _, o := range opts {
		o(&deps)
	}
	srv := server.New(deps)
	srv.SetReady(true)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	h.url = ts.URL
	return h
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (h *harness) do(method, path string, body []byte, header map[string]string) answer {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &a.body)
	return a
}

// deliver POSTs m as SNS does, headers included.
func (h *harness) deliver(m *sns.Message) answer {
	return h.do(http.MethodPost, "/transcode-complete", snstest.Body(m), map[string]string{
		"Content-Type":           "text/plain; charset=UTF-8",
		"x-amz-sns-message-type": m.Type,
		"x-amz-sns-topic-arn":    m.TopicARN,
		"x-amz-sns-message-id":   m.MessageID,
	})
}

// job reads the job view the operator gets from GET /jobs/:id.
func (h *harness) job(id string) (*server.JobView, int) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.url+"/jobs/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode
	}
	var j server.JobView
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		h.t.Fatal(err)
	}
	return &j, resp.StatusCode
}

// stored reads the job as the store keeps it, which the API does not show
// whole (its version, for one).
func (h *harness) stored(id string) *jobs.Job {
	h.t.Helper()
	j, err := h.store.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return j
}

// mcEvent renders a MediaConvert Job State Change event as EventBridge
// publishes it to SNS.
func mcEvent(jobID, status string, at time.Time, detail string) string {
	if detail != "" {
		detail = "," + detail
	}
	return fmt.Sprintf(`{"version":"0","id":"e-%[1]s-%[2]s","detail-type":"MediaConvert Job State Change","source":"aws.mediaconvert",`+
		`"account":"123456789012","time":"%[3]s","region":"us-east-1","resources":["arn:aws:mediaconvert:us-east-1:123456789012:jobs/%[1]s"],`+
		`"detail":{"timestamp":%[4]d,"accountId":"123456789012","queue":"arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",`+
		`"jobId":"%[1]s","status":"%[2]s","userMetadata":{}%[5]s}}`,
		jobID, status, at.UTC().Format(time.RFC3339), at.UnixMilli(), detail)
}

func complete(jobID string, at time.Time) string {
	return mcEvent(jobID, "COMPLETE", at, `"outputGroupDetails":[{"outputDetails":[{"outputFilePaths":["s3://out/`+jobID+`/a.m4a"],"durationInMs":4000}],"type":"FILE_GROUP"}]`)
}

func TestAVerifiedCompletionIsAppliedAndShownInTheJobView(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	if a := h.deliver(h.signer.Notification(mcEvent("j1", "PROGRESSING", now, ""), now)); a.status != 200 || a.body["outcome"] != "applied" {
		t.Fatalf("progressing: %+v\n%s", a, h.logs.String())
	}
	if a := h.deliver(h.signer.Notification(complete("j1", now.Add(time.Second)), now)); a.status != 200 || a.body["outcome"] != "applied" {
		t.Fatalf("complete: %+v", a)
	}
	j, status := h.job("j1")
	if status != 200 || j.State != jobs.Complete || j.Progress != 100 || len(j.Outputs) != 1 || j.Outputs[0].URI != "s3://out/j1/a.m4a" {
		t.Fatalf("job view %d: %+v", status, j)
	}
	if len(j.Transitions) != 2 || j.Transitions[0].State != jobs.Progressing || j.Transitions[1].State != jobs.Complete {
		t.Fatalf("transitions: %+v", j.Transitions)
	}
}

func TestARedeliveryIsAcceptedAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	m := h.signer.Notification(complete("j1", now), now)
	h.deliver(m)
	before := h.stored("j1")
	a := h.deliver(m)
	after := h.stored("j1")
	if a.status != 200 || a.body["outcome"] != "duplicate" || after.Version != before.Version {
		t.Fatalf("redelivery: %+v, version %d -> %d", a, before.Version, after.Version)
	}
}

func TestALateEventNeverMovesACompleteJobBack(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	h.deliver(h.signer.Notification(complete("j1", now), now))
	a := h.deliver(h.signer.Notification(mcEvent("j1", "INPUT_INFORMATION", now.Add(-time.Minute),
		`"inputDetails":[{"id":1,"uri":"s3://in/a.wav"}]`), now))
	j, _ := h.job("j1")
	if a.status != 200 || j.State != jobs.Complete || j.Input == nil || j.Input.URI != "s3://in/a.wav" {
		t.Fatalf("late input information: %+v, job %+v", a, j)
	}
}

func TestDeliveriesThatFailARuleAreRefusedWithTheRule(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	other, err := snstest.NewSigner("arn:aws:sns:us-east-1:123456789012:someone-else")
	if err != nil {
		t.Fatal(err)
	}
	tampered := h.signer.Notification(complete("j1", now), now)
	tampered.Message = strings.Replace(tampered.Message, "COMPLETE", "ERROR", 1)
	unpinned := other.Notification(complete("j1", now), now)
	unpinned.TopicARN = topic
	other.Sign(unpinned)
	stale := h.signer.Notification(complete("j1", now), now.Add(-2*time.Hour))
	badURL := h.signer.Notification(complete("j1", now), now)
	badURL.SigningCertURL = "https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-0123.pem"

	tests := []struct {
		name   string
		m      *sns.Message
		status int
		reason string
	}{
		{"a tampered message", tampered, 403, "signature"},
		{"a topic outside the allow-list", other.Notification(complete("j1", now), now), 403, "topic"},
		{"a message older than SNS_MAX_AGE", stale, 403, "Timestamp"},
		{"a certificate URL on an S3 bucket called sns", badURL, 403, "certificate URL"},
		{"a signature by a key whose certificate cannot be fetched", unpinned, 502, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.deliver(tt.m)
			reason, _ := a.body["error"].(string)
			if a.status != tt.status || !strings.Contains(reason, tt.reason) {
				t.Fatalf("got %d %q, want %d mentioning %q", a.status, reason, tt.status, tt.reason)
			}
		})
	}
	if _, status := h.job("j1"); status != 404 {
		t.Fatalf("a refused delivery changed state: job answers %d", status)
	}
}

func TestMalformedDeliveriesAreBadRequests(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	good := h.signer.Notification(complete("j1", now), now)
	var fields map[string]any
	json.Unmarshal(snstest.Body(good), &fields)
	mutate := func(f func(map[string]any)) []byte {
		c := map[string]any{}
		for k, v := range fields {
			c[k] = v
		}
		f(c)
		b, _ := json.Marshal(c)
		return b
	}
	tests := []struct {
		name   string
		body   []byte
		header map[string]string
	}{
		{"a body that is not JSON", []byte("hello"), nil},
		{"a JSON array", []byte("[]"), nil},
		{"a missing MessageId", mutate(func(m map[string]any) { delete(m, "MessageId") }), nil},
		{"a Message that is not a string", mutate(func(m map[string]any) { m["Message"] = 42 }), nil},
		{"an unknown Type", mutate(func(m map[string]any) { m["Type"] = "Gossip" }), nil},
		{"a topic header that disagrees with the body", snstest.Body(good), map[string]string{"x-amz-sns-topic-arn": "arn:aws:sns:us-east-1:123456789012:x"}},
		{"a type header that disagrees with the body", snstest.Body(good), map[string]string{"x-amz-sns-message-type": "SubscriptionConfirmation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.do(http.MethodPost, "/transcode-complete", tt.body, tt.header)
			if a.status != 400 || a.body["error"] == nil {
				t.Fatalf("got %d %v, want 400 with a reason", a.status, a.body)
			}
		})
	}
}

func TestOtherMethodsAreNotAllowed(t *testing.T) {
	h := newHarness(t)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		a := h.do(m, "/transcode-complete", nil, nil)
		if a.status != 405 || a.header.Get("Allow") != "POST" {
			t.Fatalf("%s: %d Allow=%q", m, a.status, a.header.Get("Allow"))
		}
	}
}

func TestABodyOverOneMebibyteIsTooLarge(t *testing.T) {
	h := newHarness(t)
	a := h.do(http.MethodPost, "/transcode-complete", bytes.Repeat([]byte("x"), server.MaxBody+1), nil)
	if a.status != 413 {
		t.Fatalf("got %d, want 413", a.status)
	}
}

func TestAVerifiedMessageThatIsNoTranscoderEventIsIgnored(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	for _, msg := range []string{"hello", `{"source":"aws.s3","detail-type":"Object Created"}`} {
		a := h.deliver(h.signer.Notification(msg, now))
		if a.status != 200 || a.body["outcome"] != "ignored" {
			t.Fatalf("%q: %+v", msg, a)
		}
	}
}

func TestSubscriptionConfirmations(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	good := "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=abc"
	tests := []struct {
		name     string
		typ, url string
		status   int
		confirms int32
	}{
		{"a subscription is confirmed through its SubscribeURL", sns.TypeSubscriptionConfirmation, good, 200, 1},
		{"a SubscribeURL off SNS's hosts is never fetched", sns.TypeSubscriptionConfirmation,
			"https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=abc", 403, 0},
		{"a SubscribeURL with another action is never fetched", sns.TypeSubscriptionConfirmation,
			"https://sns.us-east-1.amazonaws.com/?Action=Subscribe&TopicArn=" + topic + "&Token=abc", 403, 0},
		{"a confirmation SNS refuses is retried", sns.TypeSubscriptionConfirmation,
			"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=refuse", 502, 0},
		{"an unsubscribe confirmation is recorded, not acted on", sns.TypeUnsubscribeConfirmation, good, 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.confirms.Load()
			a := h.deliver(h.signer.Confirmation(tt.typ, tt.url, now))
			if a.status != tt.status || h.confirms.Load()-before != tt.confirms {
				t.Fatalf("got %d %v with %d confirmations, want %d with %d", a.status, a.body, h.confirms.Load()-before, tt.status, tt.confirms)
			}
		})
	}
}

func TestAStoreFailureAsksSNSToRetry(t *testing.T) {
	h := newHarness(t)
	h.store.Close()
	now := time.Now()
	if a := h.deliver(h.signer.Notification(complete("j1", now), now)); a.status != 503 {
		t.Fatalf("got %d, want 503", a.status)
	}
}

func TestTheJobsAPINeedsTheToken(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	h.deliver(h.signer.Notification(complete("j1", now), now))
	tests := []struct {
		name   string
		header map[string]string
		path   string
		status int
	}{
		{"no token is unauthorized", nil, "/jobs/j1", 401},
		{"a wrong token is unauthorized", map[string]string{"Authorization": "Bearer nope"}, "/jobs/j1", 401},
		{"a basic credential is unauthorized", map[string]string{"Authorization": "Basic " + token}, "/jobs/j1", 401},
		{"the token reads a job", map[string]string{"Authorization": "Bearer " + token}, "/jobs/j1", 200},
		{"an unknown job is not found", map[string]string{"Authorization": "Bearer " + token}, "/jobs/nope", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a := h.do(http.MethodGet, tt.path, nil, tt.header); a.status != tt.status {
				t.Fatalf("got %d, want %d", a.status, tt.status)
			}
		})
	}
}

func TestHealthAndMetricsTellWhatHappened(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	h.deliver(h.signer.Notification(complete("j1", now), now))
	h.do(http.MethodPost, "/transcode-complete", []byte("junk"), nil)
	if a := h.do(http.MethodGet, "/healthz", nil, nil); a.status != 200 {
		t.Fatalf("healthz %d", a.status)
	}
	if a := h.do(http.MethodGet, "/metrics", nil, nil); a.status != 401 {
		t.Fatalf("metrics without the operator's token: %d, want 401", a.status)
	}
	req, _ := http.NewRequest(http.MethodGet, h.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`transcoder_sns_deliveries_total{outcome="applied"} 1`,
		`transcoder_sns_deliveries_total{outcome="malformed"} 1`,
		`transcoder_job_transitions_total{state="COMPLETE"} 1`,
		`transcoder_sns_verify_seconds_count 1`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(h.logs.String(), `"outcome":"malformed"`) || !strings.Contains(h.logs.String(), `"job_id":"j1"`) {
		t.Errorf("log lines lack outcome or job id:\n%s", h.logs.String())
	}
}

// openStream opens the job's event stream with the bearer key and reads its
// first event.
func (h *harness) openStream(id, key string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodGet, h.url+"/jobs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		return resp, err
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err == nil && line != "event: job\n" {
		err = fmt.Errorf("first line %q", line)
	}
	return resp, err
}

func TestAStreamSaysEndOnceTheJobIsOverAndCloses(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	h.deliver(h.signer.Notification(mcEvent("j1", "PROGRESSING", now, ""), now))
	req, _ := http.NewRequest(http.MethodGet, h.url+"/jobs/j1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- name
			}
		}
		close(events)
	}()
	if e := <-events; e != "job" {
		t.Fatalf("first event %q", e)
	}
	h.deliver(h.signer.Notification(complete("j1", now.Add(time.Second)), now))
	var rest []string
	timeout := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case e, ok := <-events:
			if !ok {
				done = true
				break
			}
			rest = append(rest, e)
		case <-timeout:
			t.Fatalf("the stream stayed open after the job ended; events %v", rest)
		}
	}
	if len(rest) != 2 || rest[0] != "job" || rest[1] != "end" {
		t.Fatalf("after COMPLETE the stream sent %v, want [job end] and then closed", rest)
	}
}

func TestAnOwnerMayHoldOnlyAFewLiveStreamsAtOnce(t *testing.T) {
	const aliceKey = "alice-key-0123456789"
	h := newHarness(t, func(d *server.Deps) { d.APIKeys = map[string]string{aliceKey: "alice"} })
	if _, err := h.store.Apply(context.Background(), &jobs.Update{JobID: "j1", Owner: "alice", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var open []*http.Response
	defer func() {
		for _, r := range open {
			r.Body.Close()
		}
	}()
	for i := range 8 {
		resp, err := h.openStream("j1", aliceKey)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stream %d: %v %v", i, resp, err)
		}
		open = append(open, resp)
	}
	resp, err := h.openStream("j1", aliceKey)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a ninth stream: %d, want 429", resp.StatusCode)
	}
	// The operator, watching every job, is not bounded.
	operator, err := h.openStream("j1", token)
	if err != nil || operator.StatusCode != 200 {
		t.Fatalf("the operator's stream: %v %v", operator, err)
	}
	operator.Body.Close()
	open[0].Body.Close()
	open = open[1:]
	// The closed stream's slot comes back once the server notices.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := h.openStream("j1", aliceKey)
		if err == nil && resp.StatusCode == 200 {
			open = append(open, resp)
			break
		}
		if resp != nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed stream's slot never came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAStreamEndsAfterItsLifetimeSoTheBrowserReconnects(t *testing.T) {
	h := newHarness(t, func(d *server.Deps) { d.StreamLifetime = 100 * time.Millisecond })
	now := time.Now()
	h.deliver(h.signer.Notification(mcEvent("j1", "PROGRESSING", now, ""), now))
	resp, err := h.openStream("j1", token)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the stream ended with %v, want a clean end", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stream outlived its lifetime")
	}
}

func TestJobsAreListedNewestFirstAPageAtATime(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	for i := range 5 {
		at := now.Add(time.Duration(i) * time.Second)
		h.deliver(h.signer.Notification(complete(fmt.Sprintf("j%d", i), at), now))
	}
	auth := map[string]string{"Authorization": "Bearer " + token}
	var ids []string
	cursor := ""
	for pages := 0; pages < 5; pages++ {
		a := h.do(http.MethodGet, "/jobs?limit=2&cursor="+cursor, nil, auth)
		if a.status != 200 {
			t.Fatalf("GET /jobs: %d %v", a.status, a.body)
		}
		list, _ := a.body["jobs"].([]any)
		if len(list) > 2 {
			t.Fatalf("a page of %d jobs, limit 2", len(list))
		}
		for _, j := range list {
			ids = append(ids, j.(map[string]any)["id"].(string))
		}
		if cursor, _ = a.body["next"].(string); cursor == "" {
			break
		}
	}
	if fmt.Sprint(ids) != "[j4 j3 j2 j1 j0]" {
		t.Fatalf("listed %v, want newest first", ids)
	}
	for _, bad := range []string{"/jobs?limit=0", "/jobs?limit=101", "/jobs?limit=x", "/jobs?cursor=forged"} {
		if a := h.do(http.MethodGet, bad, nil, auth); a.status != 400 || a.body["error"] == nil {
			t.Errorf("GET %s: %d %v, want 400 with a reason", bad, a.status, a.body)
		}
	}
}
