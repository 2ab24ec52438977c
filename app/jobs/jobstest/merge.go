package jobstest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// The tests in this file check that a store keeps the merge rules of
// jobs.Job.Apply: what the domain decides in memory is what is stored and
// what Apply reports.

func testCreate(t *testing.T, h *harness) {
	tests := []struct {
		name      string
		update    jobs.Update
		state     jobs.State
		progress  int
		wantQueue string
	}{
		{
			name:   "an update with a state begins the job in that state",
			update: jobs.Update{JobID: "job-1", At: at(0), State: jobs.Progressing, Progress: 5},
			state:  jobs.Progressing, progress: 5,
		},
		{
			name:   "an update without a state begins the job SUBMITTED",
			update: jobs.Update{JobID: "job-1", At: at(0), Queue: "default"},
			state:  jobs.Submitted, wantQueue: "default",
		},
		{
			name:   "an update reporting completion begins the job COMPLETE at 100%",
			update: jobs.Update{JobID: "job-1", At: at(0), State: jobs.Complete},
			state:  jobs.Complete, progress: 100,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := h.store(t)
			c := mustApply(t, s, &tc.update)

			want := []jobs.Transition{{State: tc.state, At: tc.update.At}}
			if !c.Changed {
				t.Error("Changed = false for the first update of a job, want true")
			}
			sameTransitions(t, "Recorded", c.Recorded, want)
			sameTransitions(t, "Transitions", c.Job.Transitions, want)
			if c.Job.ID != "job-1" || c.Job.State != tc.state || c.Job.Progress != tc.progress || c.Job.Version != 1 || c.Job.Queue != tc.wantQueue {
				t.Errorf("job = %s; want id job-1, state %s, progress %d, version 1, queue %q", dump(c.Job), tc.state, tc.progress, tc.wantQueue)
			}
			if !c.Job.CreatedAt.Equal(tc.update.At) || !c.Job.UpdatedAt.Equal(tc.update.At) {
				t.Errorf("createdAt %s, updatedAt %s; want both %s", c.Job.CreatedAt, c.Job.UpdatedAt, tc.update.At)
			}
			sameJob(t, "the job Get returns", mustGet(t, s, "job-1"), c.Job)
		})
	}
}

func testGetUnknown(t *testing.T, h *harness) {
	s := h.store(t)
	mustApply(t, s, &jobs.Update{JobID: "job-1", At: at(0)})

	j, err := s.Get(context.Background(), "job-2")
	if !errors.Is(err, jobs.ErrNotFound) {
		t.Fatalf("Get(job-2) = %v, %v; want an error wrapping jobs.ErrNotFound", j, err)
	}
}

func testInvalid(t *testing.T, h *harness) {
	tests := []struct {
		name   string
		update jobs.Update
	}{
		{"an update without a job id", jobs.Update{At: at(0), State: jobs.Submitted}},
		{"an update without a time", jobs.Update{JobID: "job-1", State: jobs.Submitted}},
		{"an update with an unknown state", jobs.Update{JobID: "job-1", At: at(0), State: "DONE"}},
		{"an update with progress over 100", jobs.Update{JobID: "job-1", At: at(0), Progress: 101}},
		{"an update with negative progress", jobs.Update{JobID: "job-1", At: at(0), Progress: -1}},
	}
	s := h.store(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Apply(context.Background(), &tc.update)
			if err == nil {
				t.Fatalf("Apply = %s, nil; want an error", dump(c))
			}
			if err.Error() == "" {
				t.Error("the error has no message")
			}
			if tc.update.JobID == "" {
				return
			}
			if _, err := s.Get(context.Background(), tc.update.JobID); !errors.Is(err, jobs.ErrNotFound) {
				t.Errorf("Get after a refused update = %v; want jobs.ErrNotFound", err)
			}
		})
	}
}

func testDuplicate(t *testing.T, h *harness) {
	steps := lifecycle("job-1")
	names := []string{
		stepCreate:       "a creation delivered twice",
		stepSubmit:       "a submission delivered twice",
		stepInput:        "input information delivered twice",
		stepProgress:     "progress delivered twice",
		stepWarning:      "a warning delivered twice",
		stepWarningCount: "a warning's higher count delivered twice",
		stepComplete:     "completion delivered twice",
	}
	for i, name := range names {
		t.Run(name, func(t *testing.T) {
			s := h.store(t)
			var before jobs.Change
			for _, u := range steps[:i+1] {
				before = mustApply(t, s, u)
			}
			again := mustApply(t, s, steps[i])
			if again.Changed {
				t.Error("Changed = true for a duplicate, want false")
			}
			if len(again.Recorded) != 0 {
				t.Errorf("Recorded = %s for a duplicate, want none", dump(again.Recorded))
			}
			sameJob(t, "the job after the duplicate", again.Job, before.Job)
			sameJob(t, "the job Get returns", mustGet(t, s, "job-1"), before.Job)
		})
	}
}

