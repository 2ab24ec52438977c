package jobs_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"transcoder/app/jobs"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// lifecycle is a full MediaConvert job, in the order the engine emits it.
func lifecycle(id string) []*jobs.Update {
	return []*jobs.Update{
		{JobID: id, Engine: jobs.MediaConvert, At: at(0), State: jobs.Submitted},
		{JobID: id, At: at(1), State: jobs.Progressing, Queue: "q1"},
		{JobID: id, At: at(2), State: jobs.Progressing, Input: &jobs.Input{URI: "s3://in/a.wav", DurationMS: 4000}},
		{JobID: id, At: at(3), State: jobs.Progressing, Progress: 40},
		{JobID: id, At: at(4), State: jobs.Progressing, Warnings: []jobs.Warning{{Code: "230001", Message: "w"}}},
		{JobID: id, At: at(5), State: jobs.Progressing, Progress: 80},
		{JobID: id, At: at(6), State: jobs.Complete, Outputs: []jobs.Output{
			{URI: "s3://out/a.flac", DurationMS: 4000},
			{URI: "s3://out/a.m4a", DurationMS: 4000},
		}, Warnings: []jobs.Warning{{Code: "230001", Message: "w", Count: 2}}},
	}
}

func TestApplyInOrderRecordsEveryStateOnce(t *testing.T) {
	j := jobs.New("j1")
	var all []jobs.Transition
	for _, u := range lifecycle("j1") {
		rec, _ := j.Apply(u)
		all = append(all, rec...)
	}
	want := []jobs.Transition{{jobs.Submitted, at(0)}, {jobs.Progressing, at(1)}, {jobs.Complete, at(6)}}
	if !reflect.DeepEqual(j.Transitions, want) || !reflect.DeepEqual(all, want) {
		t.Fatalf("transitions = %v, recorded = %v, want %v", j.Transitions, all, want)
	}
	if j.State != jobs.Complete || j.Progress != 100 || len(j.Outputs) != 2 || j.Input == nil || j.Queue != "q1" {
		t.Fatalf("unexpected job %+v", j)
	}
	if len(j.Warnings) != 1 || j.Warnings[0].Count != 2 {
		t.Fatalf("warnings = %+v, want one with count 2", j.Warnings)
	}
	if j.Version != int64(len(lifecycle("j1"))) {
		t.Fatalf("version = %d, want one per changing update", j.Version)
	}
}

func TestApplyIsIndependentOfOrderAndDuplicates(t *testing.T) {
	ref := jobs.New("j")
	for _, u := range lifecycle("j") {
		ref.Apply(u)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		us := lifecycle("j")
		us = append(us, us[rng.IntN(len(us))], us[rng.IntN(len(us))])
		rng.Shuffle(len(us), func(a, b int) { us[a], us[b] = us[b], us[a] })
		j := jobs.New("j")
		seen := map[jobs.State]int{}
		for _, u := range us {
			rec, _ := j.Apply(u)
			for _, tr := range rec {
				seen[tr.State]++
			}
		}
		if j.State != jobs.Complete || j.Progress != 100 {
			t.Fatalf("round %d: state %s progress %d", round, j.State, j.Progress)
		}
		if len(j.Outputs) != 2 || j.Input == nil || len(j.Warnings) != 1 || j.Warnings[0].Count != 2 {
			t.Fatalf("round %d: attributes lost: %+v", round, j)
		}
		for st, n := range seen {
			if n != 1 {
				t.Fatalf("round %d: %s recorded %d times", round, st, n)
			}
		}
		if len(seen) != len(j.Transitions) {
			t.Fatalf("round %d: recorded %v but job has %v", round, seen, j.Transitions)
		}
	}
}

func TestApplyingTheSameUpdateTwiceChangesNothing(t *testing.T) {
	for i, u := range lifecycle("j") {
		j := jobs.New("j")
		for _, prev := range lifecycle("j")[:i] {
			j.Apply(prev)
		}
		j.Apply(u)
		before := *j
		rec, changed := j.Apply(u)
		if changed || len(rec) != 0 || j.Version != before.Version {
			t.Fatalf("update %d applied twice: changed=%v recorded=%v", i, changed, rec)
		}
	}
}

func TestStateRules(t *testing.T) {
	tests := []struct {
		name  string
		seq   []jobs.State
		want  jobs.State
		trans int
	}{
		{"a new job without a state is submitted", []jobs.State{""}, jobs.Submitted, 1},
		{"a new job takes the first state it hears of", []jobs.State{jobs.Progressing}, jobs.Progressing, 1},
		{"a progressing event never moves a complete job back", []jobs.State{jobs.Complete, jobs.Progressing}, jobs.Complete, 1},
		{"a submitted event never moves a progressing job back", []jobs.State{jobs.Progressing, jobs.Submitted}, jobs.Progressing, 1},
		{"the first terminal state wins over a later error", []jobs.State{jobs.Complete, jobs.Failed}, jobs.Complete, 1},
		{"the first terminal state wins over a later completion", []jobs.State{jobs.Canceled, jobs.Complete}, jobs.Canceled, 1},
		{"a progressing job can fail", []jobs.State{jobs.Submitted, jobs.Progressing, jobs.Failed}, jobs.Failed, 3},
		{"a submitted job can be canceled", []jobs.State{jobs.Submitted, jobs.Canceled}, jobs.Canceled, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := jobs.New("j")
			for i, s := range tt.seq {
				j.Apply(&jobs.Update{JobID: "j", At: at(i), State: s})
			}
			if j.State != tt.want || len(j.Transitions) != tt.trans {
				t.Fatalf("state %s with %d transitions, want %s with %d", j.State, len(j.Transitions), tt.want, tt.trans)
			}
		})
	}
}

