package localengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"transcoder/app/jobs"
)

func TestAnInputLongerThanTheLimitEndsInERRORBeforeTranscoding(t *testing.T) {
	requireFFmpeg(t)
	tests := []struct {
		name    string
		owner   string
		seconds float64
		limit   time.Duration
		// message is the ERROR's; empty for a job that completes.
		message string
	}{
		{"an input over the limit is refused with the limit named", "alice", 2, time.Second,
			"This file is 2s long; this service takes files up to 1s. Trim it or split it, then upload again."},
		{"an input a fraction over the limit says by how much", "alice", 1.5, 1200 * time.Millisecond,
			"This file is 1.5s long; this service takes files up to 1.2s. Trim it or split it, then upload again."},
		{"an input exactly as long as the limit is taken", "alice", 2, 2 * time.Second, ""},
		{"an input under the limit is taken", "alice", 1, time.Minute, ""},
		{"no limit takes any input", "alice", 2, 0, ""},
		{"the operator's job is not bound by the limit", "", 2, time.Second, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.storage.put(t, "s3://in/a.wav", tone(t, tt.seconds))
			e := f.engine(t, func(o *Options) { o.MaxInputDuration = tt.limit })
			var transcoded atomic.Bool
			e.hooks.ffmpegStarted = func(string, *os.Process) { transcoded.Store(true) }
			req := request("job-1", "s3://in/a.wav", "flac")
			req.Owner = tt.owner
			id, err := e.Start(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			j, statuses := f.publisher.final(t, id)
			if tt.message == "" {
				if j.State != jobs.Complete || !transcoded.Load() {
					t.Fatalf("job %s with %+v (transcoded: %v), want COMPLETE", j.State, j.Error, transcoded.Load())
				}
				return
			}
			if j.State != jobs.Failed || j.Error == nil || j.Error.Code != itoa(int(ErrorInputTooLong)) || j.Error.Message != tt.message {
				t.Fatalf("job %s with %+v, want ERROR %d %q", j.State, j.Error, ErrorInputTooLong, tt.message)
			}
			if want := []string{"PROGRESSING", "INPUT_INFORMATION", "ERROR"}; !slices.Equal(statuses, want) || transcoded.Load() {
				t.Errorf("statuses %v (transcoded: %v), want %v and no ffmpeg run", statuses, transcoded.Load(), want)
			}
			if j.Input == nil || j.Input.DurationMS != int64(tt.seconds*1000) {
				t.Errorf("input %+v, want the file's %gs reported", j.Input, tt.seconds)
			}
			if out, _ := os.ReadDir(filepath.Join(f.storage.dir, "out")); len(out) != 0 {
				t.Errorf("a refused job wrote outputs: %v", out)
			}
		})
	}
}

// TestAnInputThatPlaysLongerThanItSaysIsHeldToTheLimit feeds the engine an
// MP3 without a VBR header whose first frames are at a far higher bitrate
// than the rest: ffprobe times it from those first frames, well within the
// limit, but it plays for a minute.
func TestAnInputThatPlaysLongerThanItSaysIsHeldToTheLimit(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	mp3 := func(name string, seconds int, bitrate string) []byte {
		file := filepath.Join(dir, name)
		run(t, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=%d", seconds),
			"-ar", "44100", "-c:a", "libmp3lame", "-b:a", bitrate, "-write_xing", "0", "-id3v2_version", "0", file)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	liar := filepath.Join(dir, "liar.mp3")
	if err := os.WriteFile(liar, append(mp3("dense.mp3", 1, "320k"), mp3("sparse.mp3", 60, "32k")...), 0o644); err != nil {
		t.Fatal(err)
	}
	const limit = 20 * time.Second
	said := seconds(strings.TrimSpace(run(t, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", liar)))
	if said <= 0 || said > limit {
		t.Fatalf("ffprobe says the 61s file lasts %v: this test needs it to say it is within %v, to hold the engine to what ffmpeg reads", said, limit)
	}

	f := newFixture(t)
	f.storage.put(t, "s3://in/liar.mp3", liar)
	e := f.engine(t, func(o *Options) { o.MaxInputDuration = limit })
	req := request("job-1", "s3://in/liar.mp3", "flac", "mp3")
	req.Owner = "alice"
	id, err := e.Start(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := f.publisher.final(t, id)
	want := "This file plays for longer than it says, and longer than the 20s this service takes. Trim it or split it, then upload again."
	if j.State != jobs.Failed || j.Error == nil || j.Error.Code != itoa(int(ErrorInputTooLong)) || j.Error.Message != want {
		t.Fatalf("job %s with %+v, want ERROR %d %q", j.State, j.Error, ErrorInputTooLong, want)
	}
	if out, _ := os.ReadDir(filepath.Join(f.storage.dir, "out")); len(out) != 0 {
		t.Errorf("a refused job wrote outputs: %v", out)
	}
}

func TestTheTooLongMessageShowsBothDurationsAsPeopleReadThem(t *testing.T) {
	tests := []struct {
		name          string
		length, limit time.Duration
		file, most    string
	}{
		{"hours and minutes drop the zero seconds", 72*time.Minute + 13*time.Second, 30 * time.Minute, "1h12m", "30m"},
		{"whole hours drop the zero minutes", time.Hour + 20*time.Second, 59 * time.Minute, "1h", "59m"},
		{"seconds show when minutes would hide the excess", 30*time.Minute + 40*time.Second, 30 * time.Minute, "30m40s", "30m"},
		{"a length is cut down, never rounded up", 2500 * time.Millisecond, time.Second, "2s", "1s"},
		{"tenths show when seconds would hide the excess", 1400 * time.Millisecond, time.Second, "1.4s", "1s"},
		{"a limit under a second shows as it is", 900 * time.Millisecond, 500 * time.Millisecond, "900ms", "500ms"},
		{"minutes and seconds together", 95 * time.Second, time.Minute, "1m35s", "1m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, most := durationsApart(tt.length, tt.limit)
			if file != tt.file || most != tt.most {
				t.Errorf("durationsApart(%v, %v) = %q, %q; want %q, %q", tt.length, tt.limit, file, most, tt.file, tt.most)
			}
		})
	}
}