func testTerminal(t *testing.T, h *harness) {
	tests := []struct {
		first, then jobs.State
	}{
		{jobs.Complete, jobs.Progressing},
		{jobs.Complete, jobs.Failed},
		{jobs.Complete, jobs.Submitted},
		{jobs.Failed, jobs.Complete},
		{jobs.Canceled, jobs.Progressing},
	}
	for _, tc := range tests {
		t.Run(string(tc.first)+" then "+string(tc.then)+" stays "+string(tc.first), func(t *testing.T) {
			s := h.store(t)
			first := mustApply(t, s, &jobs.Update{JobID: "job-1", At: at(0), State: tc.first})
			then := mustApply(t, s, &jobs.Update{JobID: "job-1", At: at(1000), State: tc.then, Progress: 40})

			if then.Job.State != tc.first {
				t.Errorf("state = %s, want %s", then.Job.State, tc.first)
			}
			if len(then.Recorded) != 0 {
				t.Errorf("Recorded = %s, want none", dump(then.Recorded))
			}
			sameTransitions(t, "Transitions", then.Job.Transitions, first.Job.Transitions)
			sameJob(t, "the job Get returns", mustGet(t, s, "job-1"), then.Job)
		})
	}
}

func testOutOfOrder(t *testing.T, h *harness) {
	s := h.store(t)
	steps := lifecycle("job-1")
	complete, input, warning := steps[stepComplete], steps[stepInput], steps[stepWarning]

	done := mustApply(t, s, complete)
	late := mustApply(t, s, input)
	later := mustApply(t, s, warning)

	if !late.Changed || !later.Changed {
		t.Errorf("Changed = %v, %v for late attributes; want true, true", late.Changed, later.Changed)
	}
	if len(late.Recorded)+len(later.Recorded) != 0 {
		t.Errorf("late events recorded %s and %s; want nothing", dump(late.Recorded), dump(later.Recorded))
	}
	got := mustGet(t, s, "job-1")
	if got.State != jobs.Complete || got.Progress != 100 {
		t.Errorf("state %s at %d%%, want COMPLETE at 100%%", got.State, got.Progress)
	}
	if !reflect.DeepEqual(got.Input, input.Input) {
		t.Errorf("input = %s, want %s", dump(got.Input), dump(input.Input))
	}
	if !reflect.DeepEqual(got.Warnings, warning.Warnings) {
		t.Errorf("warnings = %s, want %s", dump(got.Warnings), dump(warning.Warnings))
	}
	sameTransitions(t, "Transitions", got.Transitions, done.Job.Transitions)
	if got.Version != 3 {
		t.Errorf("version = %d after three changes, want 3", got.Version)
	}
}

func testProgress(t *testing.T, h *harness) {
	steps := []struct {
		report       int
		wantChanged  bool
		wantProgress int
	}{
		{10, true, 10},
		{50, true, 50},
		{30, false, 50},
		{50, false, 50},
		{0, false, 50},
		{90, true, 90},
	}
	s := h.store(t)
	for i, step := range steps {
		u := &jobs.Update{JobID: "job-1", At: at(i * 1000), State: jobs.Progressing, Progress: step.report}
		c := mustApply(t, s, u)
		if c.Changed != step.wantChanged || c.Job.Progress != step.wantProgress {
			t.Errorf("after reporting %d%%: changed %v at %d%%; want changed %v at %d%%",
				step.report, c.Changed, c.Job.Progress, step.wantChanged, step.wantProgress)
		}
	}
	if got := mustGet(t, s, "job-1").Progress; got != 90 {
		t.Errorf("stored progress = %d, want 90", got)
	}
}

func testRoundTrip(t *testing.T, h *harness) {
	s := h.store(t)
	steps := lifecycle("job-1")
	updates := []*jobs.Update{
		steps[stepCreate],
		steps[stepSubmit],
		steps[stepInput],
		steps[stepWarningCount],
		{
			JobID: "job-1", At: at(6000), State: jobs.Failed, Progress: 80,
			Outputs:  []jobs.Output{{URI: "s3://out/job-1/master.m3u8", Preset: "hls-1080p", DurationMS: 12_000, Status: "ERROR"}},
			Error:    &jobs.Failure{Code: "1517", Message: "S3 write failed: Access Denied"},
			Metadata: map[string]string{"owner": "user-7", "note": "ünïcödé & <markup> \"quoted\""},
		},
	}
	var last jobs.Change
	for _, u := range updates {
		last = mustApply(t, s, u)
	}
	want := replay("job-1", updates)
	requireEveryField(t, want)

	got := mustGet(t, s, "job-1")
	sameJob(t, "the job Get returns", got, want)
	sameJob(t, "the job Apply returned", last.Job, want)
	// == on time.Time compares the instant, the zone and the monotonic
	// reading: a store must give back exactly the UTC time it was given.
	if got.CreatedAt != want.CreatedAt || got.UpdatedAt != want.UpdatedAt {
		t.Errorf("createdAt %v, updatedAt %v; want %v and %v (UTC, to the nanosecond)",
			got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	if loc := got.UpdatedAt.Location(); loc != time.UTC {
		t.Errorf("updatedAt is in %v, want UTC", loc)
	}
}

// requireEveryField fails t if a field of j is zero, so that the round trip
// test keeps covering every field as the Job type grows.
func requireEveryField(t *testing.T, j *jobs.Job) {
	t.Helper()
	v := reflect.ValueOf(j).Elem()
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("the round trip fixture leaves Job.%s zero: extend it so the field is covered", v.Type().Field(i).Name)
		}
	}
}
