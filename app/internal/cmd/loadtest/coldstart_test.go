package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The local Runtime API must speak the protocol the function's runtime
// client (aws-lambda-go) speaks, or the cold-start figures time nothing.
func TestTheRuntimeAPIHandsOutEventsAndTakesTheirAnswers(t *testing.T) {
	api, err := newRuntimeAPI()
	if err != nil {
		t.Fatal(err)
	}
	defer api.close()
	api.queue([]byte(`{"first":1}`), []byte(`{"second":2}`))
	base := "http://" + api.addr + runtimePrefix

	next := func() (id string) {
		t.Helper()
		resp, err := http.Get(base + "invocation/next")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		id = resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		deadline, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
		if resp.StatusCode != 200 || id == "" || err != nil || time.UnixMilli(deadline).Before(time.Now()) ||
			resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn") != coldARN || !json.Valid(body) {
			t.Fatalf("/next answered %d, id %q, deadline %q, ARN %q, body %q: want 200, an ID, a deadline ahead, the ARN and the event",
				resp.StatusCode, id, resp.Header.Get("Lambda-Runtime-Deadline-Ms"), resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"), body)
		}
		return id
	}
	post := func(path, contentType string, body io.Reader) int {
		t.Helper()
		resp, err := http.Post(base+path, contentType, body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	tests := []struct {
		name        string
		contentType string
		kind        string
		body        string
		chunked     bool
		want        invocationResult
	}{
		{
			name: "a streamed Function URL response is read up to its last chunk", kind: "response", chunked: true,
			contentType: "application/vnd.awslambda.http-integration-response",
			body:        `{"statusCode":200,"headers":{"content-type":"application/json"}}` + "\x00\x00\x00\x00\x00\x00\x00\x00" + `{"ok":true}`,
			want:        invocationResult{status: 200, body: []byte(`{"ok":true}`), streamed: true},
		},
		{
			name: "a function's error is kept as its error", kind: "error", contentType: "application/json",
			body: `{"errorMessage":"boom","errorType":"errorString"}`,
			want: invocationResult{err: `{"errorMessage":"boom","errorType":"errorString"}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := next()
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(strings.NewReader(tt.body)) // no length: sent chunked, as the client streams
			}
			if code := post("invocation/"+id+"/"+tt.kind, tt.contentType, body); code != http.StatusAccepted {
				t.Fatalf("POST %s answered %d, want 202", tt.kind, code)
			}
			got := <-api.results
			if got.status != tt.want.status || string(got.body) != string(tt.want.body) || got.err != tt.want.err || got.streamed != tt.want.streamed {
				t.Errorf("result %+v, want %+v", got, tt.want)
			}
			if got.took <= 0 {
				t.Errorf("took %v, want the time from /next to the answer", got.took)
			}
		})
	}

	if code := post("invocation/no-such-id/response", "application/json", strings.NewReader("{}")); code != http.StatusBadRequest {
		t.Errorf("an answer for an unknown request ID got %d, want 400", code)
	}
	if code := post("init/error", "application/json", strings.NewReader(`{"errorMessage":"no table"}`)); code != http.StatusAccepted {
		t.Errorf("init/error answered %d, want 202", code)
	}
	if msg := <-api.initErr; !strings.Contains(msg, "no table") {
		t.Errorf("init error %q, want the function's message", msg)
	}
	if api.firstNext().IsZero() {
		t.Error("the first /next was not timed")
	}
}

func TestFunctionURLResponsesReadInBothForms(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		status                  int
		want                    string
		fails                   bool
	}{
		{"a streamed response splits at the eight zero bytes", "application/vnd.awslambda.http-integration-response",
			`{"statusCode":404}` + "\x00\x00\x00\x00\x00\x00\x00\x00" + "not found", 404, "not found", false},
		{"a buffered response is one JSON document", "application/json", `{"statusCode":201,"body":"made"}`, 201, "made", false},
		{"a streamed response without the delimiter is refused", "application/vnd.awslambda.http-integration-response", `{"statusCode":200}`, 0, "", true},
		{"a response that is not JSON is refused", "application/octet-stream", `hello`, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := functionURLResponse(tt.contentType, []byte(tt.body))
			if (err != nil) != tt.fails || status != tt.status || string(body) != tt.want {
				t.Errorf("got %d %q %v, want %d %q (fails: %v)", status, body, err, tt.status, tt.want, tt.fails)
			}
		})
	}
}

func TestPercentilesTakeTheNearestRank(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	if got := coldMedian(d); got != 5 {
		t.Errorf("median = %v, want 5", got)
	}
	if got := percentile(d, 90); got != 9 {
		t.Errorf("p90 = %v, want 9", got)
	}
	if d[0] != 5 {
		t.Error("percentile sorted its input in place")
	}
}