func TestProgressNeverGoesDown(t *testing.T) {
	j := jobs.New("j")
	for i, p := range []int{10, 60, 30, 0, 59} {
		j.Apply(&jobs.Update{JobID: "j", At: at(i), State: jobs.Progressing, Progress: p})
	}
	if j.Progress != 60 {
		t.Fatalf("progress %d, want 60", j.Progress)
	}
}

func TestErrorIsKeptOnlyForAFailedJob(t *testing.T) {
	done := jobs.New("j")
	done.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Complete})
	done.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Failed, Error: &jobs.Failure{Code: "1", Message: "late"}})
	if done.Error != nil {
		t.Fatalf("a complete job took an error: %+v", done.Error)
	}
	failed := jobs.New("j")
	failed.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Failed, Error: &jobs.Failure{Code: "1030", Message: "bad input"}})
	failed.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Failed, Error: &jobs.Failure{Code: "2", Message: "other"}})
	if failed.Error == nil || failed.Error.Code != "1030" {
		t.Fatalf("error = %+v, want the first one", failed.Error)
	}
}

func TestOutputStatusFromATerminalEventSupersedes(t *testing.T) {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Progressing, Outputs: []jobs.Output{{URI: "s3://o/a", Status: "PROGRESSING"}}})
	j.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Complete, Outputs: []jobs.Output{{URI: "s3://o/a", Status: "COMPLETE", Preset: "flac"}}})
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Progressing, Outputs: []jobs.Output{{URI: "s3://o/a", Status: "PROGRESSING"}}})
	if len(j.Outputs) != 1 || j.Outputs[0].Status != "COMPLETE" || j.Outputs[0].Preset != "flac" {
		t.Fatalf("outputs = %+v", j.Outputs)
	}
}

func TestMetadataKeepsTheFirstValueOfAKey(t *testing.T) {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(0), Metadata: map[string]string{"a": "1"}})
	j.Apply(&jobs.Update{JobID: "j", At: at(1), Metadata: map[string]string{"a": "2", "b": "3"}})
	if !reflect.DeepEqual(j.Metadata, map[string]string{"a": "1", "b": "3"}) {
		t.Fatalf("metadata = %v", j.Metadata)
	}
}

func TestValidateNamesWhatIsWrong(t *testing.T) {
	tests := []struct {
		name string
		u    jobs.Update
		ok   bool
	}{
		{"a complete update is valid", jobs.Update{JobID: "j", At: t0, State: jobs.Complete, Progress: 100}, true},
		{"an update without a job id is invalid", jobs.Update{At: t0}, false},
		{"an update without a time is invalid", jobs.Update{JobID: "j"}, false},
		{"an update with an unknown state is invalid", jobs.Update{JobID: "j", At: t0, State: "DONE"}, false},
		{"an update with progress over 100 is invalid", jobs.Update{JobID: "j", At: t0, Progress: 101}, false},
		{"an update with negative progress is invalid", jobs.Update{JobID: "j", At: t0, Progress: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.u.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestOwnerNameAndPresetsAreSetOnceByWhoeverKnowsThem(t *testing.T) {
	j := jobs.New("j")
	// The engine's event can arrive before the submission is stored.
	j.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Progressing})
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Submitted, Owner: "alice", Name: "song", Presets: []string{"flac"}})
	j.Apply(&jobs.Update{JobID: "j", At: at(2), Owner: "mallory", Name: "other", Presets: []string{"wav"}})
	if j.Owner != "alice" || j.Name != "song" || len(j.Presets) != 1 || j.Presets[0] != "flac" || j.State != jobs.Progressing {
		t.Fatalf("job %+v", j)
	}
}

func TestALosingTerminalEventNeverFlipsAnOutputOnRedelivery(t *testing.T) {
	j := jobs.New("j")
	done := &jobs.Update{JobID: "j", At: at(1), State: jobs.Complete, Outputs: []jobs.Output{{URI: "s3://o/a", Status: "COMPLETE"}}}
	late := &jobs.Update{JobID: "j", At: at(2), State: jobs.Canceled, Outputs: []jobs.Output{{URI: "s3://o/a", Status: "CANCELED"}}}
	j.Apply(done)
	v := j.Version
	for range 3 {
		j.Apply(late)
		j.Apply(done)
	}
	if j.Outputs[0].Status != "COMPLETE" || j.Version != v {
		t.Fatalf("output %q at version %d (from %d): redeliveries changed the job", j.Outputs[0].Status, j.Version, v)
	}
}

func TestTimesAreKeptInUTC(t *testing.T) {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(0).In(time.FixedZone("X", 3600)), State: jobs.Complete})
	if j.CreatedAt.Location() != time.UTC || j.Transitions[0].At.Location() != time.UTC || j.UpdatedAt.Location() != time.UTC {
		t.Fatalf("times not in UTC: %v %v %v", j.CreatedAt, j.Transitions[0].At, j.UpdatedAt)
	}
}
