package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"transcoder/app/localengine"
	"transcoder/app/presets"
)

// pipelineBench measures the one-machine pipeline: jobs per minute through
// the local engine, against ffmpeg alone doing the same work at the same
// concurrency in the same run, and the time from the engine's COMPLETE event
// to the job view showing COMPLETE over its event stream (local SNS delivery,
// signature verification, the durable store and the push together).
func pipelineBench(bin string, jobs, concurrency int, seconds float64) error {
	dir, err := os.MkdirTemp("", "transcoder-pipeline-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	input := filepath.Join(dir, "tone.wav")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
		fmt.Sprintf("sine=frequency=440:duration=%g", seconds), "-ac", "2", input).CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg (install it: apt-get install ffmpeg): %v\n%s", err, out)
	}

	raw := rawFFmpeg(input, dir, jobs, concurrency)
	fmt.Printf("baseline: ffmpeg alone, %d jobs of a %gs tone to all %d presets, %d at once: %.1f jobs/min\n",
		jobs, seconds, len(presets.All()), concurrency, raw)

	addr, s3addr := freeAddr(), freeAddr()
	const token = "bench-token-0123456789"
	srv, err := startProcess(bin, dir, addr, "ENGINE=local", "LOCAL_S3_ADDR="+s3addr, "API_TOKEN="+token,
		fmt.Sprintf("LOCAL_CONCURRENCY=%d", concurrency), "LOG_LEVEL=warn")
	if err != nil {
		return err
	}
	defer srv.stop()
	base := "http://" + addr

	type result struct {
		latency time.Duration
		err     error
	}
	results := make(chan result, jobs)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range jobs {
		id, err := submit(base, token, input, fmt.Sprintf("tone-%d.wav", i))
		if err != nil {
			return err
		}
		wg.Go(func() {
			seen, at, err := watch(base, token, id)
			results <- result{seen.Sub(at), err}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	var lat []time.Duration
	for r := range results {
		if r.err != nil {
			return r.err
		}
		lat = append(lat, r.latency)
	}
	slices.Sort(lat)
	rate := float64(jobs) / elapsed.Minutes()
	fmt.Printf("pipeline: %d jobs in %v: %.1f jobs/min = %.2f of ffmpeg alone\n", jobs, elapsed.Round(time.Millisecond), rate, rate/raw)
	fmt.Printf("  engine's COMPLETE event -> job view COMPLETE on its event stream: p50 %v, p99 %v (goal < 50ms)\n",
		pct(lat, 50).Round(100*time.Microsecond), pct(lat, 99).Round(100*time.Microsecond))
	return nil
}

// rawFFmpeg runs the engine's work with ffmpeg alone (the engine's own
// arguments, one run per job writing every preset), concurrency at a time,
// and returns jobs per minute.
func rawFFmpeg(input, dir string, jobs, concurrency int) float64 {
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			args := []string{"-loglevel", "error", "-y", "-i", input}
			for _, p := range presets.All() {
				out, err := localengine.OutputArgs(p)
				if err != nil {
					panic(err) // every preset has arguments; the engine's tests say so
				}
				args = append(append(args, out...), filepath.Join(dir, fmt.Sprintf("raw-%d-%s%s", i, p.Name, p.Extension)))
			}
			exec.Command("ffmpeg", args...).Run()
		})
	}
	wg.Wait()
	return float64(jobs) / time.Since(start).Minutes()
}

// submit uploads input through a presigned PUT and starts a job with every
// preset, returning its id.
func submit(base, token, input, name string) (string, error) {
	var up struct {
		Key, URL, Method string
		Headers          map[string]string
	}
	data, err := os.ReadFile(input)
	if err != nil {
		return "", err
	}
	if err := call(base, token, "POST", "/uploads", map[string]any{"filename": name, "contentType": "audio/wav", "size": len(data)}, &up); err != nil {
		return "", err
	}
	req, _ := http.NewRequest(up.Method, up.URL, bytes.NewReader(data))
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	var job struct{ ID string }
	err = call(base, token, "POST", "/jobs", map[string]any{"input": up.Key, "presets": presets.Names()}, &job)
	return job.ID, err
}

func call(base, token, method, path string, in, out any) error {
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// watch follows a job's event stream until it shows COMPLETE, returning when
// it did and the time of the COMPLETE transition (the engine's event time).
func watch(base, token, id string) (seen, at time.Time, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/jobs/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return seen, at, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return seen, at, fmt.Errorf("job %s: the event stream answered HTTP %d", id, resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		now := time.Now()
		var j struct {
			State       string
			Error       *struct{ Message string }
			Transitions []struct {
				State string
				At    time.Time
			}
		}
		if err := json.Unmarshal([]byte(data), &j); err != nil {
			return seen, at, err
		}
		switch j.State {
		case "COMPLETE":
			return now, j.Transitions[len(j.Transitions)-1].At, nil
		case "ERROR", "CANCELED":
			return seen, at, fmt.Errorf("job %s ended %s: %+v", id, j.State, j.Error)
		}
	}
	return seen, at, fmt.Errorf("job %s: the event stream ended: %v", id, sc.Err())
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[max(i, 0)]
}
