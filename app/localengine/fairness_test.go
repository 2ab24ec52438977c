package localengine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
)

// queued is one job a fairness test queues: owner's, canceled before the
// queue moves when cancel is set.
type queued struct {
	owner  string
	cancel bool
}

func TestQueuedJobsRunInTurnAcrossOwners(t *testing.T) {
	requireFFmpeg(t)
	tests := []struct {
		name string
		// jobs are queued in this order; the first takes the only slot and
		// holds it until all the others are queued.
		jobs []queued
		// want is the order the jobs start in (PROGRESSING), by owner and
		// rank among that owner's jobs.
		want []string
	}{
		{
			name: "one owner's backlog does not hold back another owner's one job",
			jobs: []queued{{owner: "A"}, {owner: "A"}, {owner: "A"}, {owner: "A"}, {owner: "A"}, {owner: "A"}, {owner: "B"}},
			want: []string{"A1", "B1", "A2", "A3", "A4", "A5", "A6"},
		},
		{
			name: "three owners take turns, each owner's jobs in their order",
			jobs: []queued{{owner: "A"}, {owner: "A"}, {owner: "A"}, {owner: "B"}, {owner: "B"}, {owner: "C"}},
			want: []string{"A1", "B1", "C1", "A2", "B2", "A3"},
		},
		{
			name: "the operator's jobs take their turn like an owner's",
			jobs: []queued{{owner: "A"}, {owner: "A"}, {owner: "A"}, {owner: ""}},
			want: []string{"A1", "1", "A2", "A3"},
		},
		{
			name: "a canceled queued job gives up its owner's turn",
			jobs: []queued{{owner: "A"}, {owner: "A"}, {owner: "B", cancel: true}, {owner: "C"}},
			want: []string{"A1", "C1", "A2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.storage.put(t, "s3://in/tone.wav", tone(t, 0.5))
			e := f.engine(t, nil) // Concurrency 1
			hold := make(chan struct{})
			release := sync.OnceFunc(func() { close(hold) })
			t.Cleanup(release) // before the engine closes
			var first sync.Once
			e.hooks.ffmpegStarted = func(string, *os.Process) { first.Do(func() { <-hold }) }

			names := map[string]string{} // engine job id -> owner and rank
			count := map[string]int{}
			var canceled []string
			for i, q := range tt.jobs {
				req := request(fmt.Sprintf("job-%d", i), "s3://in/tone.wav", "flac")
				req.Owner = q.owner
				id, err := e.Start(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				count[q.owner]++
				names[id] = fmt.Sprintf("%s%d", q.owner, count[q.owner])
				if q.cancel {
					canceled = append(canceled, id)
				}
			}
			for _, id := range canceled {
				if err := e.Cancel(context.Background(), id); err != nil {
					t.Fatal(err)
				}
				if j, _ := f.publisher.final(t, id); j.State != jobs.Canceled {
					t.Fatalf("the canceled job %s ended %s, want CANCELED", names[id], j.State)
				}
			}
			release()
			for id, name := range names {
				if j, _ := f.publisher.final(t, id); !slices.Contains(canceled, id) && j.State != jobs.Complete {
					t.Errorf("job %s ended %s with %+v, want COMPLETE", name, j.State, j.Error)
				}
			}
			if got := startOrder(t, f.publisher, names); !slices.Equal(got, tt.want) {
				t.Errorf("the jobs started in the order %v, want %v", got, tt.want)
			}
		})
	}
}

// startOrder names the jobs in the order of their PROGRESSING events, which
// a job publishes when it leaves the queue.
func startOrder(t *testing.T, r *recorder, names map[string]string) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var order []string
	for _, m := range r.messages {
		var e mediaconvert.Event
		if err := json.Unmarshal([]byte(m), &e); err != nil {
			t.Fatal(err)
		}
		if e.Detail.Status == "PROGRESSING" {
			order = append(order, names[e.Detail.JobID])
		}
	}
	return order
}
