package events

import (
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// TestApplyingAJobsEventsInAnyOrderEndsInTheSameJob decodes every event of
// one job and applies them, duplicates included, in many shuffled orders, as
// SNS may deliver them. Each order must end in the same job, complete, with
// its outputs, and with each state it went through recorded once.
func TestApplyingAJobsEventsInAnyOrderEndsInTheSameJob(t *testing.T) {
	tests := []struct {
		name  string
		dir   string
		story []string // in the order the engine sent them
	}{
		{"a MediaConvert job", mediaConvertData, []string{
			"submitted.json", "queue_hop.json", "progressing.json", "input_information.json",
			"status_update.json", "new_warning.json", "status_update_later.json", "complete.json",
		}},
		{"an Elastic Transcoder job", elasticTranscoderData, []string{
			"progressing.json", "warning.json", "completed.json",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			updates := make([]*jobs.Update, len(tt.story))
			for i, name := range tt.story {
				// Notifications without a time of their own are dated by
				// their SNS Timestamp, a minute apart.
				u, err := both.Decode(fixture(t, tt.dir, name), snsTime.Add(time.Duration(i)*time.Minute))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				updates[i] = u
			}
			want, _ := apply(updates)

			for seed := range uint64(300) {
				rng := rand.New(rand.NewPCG(seed, 42))
				var deliveries []*jobs.Update
				for _, u := range updates {
					for range 1 + rng.IntN(3) {
						deliveries = append(deliveries, u)
					}
				}
				rng.Shuffle(len(deliveries), func(i, j int) {
					deliveries[i], deliveries[j] = deliveries[j], deliveries[i]
				})

				got, recorded := apply(deliveries)
				if got.State != jobs.Complete || got.Progress != 100 || len(got.Outputs) == 0 {
					t.Fatalf("seed %d: job ends %s at %d%% with %d outputs, want COMPLETE at 100%% with outputs",
						seed, got.State, got.Progress, len(got.Outputs))
				}
				checkTransitions(t, seed, got, recorded)
				if g, w := orderFree(got), orderFree(want); !reflect.DeepEqual(g, w) {
					t.Fatalf("seed %d: the job differs from the one in delivery order:\n%s\nwant\n%s", seed, show(g), show(w))
				}
			}
		})
	}
}

// apply applies updates to a new job as a store does, counting the
// transitions the calls recorded.
func apply(updates []*jobs.Update) (*jobs.Job, int) {
	j := jobs.New(updates[0].JobID)
	recorded := 0
	for _, u := range updates {
		r, _ := j.Apply(u)
		recorded += len(r)
	}
	return j, recorded
}

// checkTransitions asserts that j lists each state once, moving forward, that
// it ends COMPLETE, and that no duplicate recorded a transition again.
func checkTransitions(t *testing.T, seed uint64, j *jobs.Job, recorded int) {
	t.Helper()
	rank := map[jobs.State]int{jobs.Submitted: 1, jobs.Progressing: 2, jobs.Complete: 3}
	for i, tr := range j.Transitions {
		if i > 0 && rank[tr.State] <= rank[j.Transitions[i-1].State] {
			t.Fatalf("seed %d: transitions %v do not move forward once each", seed, j.Transitions)
		}
	}
	if last := j.Transitions[len(j.Transitions)-1]; last.State != jobs.Complete {
		t.Fatalf("seed %d: last transition is %s, want COMPLETE", seed, last.State)
	}
	if recorded != len(j.Transitions) {
		t.Fatalf("seed %d: %d transitions recorded for %d in the job", seed, recorded, len(j.Transitions))
	}
}

// orderFree is j without what depends on delivery order by the domain's
// rules: how many changes it took (Version), which event came first
// (CreatedAt, and which transitions were seen at all), the order in which
// warnings were first heard of, and the inbox notice, whose time is the first
// terminal event's and whose words name the input only if it was known by
// then.
func orderFree(j *jobs.Job) jobs.Job {
	c := *j
	c.Version, c.CreatedAt, c.Transitions, c.Notices = 0, time.Time{}, nil, nil
	c.Warnings = slices.Clone(c.Warnings)
	slices.SortFunc(c.Warnings, func(a, b jobs.Warning) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
	})
	return c
}

func show(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
