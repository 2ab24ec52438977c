package lambdafn_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"transcoder/app/lambdafn"
)

// ticker records its ticks and the time each had left.
type ticker struct{ left []time.Duration }

func (t *ticker) Tick(ctx context.Context) {
	d, ok := ctx.Deadline()
	if !ok {
		t.left = append(t.left, -1)
		return
	}
	t.left = append(t.left, time.Until(d))
}

// deliverer counts its rounds.
type deliverer struct{ rounds int }

func (d *deliverer) DeliverDue(context.Context) (int, error) { d.rounds++; return 2, nil }

func TestAScheduledEventRunsEveryTickerWithinItsBudgetThenTheDueCalls(t *testing.T) {
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	scheduled := json.RawMessage(`{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`)
	request := json.RawMessage(`{"rawPath":"/healthz","requestContext":{"http":{"method":"GET"}}}`)
	tests := []struct {
		name      string
		payload   json.RawMessage
		webhooks  bool
		ticks     int
		calls     any
		delivered int
	}{
		{"a scheduled event with webhooks on ticks and delivers", scheduled, true, 1, map[string]int{"calls": 2}, 1},
		{"a scheduled event with webhooks off still ticks", scheduled, false, 1, map[string]int{"calls": 0}, 0},
		{"a Function URL request does not tick", request, true, 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := &ticker{}, &ticker{}
			d := &deliverer{}
			var h func(context.Context, json.RawMessage) (any, error)
			if tt.webhooks {
				h = lambdafn.Handler(srv, d, a, b)
			} else {
				h = lambdafn.Handler(srv, nil, a, b)
			}
			out, err := h(context.Background(), tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range []*ticker{a, b} {
				if len(tk.left) != tt.ticks {
					t.Fatalf("a ticker ticked %d times, want %d", len(tk.left), tt.ticks)
				}
				for _, left := range tk.left {
					if left <= 0 || left > 3*time.Second {
						t.Errorf("a tick had %v left, want a budget of at most 3s", left)
					}
				}
			}
			if d.rounds != tt.delivered {
				t.Errorf("%d delivery rounds, want %d", d.rounds, tt.delivered)
			}
			if tt.calls != nil {
				if got, ok := out.(map[string]int); !ok || got["calls"] != tt.calls.(map[string]int)["calls"] {
					t.Errorf("answered %v, want %v", out, tt.calls)
				}
			}
		})
	}
}
