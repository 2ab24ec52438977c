package jobs_test

import (
	"reflect"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// full is a job with every field set, as far as reflection can tell.
func full() *jobs.Job {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Submitted, Owner: "o", Name: "n", Presets: []string{"mp3"},
		CallbackURL: "https://example.com/h", EngineJobID: "e", Engine: jobs.MediaConvert, Queue: "q",
		Metadata: map[string]string{"k": "v"}, Input: &jobs.Input{URI: "s3://in/a", DurationMS: 1, Details: map[string]any{"a": 1.0}}})
	j.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Failed, Progress: 5, Error: &jobs.Failure{Code: "1", Message: "m"},
		Warnings: []jobs.Warning{{Code: "w", Count: 1}}, Outputs: []jobs.Output{{URI: "s3://out/a.mp3", Status: "ERROR"}}})
	return j
}

func TestACloneSharesNothingTheJobsMethodsChange(t *testing.T) {
	orig := full()
	v := reflect.ValueOf(orig).Elem()
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the fixture leaves %s unset: set it so that Clone is checked for it", v.Type().Field(i).Name)
		}
	}
	snapshot := full()
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatal("a clone differs from its original")
	}
	c.Apply(&jobs.Update{JobID: "j", At: at(2), Presets: []string{"wav"}, Metadata: map[string]string{"k2": "v2"},
		Warnings: []jobs.Warning{{Code: "w", Count: 9}, {Code: "x"}}, Outputs: []jobs.Output{{URI: "s3://out/a.mp3", Preset: "mp3"}},
		Input: &jobs.Input{URI: "s3://in/a"}})
	c.MarkNotice("j-ERROR", true)
	c.ClaimWebhookCall("j-ERROR", at(5), at(9))
	c.RecordAttempt("j-SUBMITTED", at(6), 500, "e", false, at(7))
	c.Input.DurationMS, c.Error.Code = 2, "2"
	c.Transitions = append(c.Transitions[:1], jobs.Transition{State: jobs.Canceled, At: time.Time{}})
	if !reflect.DeepEqual(orig, snapshot) {
		t.Fatal("changing a clone changed its original")
	}
}
