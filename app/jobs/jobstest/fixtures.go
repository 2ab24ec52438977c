package jobstest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// base is the clock of the fixtures: UTC, with nanoseconds, so that a store
// that truncates or shifts a time is caught.
var base = time.Date(2025, time.March, 14, 15, 9, 26, 535897932, time.UTC)

// at returns base plus ms milliseconds and a few odd nanoseconds.
func at(ms int) time.Time {
	return base.Add(time.Duration(ms)*time.Millisecond + time.Duration(ms%7)*time.Nanosecond)
}

// The steps of lifecycle, by index.
const (
	stepCreate = iota
	stepSubmit
	stepInput
	stepProgress
	stepWarning
	stepWarningCount
	stepComplete
)

// lifecycle returns the events of a job that a user creates through the API
// and that runs to completion on MediaConvert, in the order they happen.
// Applied in any order, each twice, they leave the job as applying them once
// in that order would: no two of them disagree about a value that only one of
// them may set.
func lifecycle(id string) []*jobs.Update {
	return []*jobs.Update{
		stepCreate: {
			JobID: id, At: at(-500), Owner: "user-7", Name: "Holiday " + id,
			Presets: []string{"hls-1080p", "aac-128k"}, CallbackURL: "https://hooks.example.com/transcoder?job=" + id,
		},
		stepSubmit: {
			JobID: id, EngineJobID: "1700000000000-" + id, Engine: jobs.MediaConvert, At: at(0),
			State: jobs.Submitted, Queue: "arn:aws:mediaconvert:eu-west-1:123456789012:queues/Default",
			Metadata: map[string]string{jobs.MetadataJobID: id},
		},
		stepInput: {
			JobID: id, At: at(1000), State: jobs.Progressing,
			Input: &jobs.Input{URI: "s3://in/" + id + ".mov", DurationMS: 61_440, Details: details()},
		},
		stepProgress: {JobID: id, At: at(2000), State: jobs.Progressing, Progress: 25},
		stepWarning: {
			JobID: id, At: at(3000), State: jobs.Progressing, Progress: 50,
			Warnings: []jobs.Warning{{Code: "230005", Message: "Audio track has silence", Count: 1}},
		},
		stepWarningCount: {
			JobID: id, At: at(4000), State: jobs.Progressing, Progress: 75,
			Warnings: []jobs.Warning{{Code: "230005", Message: "Audio track has silence", Count: 3}},
		},
		stepComplete: {
			JobID: id, At: at(5000), State: jobs.Complete,
			Outputs: []jobs.Output{
				{URI: "s3://out/" + id + "/master.m3u8", Preset: "hls-1080p", DurationMS: 61_400, Status: "COMPLETE"},
				{URI: "s3://out/" + id + "/audio.m4a", Preset: "aac-128k", DurationMS: 61_440, Status: "COMPLETE"},
			},
		},
	}
}

// details is what an engine says about an input's streams, in the types a
// JSON decoder produces, so that it compares equal after a round trip.
func details() map[string]any {
	return map[string]any{
		"container": "mov",
		"video":     map[string]any{"codec": "h264", "width": 1920.0, "height": 1080.0, "frameRate": 29.97},
		"audio":     []any{map[string]any{"codec": "aac", "channels": 2.0, "sampleRate": 48000.0}},
		"hdr":       false,
	}
}

// replay applies us in order to a new job, as a store applies them to one it
// has never seen, and returns the result.
func replay(id string, us []*jobs.Update) *jobs.Job {
	j := jobs.New(id)
	for _, u := range us {
		if u.JobID == id {
			j.Apply(u)
		}
	}
	return j
}

// mustApply applies u and fails t if the store refuses it.
func mustApply(t *testing.T, s jobs.Store, u *jobs.Update) jobs.Change {
	t.Helper()
	c, err := s.Apply(context.Background(), u)
	if err != nil {
		t.Fatalf("Apply(%s at %s): %v", u.JobID, u.At.Format(time.RFC3339Nano), err)
	}
	if c.Job == nil {
		t.Fatalf("Apply(%s) returned a Change without a Job", u.JobID)
	}
	return c
}

// mustGet returns the stored job or fails t.
func mustGet(t *testing.T, s jobs.Store, id string) *jobs.Job {
	t.Helper()
	j, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return j
}

// sameJob fails t unless got and want are identical in every field, times
// included (instant, zone and monotonic reading alike).
func sameJob(t *testing.T, what string, got, want *jobs.Job) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s differs\n got: %s\nwant: %s", what, dump(got), dump(want))
	}
}

// sameTransitions fails t unless got and want list the same transitions in
// the same order.
func sameTransitions(t *testing.T, what string, got, want []jobs.Transition) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %s, want %s", what, dump(got), dump(want))
	}
}

// sameOnce fails t unless got holds every transition of want exactly once,
// in any order, and nothing else.
func sameOnce(t *testing.T, what string, got, want []jobs.Transition) {
	t.Helper()
	key := func(tr jobs.Transition) string { return string(tr.State) + "@" + tr.At.Format(time.RFC3339Nano) }
	count := func(ts []jobs.Transition) []string {
		ks := make([]string, len(ts))
		for i, tr := range ts {
			ks[i] = key(tr)
		}
		slices.Sort(ks)
		return ks
	}
	if g, w := count(got), count(want); !slices.Equal(g, w) {
		t.Errorf("%s: recorded %v, want each of %v exactly once", what, g, w)
	}
}

func dump(v any) string {
	b, err := json.MarshalIndent(v, "      ", "  ")
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}
