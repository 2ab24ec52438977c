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
	"strconv"
	"strings"
	"sync"
	"time"

	"transcoder/app/localengine"
	"transcoder/app/presets"
)

// realisticSeconds is the length of the realistic input the pipeline's goal
// is set on: a three-minute stereo file, a song.
const realisticSeconds = 180

// pipelineGoal is the least share of ffmpeg alone's jobs per minute the
// pipeline should reach on the realistic input.
const pipelineGoal = 0.80

// pipelineBench measures the one-machine pipeline: jobs per minute through
// the local engine, on the realistic three-minute input and on a short one
// of the given length, each against ffmpeg alone doing the same transcodes at
// the same concurrency in the same run; and the time from the engine's
// COMPLETE event to the job view showing COMPLETE over its event stream
// (local SNS delivery, signature verification, the durable store and the
// push together).
func pipelineBench(bin string, jobs, concurrency int, seconds float64) error {
	dir, err := os.MkdirTemp("", "transcoder-pipeline-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	addr, s3addr := freeAddr(), freeAddr()
	const token = "bench-token-0123456789"
	srv, err := startProcess(bin, dir, addr, "ENGINE=local", "LOCAL_S3_ADDR="+s3addr, "API_TOKEN="+token,
		fmt.Sprintf("LOCAL_CONCURRENCY=%d", concurrency), "LOG_LEVEL=warn")
	if err != nil {
		return err
	}
	defer srv.stop()
	base := "http://" + addr

	fmt.Printf("pipeline: the whole local pipeline (S3 GET, ffprobe, ffmpeg, S3 PUTs, events through local SNS) vs ffmpeg alone\n")
	fmt.Printf("  ffmpeg alone is what a person would run: one ffmpeg per file writing all %d presets from one decode\n", len(presets.All()))
	fmt.Printf("  (the engine's own arguments, localengine.OutputArgs), %d at once as the engine runs them, on a local file;\n", concurrency)
	fmt.Printf("  the two alternate in rounds of %d jobs, as others may share the machine; a pipeline round runs from its\n", concurrency)
	fmt.Printf("  first POST /jobs to its last COMPLETE event, its inputs uploaded beforehand (uploading is the client's work)\n")
	cases := []struct {
		label   string
		seconds float64
		jobs    int
	}{
		{"3-minute input (realistic)", realisticSeconds, max(jobs/2, 2*concurrency)},
		{fmt.Sprintf("%gs input (short)", seconds), seconds, jobs},
	}
	ratios := make([]float64, len(cases))
	var lat []time.Duration
	for i, c := range cases {
		r, l, err := pipelineCase(srv.cmd.Process.Pid, base, token, dir, c.label, c.seconds, c.jobs, concurrency)
		if err != nil {
			return err
		}
		ratios[i] = r
		lat = append(lat, l...)
	}
	slices.Sort(lat)
	fmt.Printf("  pipeline / ffmpeg alone: %.2f on the 3-minute input (goal >= %.2f), %.2f on the %gs input\n",
		ratios[0], pipelineGoal, ratios[1], seconds)
	fmt.Printf("  engine's COMPLETE event -> job view COMPLETE on its event stream: p50 %v, p99 %v (goal < 50ms)\n",
		pct(lat, 50).Round(100*time.Microsecond), pct(lat, 99).Round(100*time.Microsecond))
	return nil
}

// pipelineCase runs jobs jobs of a stereo tone of the given length through
// the pipeline and through ffmpeg alone, in alternating rounds of
// concurrency jobs (ffmpeg alone first, then the pipeline; then the
// pipeline first, and so on), so that a machine whose load changes meanwhile
// weighs on both alike. It prints both rates and returns the pipeline's as a
// share of ffmpeg alone's, and each job's COMPLETE-to-view latency. The
// inputs are uploaded before any clock starts: uploading is the client's
// work, not the pipeline's. A pipeline round runs from its first POST /jobs
// to its last COMPLETE event; the view's latency after that is measured
// apart.
func pipelineCase(pid int, base, token, dir, label string, seconds float64, jobs, concurrency int) (float64, []time.Duration, error) {
	input := filepath.Join(dir, fmt.Sprintf("tone-%gs.wav", seconds))
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
		fmt.Sprintf("sine=frequency=440:duration=%g", seconds), "-ac", "2", input).CombinedOutput(); err != nil {
		return 0, nil, fmt.Errorf("ffmpeg (install it: apt-get install ffmpeg): %v\n%s", err, out)
	}
	data, err := os.ReadFile(input)
	if err != nil {
		return 0, nil, err
	}
	keys := make([]string, jobs)
	for i := range keys {
		if keys[i], err = upload(base, token, data, fmt.Sprintf("tone-%gs-%d.wav", seconds, i)); err != nil {
			return 0, nil, err
		}
	}

	var rawTime, rawCPU, pipeTime time.Duration
	var cpu processCPU
	var lat []time.Duration
	for round, first := 0, 0; first < jobs; round, first = round+1, first+concurrency {
		batch := keys[first:min(first+concurrency, jobs)]
		for _, pipelineTurn := range [][]bool{{false, true}, {true, false}}[round%2] {
			if !pipelineTurn {
				took, c, err := rawFFmpeg(input, dir, len(batch), concurrency)
				if err != nil {
					return 0, nil, err
				}
				rawTime, rawCPU = rawTime+took, rawCPU+c
				continue
			}
			before := procCPU(pid)
			took, l, err := pipelineRound(base, token, batch)
			if err != nil {
				return 0, nil, err
			}
			c := procCPU(pid).minus(before)
			cpu = processCPU{cpu.self + c.self, cpu.children + c.children}
			pipeTime, lat = pipeTime+took, append(lat, l...)
		}
	}

	raw := float64(jobs) / rawTime.Minutes()
	rate := float64(jobs) / pipeTime.Minutes()
	fmt.Printf("  %s, %d jobs to all %d presets, %d at once:\n", label, jobs, len(presets.All()), concurrency)
	fmt.Printf("    ffmpeg alone: %.1f jobs/min (%v in all)\n", raw, rawTime.Round(time.Millisecond))
	fmt.Printf("    pipeline:     %.1f jobs/min (%v in all) = %.2f of ffmpeg alone\n", rate, pipeTime.Round(time.Millisecond), rate/raw)
	perJob := func(d time.Duration) time.Duration { return (d / time.Duration(jobs)).Round(time.Millisecond) }
	fmt.Printf("    CPU per job: ffmpeg alone %v = %.2f of the pipeline's %v (ffmpeg and ffprobe %v + server %v: S3, events, store)\n",
		perJob(rawCPU), float64(rawCPU)/float64(max(cpu.self+cpu.children, 1)), perJob(cpu.self+cpu.children), perJob(cpu.children), perJob(cpu.self))
	return rate / raw, lat, nil
}

