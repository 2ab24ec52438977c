package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"transcoder/app/failures"
	"transcoder/app/jobs"
	"transcoder/app/quotas"
	"transcoder/app/server"
)

// rawFailure is what the local engine reported for a real corrupt MP3 (see
// package failures' tests for how ffmpeg says it): a bucket path and ffmpeg's
// memory addresses, which are the operator's to read and nobody else's.
const rawFailure = "Unable to transcode input file [s3://transcoder-input/uploads/s-eoaj77/u1/corrupt.mp3]: " +
	"[[abuffer @ 0x5586d2cb9600] Error setting option time_base to value 1/0.; " +
	"[graph_0_in_0_0 @ 0x5586d2cb9500] Error applying options to the filter.; Error configuring filter graph]"

// engineInternals are what the owner must never read.
var engineInternals = []string{"s3://", "0x", "abuffer", "transcoder-input", "uploads/"}

func leaks(s string) string {
	for _, w := range engineInternals {
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// failedJob submits a job as alice and fails it with an engine's ERROR event.
func failedJob(t *testing.T, s *submitting, code int, message string) string {
	t.Helper()
	a := s.submit(aliceKey, s.upload(100))
	if a.status != http.StatusCreated {
		t.Fatalf("POST /jobs: %d %v", a.status, a.body)
	}
	id := a.body["id"].(string)
	detail, _ := json.Marshal(map[string]any{"errorCode": code, "errorMessage": message})
	now := time.Now()
	ev := mcEventFor(id, "ERROR", now, strings.Trim(string(detail), "{}"))
	if a := h(s).deliver(s.signer.Notification(ev, now)); a.status != http.StatusOK {
		t.Fatalf("delivering ERROR: %d %v\n%s", a.status, a.body, s.logs.String())
	}
	return id
}

func errorOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("the job view has no error: %v", body)
	}
	return e
}

func TestTheOwnerReadsAFailureInPlainWordsAndOnlyTheOperatorReadsTheEngines(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{})
	id := failedJob(t, s, 1076, rawFailure)
	plain := failures.Unreadable.Sentence()

	t.Run("the owner's job view has the plain sentence and no detail", func(t *testing.T) {
		a := s.as(aliceKey, http.MethodGet, "/jobs/"+id, nil)
		e := errorOf(t, a.body)
		if e["message"] != plain || e["code"] != "1076" {
			t.Errorf("error %v, want code 1076 and %q", e, plain)
		}
		if d, ok := e["detail"]; ok {
			t.Errorf("the owner is shown the engine's detail %q", d)
		}
		raw, _ := json.Marshal(e)
		if w := leaks(string(raw)); w != "" {
			t.Errorf("the owner's error carries %q: %s", w, raw)
		}
	})
	t.Run("the owner's list of jobs has the plain sentence and no detail", func(t *testing.T) {
		a := s.as(aliceKey, http.MethodGet, "/jobs", nil)
		list, _ := a.body["jobs"].([]any)
		if len(list) != 1 {
			t.Fatalf("jobs %v", a.body)
		}
		e := errorOf(t, list[0].(map[string]any))
		if _, ok := e["detail"]; ok || e["message"] != plain {
			t.Errorf("listed error %v, want only %q", e, plain)
		}
	})
	t.Run("the owner's event stream has the plain sentence and no detail", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/jobs/"+id+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+aliceKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		var view map[string]any
		for view == nil {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("the stream ended before a job event: %v", err)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				json.Unmarshal([]byte(data), &view)
			}
		}
		e := errorOf(t, view)
		if _, ok := e["detail"]; ok || e["message"] != plain {
			t.Errorf("streamed error %v, want only %q", e, plain)
		}
	})
	t.Run("the owner's inbox says the plain sentence", func(t *testing.T) {
		a := s.as(aliceKey, http.MethodGet, "/inbox", nil)
		notices, _ := a.body["notices"].([]any)
		if len(notices) != 1 {
			t.Fatalf("inbox %v", a.body)
		}
		text, _ := notices[0].(map[string]any)["text"].(string)
		if text != "Your file a.wav could not be transcoded. "+plain {
			t.Errorf("notice %q", text)
		}
	})
	t.Run("the operator reads the plain sentence and the engine's own words", func(t *testing.T) {
		a := s.operator(http.MethodGet, "/jobs/"+id, nil)
		e := errorOf(t, a.body)
		if e["message"] != plain || e["detail"] != rawFailure {
			t.Errorf("operator's error %v, want %q with detail %q", e, plain, rawFailure)
		}
	})
	t.Run("the engine's words are logged for the operator", func(t *testing.T) {
		line := logLine(t, s.logs.String(), "job failed")
		if line["job_id"] != id || line["detail"] != rawFailure || line["reason"] != string(failures.Unreadable) || line["level"] != "INFO" {
			t.Errorf("log line %v", line)
		}
	})
}

func TestAFailureThatIsTheServicesIsLoggedAsAnErrorAndToldAsOurs(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{})
	id := failedJob(t, s, 1401, "Access Denied: role arn:aws:iam::123456789012:role/transcoder cannot read s3://transcoder-input/uploads/x")
	e := errorOf(t, s.as(aliceKey, http.MethodGet, "/jobs/"+id, nil).body)
	if e["message"] != failures.Service.Sentence() {
		t.Errorf("error %v, want %q", e, failures.Service.Sentence())
	}
	if line := logLine(t, s.logs.String(), "job failed"); line["level"] != "ERROR" || line["reason"] != string(failures.Service) {
		t.Errorf("log line %v, want an ERROR of reason %q", line, failures.Service)
	}
}

// refusingEngine refuses every job as an engine's API does.
type refusingEngine struct{ recordingEngine }

func (*refusingEngine) Start(context.Context, jobs.StartRequest) (string, error) {
	return "", errors.New("mediaconvert: CreateJob: AccessDeniedException: arn:aws:iam::123456789012:role/transcoder is not authorized")
}

func TestAJobTheEngineRefusesIsAnsweredWithoutTheEnginesWords(t *testing.T) {
	s := newSubmitting(t, quotas.Limits{}, func(d *server.Deps) { d.Transcoder = &refusingEngine{} })
	a := s.submit(aliceKey, s.upload(100))
	if a.status != http.StatusBadGateway {
		t.Fatalf("POST /jobs: %d %v", a.status, a.body)
	}
	if a.body["error"] != failures.Service.Sentence() {
		t.Errorf("answered %q, want %q", a.body["error"], failures.Service.Sentence())
	}
	job, _ := a.body["job"].(map[string]any)
	e := errorOf(t, job)
	if _, ok := e["detail"]; ok || e["code"] != failures.StartFailed || e["message"] != failures.Service.Sentence() {
		t.Errorf("the owner's job error %v", e)
	}
	if !strings.Contains(s.logs.String(), "AccessDeniedException") {
		t.Errorf("the engine's refusal was not logged:\n%s", s.logs.String())
	}
}

// logLine finds the JSON log line with the given msg.
func logLine(t *testing.T, logs, msg string) map[string]any {
	t.Helper()
	for _, l := range strings.Split(logs, "\n") {
		var line map[string]any
		if json.Unmarshal([]byte(l), &line) == nil && line["msg"] == msg {
			return line
		}
	}
	t.Fatalf("no %q line in the logs:\n%s", msg, logs)
	return nil
}
