package localengine

import (
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"transcoder/app/jobs"
	"transcoder/app/presets"
)

// countingStorage counts the reads and writes a job makes of its storage.
type countingStorage struct {
	Storage
	gets, puts atomic.Int32
}

func (s *countingStorage) Get(ctx context.Context, uri string, w io.Writer) error {
	s.gets.Add(1)
	return s.Storage.Get(ctx, uri, w)
}

func (s *countingStorage) Put(ctx context.Context, uri string, r io.Reader, size int64, contentType string) error {
	s.puts.Add(1)
	return s.Storage.Put(ctx, uri, r, size, contentType)
}

// logged writes a script that appends one line per run to log and then runs
// the named tool with the same arguments, and returns the script's path.
func logged(t *testing.T, name, log string) string {
	t.Helper()
	real, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("this test runs %s, which is not on PATH: install it (apt-get install ffmpeg)", name)
	}
	script := filepath.Join(t.TempDir(), name)
	body := "#!/bin/sh\necho " + name + " >> '" + log + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// TestAJobDoesItsWorkOnce holds a job to the least work that gives its
// events and outputs: the input read from storage once and probed once,
// one ffmpeg run for every output, and one write of each output. The
// outputs are not probed again: their durations are what ffmpeg says it
// wrote, which must still be each file's length.
func TestAJobDoesItsWorkOnce(t *testing.T) {
	tests := []struct {
		name    string
		presets []string
	}{
		{"a job with one preset runs one ffprobe and one ffmpeg", []string{"mp3"}},
		{"a job with every preset runs one ffprobe and one ffmpeg", presets.Names()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.storage.put(t, "s3://in/tone.wav", tone(t, 3))
			log := filepath.Join(t.TempDir(), "runs.log")
			storage := &countingStorage{Storage: f.storage}
			e := f.engine(t, func(o *Options) {
				o.Storage = storage
				o.FFmpeg, o.FFprobe = logged(t, "ffmpeg", log), logged(t, "ffprobe", log)
			})
			id, err := e.Start(context.Background(), request("job-1", "s3://in/tone.wav", tt.presets...))
			if err != nil {
				t.Fatal(err)
			}
			j, statuses := f.publisher.final(t, id)
			if j.State != jobs.Complete || len(j.Outputs) != len(tt.presets) {
				t.Fatalf("job %s with %d outputs (statuses %v, error %+v), want COMPLETE with %d", j.State, len(j.Outputs), statuses, j.Error, len(tt.presets))
			}

			runs, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Fields(string(runs)); strings.Join(got, " ") != "ffprobe ffmpeg" {
				t.Errorf("the job ran %v, want ffprobe once (the input) then ffmpeg once (every output)", got)
			}
			if gets, puts := storage.gets.Load(), storage.puts.Load(); gets != 1 || int(puts) != len(tt.presets) {
				t.Errorf("the job read storage %d times and wrote it %d times, want 1 read and %d writes", gets, puts, len(tt.presets))
			}
			for _, out := range j.Outputs {
				file, _ := f.storage.file(out.URI)
				probed := seconds(strings.TrimSpace(run(t, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file)))
				if math.Abs(float64(out.DurationMS-probed.Milliseconds())) > 100 { // encoders pad by tens of ms
					t.Errorf("output %s is reported as %d ms, but ffprobe says the file lasts %v", out.URI, out.DurationMS, probed)
				}
			}
		})
	}
}