// pipelineRound starts a job of each uploaded key at once and follows them
// to COMPLETE. It returns the time from the first POST /jobs to the last
// COMPLETE event, and each job's COMPLETE-to-view latency.
func pipelineRound(base, token string, keys []string) (time.Duration, []time.Duration, error) {
	results := make(chan watched, len(keys))
	start := time.Now()
	var wg sync.WaitGroup
	for _, key := range keys {
		id, err := startJob(base, token, key)
		if err != nil {
			return 0, nil, err
		}
		wg.Go(func() {
			seen, at, err := watch(base, token, id)
			results <- watched{seen, at, err}
		})
	}
	wg.Wait()
	close(results)
	var end time.Time
	var lat []time.Duration
	for r := range results {
		if r.err != nil {
			return 0, nil, r.err
		}
		lat = append(lat, r.seen.Sub(r.at))
		if r.at.After(end) {
			end = r.at
		}
	}
	return end.Sub(start), lat, nil
}

// watched is how one job's watch ended: when the view showed COMPLETE, and
// the time of the engine's COMPLETE event.
type watched struct {
	seen, at time.Time
	err      error
}

// rawFFmpeg runs the engine's transcodes with ffmpeg alone (the engine's own
// arguments, one run per job writing every preset from one decode),
// concurrency at a time, and returns how long the jobs took and the CPU time
// they used. Each job's outputs are removed once it is done, as the engine
// removes its work files.
func rawFFmpeg(input, dir string, jobs, concurrency int) (time.Duration, time.Duration, error) {
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	var cpu time.Duration
	start := time.Now()
	for i := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			args := []string{"-nostdin", "-loglevel", "error", "-y", "-i", input}
			var files []string
			for _, p := range presets.All() {
				out, err := localengine.OutputArgs(p)
				if err != nil {
					panic(err) // every preset has arguments; the engine's tests say so
				}
				files = append(files, filepath.Join(dir, fmt.Sprintf("raw-%d-%s%s", i, p.Name, p.Extension)))
				args = append(append(args, out...), files[len(files)-1])
			}
			cmd := exec.Command("ffmpeg", args...)
			out, err := cmd.CombinedOutput()
			for _, f := range files {
				os.Remove(f)
			}
			mu.Lock()
			defer mu.Unlock()
			if cmd.ProcessState != nil {
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			if err != nil {
				failed = fmt.Errorf("ffmpeg alone failed on %s: %v\n%s", input, err, out)
			}
		})
	}
	wg.Wait()
	return time.Since(start), cpu, failed
}

// processCPU is the CPU time a process took itself and the time its
// finished children (the engine's ffmpeg and ffprobe runs) took.
type processCPU struct{ self, children time.Duration }

func (c processCPU) minus(d processCPU) processCPU {
	return processCPU{c.self - d.self, c.children - d.children}
}

// procCPU reads the CPU times of process pid from /proc: zero where there
// is no /proc.
func procCPU(pid int) processCPU {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return processCPU{}
	}
	// The fields after the parenthesised command name, from the 3rd:
	// utime, stime, cutime and cstime are the 14th to 17th, in clock ticks
	// (USER_HZ, 100 on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	tick := func(i int) time.Duration {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(n) * 10 * time.Millisecond
	}
	return processCPU{self: tick(11) + tick(12), children: tick(13) + tick(14)}
}

// upload stores data through a presigned PUT, as a browser would, and
// returns its key.
func upload(base, token string, data []byte, name string) (string, error) {
	var up struct {
		Key, URL, Method string
		Headers          map[string]string
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
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("uploading %s: the presigned %s answered HTTP %d", name, up.Method, resp.StatusCode)
	}
	return up.Key, nil
}

// startJob starts a job of the uploaded key with every preset and returns
// its id.
func startJob(base, token, key string) (string, error) {
	var job struct{ ID string }
	err := call(base, token, "POST", "/jobs", map[string]any{"input": key, "presets": presets.Names()}, &job)
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
