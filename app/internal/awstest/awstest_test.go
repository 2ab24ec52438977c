package awstest_test

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"transcoder/app/internal/awstest"
)

func TestTheServerRecordsEachRequestAndAnswersAsTold(t *testing.T) {
	s := awstest.NewServer(t, http.StatusBadRequest, http.Header{"X-Amzn-Errortype": {"BadRequestException"}}, `{"message":"no"}`)
	if n := s.Count(); n != 0 {
		t.Fatalf("a new server counts %d requests, want 0", n)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/2017-08-29/jobs?x=1", strings.NewReader(`{"role":"r","n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 signed")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	if resp.StatusCode != http.StatusBadRequest || string(answer) != `{"message":"no"}` {
		t.Errorf("answer is %d %s, want 400 and the body given", resp.StatusCode, answer)
	}
	if got := resp.Header.Get("X-Amzn-Errortype"); got != "BadRequestException" {
		t.Errorf("X-Amzn-Errortype is %q, want the header given", got)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type is %q, want application/json", ct)
	}
	got := s.Only()
	if got.Method != http.MethodPost || got.Path != "/2017-08-29/jobs" {
		t.Errorf("recorded %s %s, want POST /2017-08-29/jobs", got.Method, got.Path)
	}
	if auth := got.Header.Get("Authorization"); auth != "AWS4-HMAC-SHA256 signed" {
		t.Errorf("recorded Authorization %q, want the one sent", auth)
	}
	if want := map[string]any{"role": "r", "n": 1.0}; !reflect.DeepEqual(got.Body, want) {
		t.Errorf("recorded body %v, want %v", got.Body, want)
	}
}

func TestTheServerCountsEveryRequestInOrder(t *testing.T) {
	s := awstest.NewServer(t, http.StatusOK, nil, `{}`)
	for _, p := range []string{"/a", "/b", "/c"} {
		resp, err := http.Post(s.URL+p, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := s.Count(); n != 3 {
		t.Errorf("Count() = %d, want 3", n)
	}
	var paths []string
	for _, r := range s.Requests() {
		paths = append(paths, r.Path)
	}
	if want := []string{"/a", "/b", "/c"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("requests were %v, want %v", paths, want)
	}
}
