//go:build !transcoder_lambda

package main

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"transcoder/app/webhooks"
)

func TestEveryTransitionOfAJobWithACallbackIsPostedSignedOnce(t *testing.T) {
	const secret = "webhook-secret-0123456789"
	var mu sync.Mutex
	var aliceSecret []byte
	calls := map[string]int{} // delivery id -> calls
	var states []string
	failedOnce := false
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhooks.Verify(aliceSecret, r.Header.Get(webhooks.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			t.Errorf("a call did not verify with alice's key: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p struct{ Job, State, Delivery string }
		json.Unmarshal(body, &p)
		if p.State == "PROGRESSING" && !failedOnce {
			failedOnce = true // the first try fails: the dispatcher must retry
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		calls[p.Delivery]++
		states = append(states, p.State)
	}))
	defer receiver.Close()

	env := pipelineEnv(t)
	env["WEBHOOK_SECRET"] = secret
	in := start(t, env)
	alice := bearer(t, in.url, aliceKey)
	// Each owner verifies with its own key, which the service hands out.
	var got struct{ Secret string }
	if status := alice.call("GET", "/webhooks/secret", nil, &got); status != 200 {
		t.Fatalf("GET /webhooks/secret: %d", status)
	}
	if got.Secret != hex.EncodeToString(webhooks.OwnerSecret([]byte(secret), "alice")) {
		t.Fatal("alice was handed a key that is not her own")
	}
	var bobs struct{ Secret string }
	bearer(t, in.url, bobKey).call("GET", "/webhooks/secret", nil, &bobs)
	if bobs.Secret == got.Secret {
		t.Fatal("two owners share a webhook key")
	}
	mu.Lock()
	aliceSecret, _ = hex.DecodeString(got.Secret)
	mu.Unlock()
	var job jobView
	if status := alice.call("POST", "/jobs", map[string]any{
		"input": alice.upload(tone(t, 1), "audio/wav"), "presets": []string{"mp3"}, "callbackUrl": receiver.URL + "/hook",
	}, &job); status != 201 {
		t.Fatalf("POST /jobs: %d", status)
	}
	alice.await(job.ID)

	deadline := time.Now().Add(60 * time.Second)
	for {
		var view struct {
			Webhooks []struct {
				State       string
				Attempts    int
				DeliveredAt time.Time
			}
		}
		alice.call("GET", "/jobs/"+job.ID, nil, &view)
		delivered := 0
		for _, d := range view.Webhooks {
			if !d.DeliveredAt.IsZero() {
				delivered++
			}
		}
		if delivered == 3 {
			for _, d := range view.Webhooks {
				if want := map[string]int{"PROGRESSING": 2}[d.State]; want != 0 && d.Attempts != want {
					t.Errorf("%s took %d attempts, want %d", d.State, d.Attempts, want)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks not all delivered: %+v", view.Webhooks)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 3 {
		t.Fatalf("deliveries %v, want one per transition (SUBMITTED, PROGRESSING, COMPLETE)", calls)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}
