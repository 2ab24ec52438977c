package localengine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"transcoder/app/jobs"
)

// TestTheQueueServesOwnersInTurn runs a script against the queue: "A" queues
// a job of owner A (named A1, A2, ... in order), "-" takes the next job, and
// "xA2" takes A2 out unserved (canceled).
func TestTheQueueServesOwnersInTurn(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		want   []string
	}{
		{
			name:   "one owner's jobs go in their order",
			script: []string{"A", "A", "A", "-", "-", "-", "-"},
			want:   []string{"A1", "A2", "A3"},
		},
		{
			name:   "an owner who queues after another's backlog is served next",
			script: append(append([]string{"A", "-"}, repeat("A", 250)...), "B", "-", "-", "-"),
			want:   []string{"A1", "B1", "A2", "A3"},
		},
		{
			name:   "owners take turns in the order they joined, each in its own order",
			script: []string{"A", "-", "A", "A", "B", "B", "C", "-", "-", "-", "-", "-", "-"},
			want:   []string{"A1", "B1", "C1", "A2", "B2", "A3"},
		},
		{
			name:   "an owner who empties and comes back rejoins the round at its end",
			script: []string{"A", "B", "-", "-", "A", "-", "B", "A", "-", "-"},
			want:   []string{"A1", "B1", "A2", "B2", "A3"},
		},
		{
			name:   "the operator's jobs take their turn like any owner's",
			script: []string{"A", "-", "A", "A", "", "-", "-", "-"},
			want:   []string{"A1", "1", "A2", "A3"},
		},
		{
			name:   "an owner whose only queued job is canceled leaves the round",
			script: []string{"A", "-", "A", "B", "C", "xB1", "-", "-", "-"},
			want:   []string{"A1", "C1", "A2"},
		},
		{
			name:   "a canceled job of the owner served last keeps the round going after it",
			script: []string{"A", "A", "B", "-", "xA2", "-", "A", "-", "-"},
			want:   []string{"A1", "B1", "A3"},
		},
		{
			name:   "an empty queue has nothing to serve",
			script: []string{"-", "A", "xA1", "-"},
			want:   nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newFairQueue()
			queued := map[string]*job{}
			count := map[string]int{}
			var got []string
			for _, step := range tt.script {
				switch {
				case step == "-":
					if j := q.pop(); j != nil {
						got = append(got, j.req.JobID)
					}
				case strings.HasPrefix(step, "x"):
					j := queued[step[1:]]
					if j == nil || !q.remove(j) {
						t.Fatalf("%s: %s is not queued", step, step[1:])
					}
				default:
					count[step]++
					j := &job{req: jobs.StartRequest{Owner: step, JobID: fmt.Sprintf("%s%d", step, count[step])}}
					queued[j.req.JobID] = j
					q.push(j)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("served %v, want %v", got, tt.want)
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
