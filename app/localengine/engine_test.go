package localengine

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"transcoder/app/failures"
	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
	"transcoder/app/presets"
)

// request asks for the given presets of the input at uri, for transcoder's
// job jobID.
func request(jobID, uri string, names ...string) jobs.StartRequest {
	ps, err := presets.Resolve(names)
	if err != nil {
		panic(err)
	}
	return jobs.StartRequest{
		JobID: jobID, Input: uri, OutputPrefix: "s3://out/" + jobID + "/", Presets: ps,
		Metadata: map[string]string{jobs.MetadataJobID: jobID},
	}
}

func TestAJobWithEveryPresetCompletesWithAFileOfEach(t *testing.T) {
	f := newFixture(t)
	f.storage.put(t, "s3://in/uploads/tone.wav", tone(t, 2.5))
	e := f.engine(t, nil)

	id, err := e.Start(context.Background(), request("job-1", "s3://in/uploads/tone.wav", presets.Names()...))
	if err != nil {
		t.Fatal(err)
	}
	j, statuses := f.publisher.final(t, id)

	// The events come in MediaConvert's order.
	if len(statuses) < 4 || statuses[0] != "PROGRESSING" || statuses[1] != "INPUT_INFORMATION" || statuses[len(statuses)-1] != "COMPLETE" {
		t.Fatalf("statuses %v, want PROGRESSING, INPUT_INFORMATION, STATUS_UPDATE..., COMPLETE", statuses)
	}
	for _, s := range statuses[2 : len(statuses)-1] {
		if s != "STATUS_UPDATE" {
			t.Fatalf("statuses %v: %s between INPUT_INFORMATION and COMPLETE", statuses, s)
		}
	}
	var percents []int
	for _, u := range f.publisher.events(t, id)[2 : len(statuses)-1] {
		percents = append(percents, u.Progress)
	}
	if len(percents) == 0 {
		t.Fatalf("statuses %v: no STATUS_UPDATE", statuses)
	}
	for i := range percents {
		if percents[i] < 1 || percents[i] > 99 || i > 0 && percents[i] <= percents[i-1] {
			t.Fatalf("progress %v does not grow from 1 to at most 99", percents)
		}
	}

	// The service sees a complete job, with its input and four outputs.
	if j.ID != "job-1" || j.EngineJobID != id || j.State != jobs.Complete || j.Progress != 100 {
		t.Fatalf("job %s (engine id %s) is %s at %d%%, want job-1 (%s) COMPLETE at 100%%", j.ID, j.EngineJobID, j.State, j.Progress, id)
	}
	if j.Input == nil || j.Input.URI != "s3://in/uploads/tone.wav" || j.Input.DurationMS != 2500 {
		t.Fatalf("input %+v, want the tone's URI and 2500 ms", j.Input)
	}
	audio, _ := j.Input.Details["audio"].([]any)
	if len(audio) != 1 || audio[0].(map[string]any)["codec"] != "PCM" || audio[0].(map[string]any)["sampleRate"] != 44100.0 {
		t.Errorf("input details %v, want one PCM stream at 44100 Hz", j.Input.Details)
	}
	if len(j.Outputs) != 4 {
		t.Fatalf("outputs %+v, want 4", j.Outputs)
	}

	want := map[string]struct{ codec, format string }{
		"wav":  {"pcm_s16le", "wav"},
		"flac": {"flac", "flac"},
		"aac":  {"aac", "mov,mp4,m4a,3gp,3g2,mj2"},
		"mp3":  {"mp3", "mp3"},
	}
	for i, p := range presets.All() {
		uri := jobs.OutputURI("s3://out/job-1/", "s3://in/uploads/tone.wav", p)
		out := j.Outputs[i]
		if out.URI != uri || math.Abs(float64(out.DurationMS-2500)) > 100 {
			t.Errorf("output %d is %s of %d ms, want %s of 2500±100 ms", i, out.URI, out.DurationMS, uri)
		}
		file, _ := f.storage.file(uri)
		var probed struct {
			Streams []struct {
				CodecName  string `json:"codec_name"`
				SampleRate string `json:"sample_rate"`
				Channels   int    `json:"channels"`
			} `json:"streams"`
			Format struct {
				FormatName string `json:"format_name"`
				Duration   string `json:"duration"`
			} `json:"format"`
		}
		raw := run(t, "ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", file)
		if err := json.Unmarshal([]byte(raw), &probed); err != nil {
			t.Fatal(err)
		}
		if len(probed.Streams) != 1 || probed.Streams[0].CodecName != want[p.Name].codec || probed.Format.FormatName != want[p.Name].format ||
			probed.Streams[0].SampleRate != "44100" || probed.Streams[0].Channels != 2 {
			t.Errorf("the %s output is %s", p.Name, raw)
		}
		if d := seconds(probed.Format.Duration); d < 2400*time.Millisecond || d > 2600*time.Millisecond {
			t.Errorf("the %s output lasts %v, want 2.5s±100ms", p.Name, d)
		}
		f.storage.mu.Lock()
		ct := f.storage.contentTypes[uri]
		f.storage.mu.Unlock()
		if ct != p.ContentType {
			t.Errorf("the %s output was stored as %q, want %q", p.Name, ct, p.ContentType)
		}
	}
	e.Close() // waits for the jobs to be done with the journal
	if left := f.journalEntries(t); len(left) != 0 {
		t.Errorf("the journal still holds %v after the job's end was published", left)
	}
	if work, _ := os.ReadDir(filepath.Join(f.dir, "work")); len(work) != 0 {
		t.Errorf("work files left behind: %v", work)
	}
}

func TestAJobThatCannotBeDoneEndsInERRORSayingWhy(t *testing.T) {
	requireFFmpeg(t)
	tests := []struct {
		name   string
		input  func(t *testing.T) string
		change func(*testing.T, *Options, *fixture)
		code   mediaconvert.ErrorCode
		says   []string
		// reason is how package failures reads the failure for the owner.
		reason failures.Reason
		// inputInformation reports that the input was read.
		inputInformation bool
	}{
		{
			name: "a corrupt input fails with ffprobe's reason", input: noise,
			code:   mediaconvert.ErrorInput,
			says:   []string{"Unable to open input file [s3://in/a.wav]", "Invalid data found when processing input"},
			reason: failures.Unreadable,
		},
		{
			name: "a playlist naming a file of the machine is refused, not followed", input: func(t *testing.T) string {
				secret := filepath.Join(t.TempDir(), "secret.mp3")
				run(t, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", tone(t, 0.5), secret)
				list := filepath.Join(t.TempDir(), "list")
				os.WriteFile(list, []byte("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:0.5,\n"+secret+"\n#EXT-X-ENDLIST\n"), 0o644)
				return list
			},
			code:   mediaconvert.ErrorInput,
			says:   []string{"Unable to open input file [s3://in/a.wav]"},
			reason: failures.Unreadable,
		},
		{
			name: "a missing ffmpeg fails at once with the install hint", input: func(t *testing.T) string { return tone(t, 0.5) },
			change: func(_ *testing.T, o *Options, _ *fixture) { o.FFmpeg = "/nonexistent/ffmpeg" },
			code:   mediaconvert.ErrorUnknown,
			says:   []string{"ffmpeg not found at /nonexistent/ffmpeg: install it (apt-get install ffmpeg)"},
			reason: failures.Service,
		},
		{
			name: "an ffmpeg missing from PATH fails at once with the install hint", input: func(t *testing.T) string { return tone(t, 0.5) },
			change: func(t *testing.T, o *Options, _ *fixture) {
				o.FFprobe, _ = exec.LookPath("ffprobe")
				t.Setenv("PATH", t.TempDir())
			},
			code:   mediaconvert.ErrorUnknown,
			says:   []string{"ffmpeg not found on PATH: install it (apt-get install ffmpeg)"},
			reason: failures.Service,
		},
		{
			name: "a missing ffprobe fails at once with the install hint", input: func(t *testing.T) string { return tone(t, 0.5) },
			change: func(_ *testing.T, o *Options, _ *fixture) { o.FFprobe = "/nonexistent/ffprobe" },
			code:   mediaconvert.ErrorUnknown,
			says:   []string{"ffprobe not found at /nonexistent/ffprobe: install it (apt-get install ffmpeg)"},
			reason: failures.Service,
		},
		{
			name: "an input that is not in storage fails as not found", input: nil,
			code:   mediaconvert.ErrorNotFound,
			says:   []string{"Unable to open input file [s3://in/a.wav]", "no such file"},
			reason: failures.Missing,
		},
		{
			name: "storage that refuses the outputs fails with its reason", input: func(t *testing.T) string { return tone(t, 0.5) },
			change:           func(_ *testing.T, _ *Options, f *fixture) { f.storage.putErr = errors.New("bucket out is read-only") },
			code:             mediaconvert.ErrorFileOpen,
			says:             []string{"Unable to write output file [s3://out/job-1/flac/a.flac]", "bucket out is read-only"},
			reason:           failures.Service,
			inputInformation: true,
		},
		{
			name: "an input without sound fails with the audio error", input: silentFilm,
			code:             mediaconvert.ErrorAudio,
			says:             []string{"input file [s3://in/a.wav] has no audio stream"},
			reason:           failures.NoAudio,
			inputInformation: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.input != nil {
				f.storage.put(t, "s3://in/a.wav", tt.input(t))
			}
			e := f.engine(t, func(o *Options) {
				if tt.change != nil {
					tt.change(t, o, f)
				}
			})
			id, err := e.Start(context.Background(), request("job-1", "s3://in/a.wav", "flac"))
			if err != nil {
				t.Fatal(err)
			}
			j, statuses := f.publisher.final(t, id)
			if j.State != jobs.Failed || j.Error == nil || j.Error.Code != itoa(int(tt.code)) {
				t.Fatalf("job %s with error %+v, want ERROR %d", j.State, j.Error, tt.code)
			}
			for _, s := range tt.says {
				if !strings.Contains(j.Error.Message, s) {
					t.Errorf("error message %q does not say %q", j.Error.Message, s)
				}
			}
			if strings.Contains(j.Error.Message, f.dir) {
				t.Errorf("error message %q names the engine's work files instead of the job's URIs", j.Error.Message)
			}
			if got := failures.Explain(failures.Local, j.Error.Code, j.Error.Message).Reason; got != tt.reason {
				t.Errorf("the owner is told of a %q failure, want %q (error %+v)", got, tt.reason, j.Error)
			}
			want := []string{"PROGRESSING", "ERROR"}
			if tt.inputInformation {
				want = []string{"PROGRESSING", "INPUT_INFORMATION", "ERROR"}
			}
			if statuses = slices.DeleteFunc(statuses, func(s string) bool { return s == "STATUS_UPDATE" }); !slices.Equal(statuses, want) {
				t.Errorf("statuses %v, want %v", statuses, want)
			}
			e.Close() // waits for the jobs to be done with the journal
			if left := f.journalEntries(t); len(left) != 0 {
				t.Errorf("the journal still holds %v", left)
			}
		})
	}
}

func TestAnInputFFmpegGivesUpOnFailsWithTheCodeOfWhatItSaid(t *testing.T) {
	requireFFmpeg(t)
	tests := []struct {
		name  string
		uri   string
		input func(t *testing.T) string
		code  mediaconvert.ErrorCode
		// reason is how package failures reads the failure for the owner.
		reason failures.Reason
	}{
		{
			// ffprobe takes it for an MP3 with impossible parameters;
			// ffmpeg then cannot set up a decoder for it.
			name: "random bytes named .mp3 are an input error, not a source read error",
			uri:  "s3://in/uploads/s-1/corrupt.mp3",
			input: func(t *testing.T) string {
				b := make([]byte, 100_000)
				rand.NewChaCha8([32]byte{'c', 'o', 'r', 'r', 'u', 'p', 't'}).Read(b)
				name := filepath.Join(t.TempDir(), "corrupt.mp3")
				if err := os.WriteFile(name, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return name
			},
			code: mediaconvert.ErrorInput, reason: failures.Unreadable,
		},
		{
			name: "an M4A cut off before its index reads as a file cut short",
			uri:  "s3://in/uploads/s-1/cut.m4a",
			input: func(t *testing.T) string {
				whole := filepath.Join(t.TempDir(), "whole.m4a")
				run(t, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", tone(t, 1), "-c:a", "aac", whole)
				b, err := os.ReadFile(whole)
				if err != nil {
					t.Fatal(err)
				}
				name := filepath.Join(t.TempDir(), "cut.m4a")
				if err := os.WriteFile(name, b[:len(b)/3], 0o644); err != nil {
					t.Fatal(err)
				}
				return name
			},
			code: mediaconvert.ErrorInput, reason: failures.Truncated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.storage.put(t, tt.uri, tt.input(t))
			e := f.engine(t, nil)
			id, err := e.Start(context.Background(), request("job-1", tt.uri, "mp3"))
			if err != nil {
				t.Fatal(err)
			}
			j, _ := f.publisher.final(t, id)
			if j.State != jobs.Failed || j.Error == nil || j.Error.Code != itoa(int(tt.code)) {
				t.Fatalf("job %s with error %+v, want ERROR %d", j.State, j.Error, tt.code)
			}
			explained := failures.Explain(failures.Local, j.Error.Code, j.Error.Message)
			if explained.Reason != tt.reason {
				t.Errorf("error %+v is told to the owner as %q, want %q", j.Error, explained.Reason, tt.reason)
			}
			for _, internal := range []string{tt.uri, "0x", "@", "["} {
				if strings.Contains(explained.Message, internal) {
					t.Errorf("the owner reads %q, which has %q in it", explained.Message, internal)
				}
			}
			e.Close()
		})
	}
}

func TestFFmpegsAccountOfAFailureChoosesMediaConvertsCode(t *testing.T) {
	tests := []struct {
		name   string
		stderr string
		want   mediaconvert.ErrorCode
	}{
		{"a stream that is not media is an input error", "[mp3float @ 0x55] Header missing; Error while decoding stream #0:0: Invalid data found when processing input", mediaconvert.ErrorInput},
		{"a codec nobody decodes is an unsupported codec", "Decoder (codec none) not found for input stream #0:0", errorUnsupportedCodec},
		{"no stream to map is an audio error", "Stream map '0:a:0' matches no streams.", mediaconvert.ErrorAudio},
		{"a partial file is a source read error", "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x56] stream 0, offset 0x9cfd: partial file", mediaconvert.ErrorSourceRead},
		{"anything else is MediaConvert's unknown error", "Conversion failed!", mediaconvert.ErrorUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ffmpegCode(tt.stderr); got != tt.want {
				t.Errorf("ffmpegCode(%q) = %d, want %d", tt.stderr, got, tt.want)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// stopper pauses every ffmpeg a job starts (SIGSTOP), so that a test finds it
// running whatever the machine's speed, and records how each ended.
type stopper struct {
	mu      sync.Mutex
	started map[string]bool
	exits   map[string]error
	running chan string
}

func newStopper() *stopper {
	return &stopper{started: map[string]bool{}, exits: map[string]error{}, running: make(chan string, 10)}
}

func (s *stopper) install(e *Engine) {
	e.hooks.ffmpegStarted = func(id string, p *os.Process) {
		p.Signal(syscall.SIGSTOP)
		s.mu.Lock()
		s.started[id] = true
		s.mu.Unlock()
		s.running <- id
	}
	e.hooks.ffmpegExited = func(id string, err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.exits[id] = err
	}
}

func (s *stopper) awaitRunning(t *testing.T) string {
	t.Helper()
	select {
	case id := <-s.running:
		return id
	case <-time.After(wait):
		t.Fatalf("no ffmpeg started within %v", wait)
		return ""
	}
}

func TestCancelStopsARunningOrQueuedJob(t *testing.T) {
	f := newFixture(t)
	f.storage.put(t, "s3://in/long.wav", tone(t, 20))
	e := f.engine(t, nil) // one job at a time
	s := newStopper()
	s.install(e)

	running, err := e.Start(context.Background(), request("job-running", "s3://in/long.wav", "flac", "mp3"))
	if err != nil {
		t.Fatal(err)
	}
	if id := s.awaitRunning(t); id != running {
		t.Fatalf("ffmpeg started for %s, want %s", id, running)
	}
	queued, err := e.Start(context.Background(), request("job-queued", "s3://in/long.wav", "flac"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		id   string
		// ranFFmpeg says whether the job had an ffmpeg to kill.
		ranFFmpeg bool
	}{
		{"a queued job ends CANCELED without running ffmpeg", queued, false},
		{"a running job ends CANCELED with its ffmpeg killed", running, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.Cancel(context.Background(), tt.id); err != nil {
				t.Fatal(err)
			}
			j, statuses := f.publisher.final(t, tt.id)
			if j.State != jobs.Canceled || statuses[len(statuses)-1] != "CANCELED" {
				t.Fatalf("job %s after %v, want CANCELED", j.State, statuses)
			}
			s.mu.Lock()
			started, exit := s.started[tt.id], s.exits[tt.id]
			s.mu.Unlock()
			if started != tt.ranFFmpeg {
				t.Fatalf("ffmpeg started: %v, want %v", started, tt.ranFFmpeg)
			}
			if tt.ranFFmpeg && (exit == nil || !strings.Contains(exit.Error(), "stopped")) {
				t.Errorf("ffmpeg ended with %v, want it stopped", exit)
			}
			if err := e.Cancel(context.Background(), tt.id); !errors.Is(err, ErrNoSuchJob) {
				t.Errorf("a second Cancel = %v, want ErrNoSuchJob", err)
			}
		})
	}
	if out, _ := os.ReadDir(filepath.Join(f.storage.dir, "out")); len(out) != 0 {
		t.Errorf("canceled jobs wrote outputs: %v", out)
	}
	e.Close() // waits for the jobs to be done with the journal
	if left := f.journalEntries(t); len(left) != 0 {
		t.Errorf("the journal still holds %v", left)
	}
}

func TestConcurrencyBoundsTheFFmpegProcessesRunningAtOnce(t *testing.T) {
	f := newFixture(t)
	f.storage.put(t, "s3://in/tone.wav", tone(t, 3))
	e := f.engine(t, nil) // Concurrency 1
	var mu sync.Mutex
	running, most, started := 0, 0, 0
	e.hooks.ffmpegStarted = func(string, *os.Process) {
		mu.Lock()
		defer mu.Unlock()
		running++
		started++
		most = max(most, running)
	}
	e.hooks.ffmpegExited = func(string, error) {
		mu.Lock()
		defer mu.Unlock()
		running--
	}
	var ids []string
	for _, name := range []string{"job-a", "job-b", "job-c"} {
		id, err := e.Start(context.Background(), request(name, "s3://in/tone.wav", presets.Names()...))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if j, _ := f.publisher.final(t, id); j.State != jobs.Complete {
			t.Errorf("job %s ended %s, want COMPLETE", id, j.State)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if started != 3 || most != 1 {
		t.Errorf("%d ffmpeg processes started, at most %d at once; want 3, one at a time", started, most)
	}
}

func TestRecoverRunsAgainTheJobsAClosedEngineLeftAndGivesUpOnASecondInterruption(t *testing.T) {
	f := newFixture(t)
	f.storage.put(t, "s3://in/long.wav", tone(t, 20))
	first := f.engine(t, nil)
	s := newStopper()
	s.install(first)
	start := func(jobID, owner string) string {
		t.Helper()
		req := request(jobID, "s3://in/long.wav", "flac")
		req.Owner = owner
		id, err := first.Start(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	running := start("job-running", "A")
	s.awaitRunning(t)
	// Queued behind it, in two owners' turns.
	queued := []string{start("job-queued-a", "A"), start("job-queued-b", "B")}
	first.Close()

	all := append([]string{running}, queued...)
	for _, id := range all {
		for _, st := range f.publisher.statuses(t, id) {
			if st == "CANCELED" || st == "ERROR" || st == "COMPLETE" {
				t.Fatalf("Close published %s for job %s", st, id)
			}
		}
	}
	if left := f.journalEntries(t); len(left) != len(all) {
		t.Fatalf("the journal holds %v, want every job", left)
	}
	if _, err := first.Start(context.Background(), request("job-late", "s3://in/long.wav", "flac")); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}

	// The next process runs them again, under the same ids, and holds the
	// first one as it runs.
	second := f.engine(t, nil)
	s2 := newStopper()
	s2.install(second)
	if err := second.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	s2.awaitRunning(t)
	second.Close()
	// The third finishes those that had not run twice, and reports the one
	// interrupted twice.
	third := f.engine(t, nil)
	if err := third.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	interrupted := 0
	for _, id := range all {
		j, _ := f.publisher.final(t, id)
		switch {
		case j.State == jobs.Complete:
		case j.State == jobs.Failed && j.Error != nil && j.Error.Code == "1999" && j.Error.Message == Recovered:
			interrupted++
		default:
			t.Errorf("job %s ended %s with %+v, want COMPLETE, or ERROR %q for the one interrupted twice", id, j.State, j.Error, Recovered)
		}
	}
	if interrupted != 1 {
		t.Errorf("%d jobs were reported interrupted, want the one that two processes began", interrupted)
	}
	third.Close()
	if left := f.journalEntries(t); len(left) != 0 {
		t.Errorf("the journal still holds %v after Recover", left)
	}
	if work, _ := os.ReadDir(filepath.Join(f.dir, "work")); len(work) != 0 {
		t.Errorf("work files left behind: %v", work)
	}
}

func TestRecoverPublishesATerminalEventTheTopicRefused(t *testing.T) {
	f := newFixture(t)
	f.storage.put(t, "s3://in/tone.wav", tone(t, 1))
	f.publisher.failAll = true
	first := f.engine(t, nil)
	id, err := first.Start(context.Background(), request("job-1", "s3://in/tone.wav", "flac"))
	if err != nil {
		t.Fatal(err)
	}
	var complete string
	f.publisher.until(t, "the COMPLETE event to be tried", func() bool {
		f.publisher.mu.Lock()
		defer f.publisher.mu.Unlock()
		for _, m := range f.publisher.attempts {
			var e mediaconvert.Event
			if json.Unmarshal([]byte(m), &e) == nil && e.Detail.Status == "COMPLETE" {
				complete = m
				return true
			}
		}
		return false
	})
	first.Close()

	f.publisher.mu.Lock()
	f.publisher.failAll = false
	f.publisher.mu.Unlock()
	second := f.engine(t, nil)
	if err := second.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.publisher.mu.Lock()
	published := slices.Clone(f.publisher.messages)
	f.publisher.mu.Unlock()
	if !slices.Equal(published, []string{complete}) {
		t.Fatalf("Recover published %q, want the refused COMPLETE event as it was", published)
	}
	if j := f.publisher.apply(t, id); j.State != jobs.Complete || len(j.Outputs) != 1 {
		t.Errorf("job %s with outputs %+v, want COMPLETE with one", j.State, j.Outputs)
	}
	if left := f.journalEntries(t); len(left) != 0 {
		t.Errorf("the journal still holds %v after Recover", left)
	}
}

func TestEventsReachATopicThatRefusesAFewTimes(t *testing.T) {
	f := newFixture(t)
	f.storage.put(t, "s3://in/tone.wav", tone(t, 1))
	f.publisher.failFirst = 3
	e := f.engine(t, nil)
	id, err := e.Start(context.Background(), request("job-1", "s3://in/tone.wav", "mp3"))
	if err != nil {
		t.Fatal(err)
	}
	j, statuses := f.publisher.final(t, id)
	if j.State != jobs.Complete || statuses[0] != "PROGRESSING" {
		t.Errorf("job %s after %v, want COMPLETE after PROGRESSING", j.State, statuses)
	}
}

func TestStartRefusesAnInvalidRequest(t *testing.T) {
	opus := presets.Preset{Name: "opus", Codec: "opus", Container: "ogg", Extension: ".ogg", SampleRate: 48000, Channels: 2, Bitrate: 96000}
	tests := []struct {
		name   string
		change func(*jobs.StartRequest)
		says   string
	}{
		{"an input that is not on S3", func(r *jobs.StartRequest) { r.Input = "/tmp/a.wav" }, "use s3://bucket/key"},
		{"an input that is a folder", func(r *jobs.StartRequest) { r.Input = "s3://in/uploads/" }, "use s3://bucket/key"},
		{"an output prefix without its final slash", func(r *jobs.StartRequest) { r.OutputPrefix = "s3://out/job-1" }, "with the final slash"},
		{"no presets", func(r *jobs.StartRequest) { r.Presets = nil }, "ask for one or more of wav, flac, aac, mp3"},
		{"a preset asked for twice", func(r *jobs.StartRequest) { r.Presets = append(r.Presets, r.Presets[0]) }, `"flac" is asked for twice`},
		{"a preset the engine cannot render", func(r *jobs.StartRequest) { r.Presets = []presets.Preset{opus} }, `codec "opus"`},
		{"no job id in the metadata", func(r *jobs.StartRequest) { r.Metadata = nil }, `"transcoderJobId"`},
	}
	f := newFixture(t)
	e := f.engine(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request("job-1", "s3://in/a.wav", "flac")
			tt.change(&req)
			id, err := e.Start(context.Background(), req)
			if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Start = %q, %v; want ErrInvalidRequest saying %q", id, err, tt.says)
			}
		})
	}
	if left := f.journalEntries(t); len(left) != 0 {
		t.Errorf("refused requests were journaled: %v", left)
	}
}

func TestStartReturnsAMediaConvertJobID(t *testing.T) {
	f := newFixture(t)
	e := f.engine(t, nil)
	e.now = func() time.Time { return time.UnixMilli(1700000000000) }
	id, err := e.Start(context.Background(), request("job-1", "s3://in/missing.wav", "flac"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "1700000000000-") || len(id) != len("1700000000000-abc123") {
		t.Errorf("Start = %q, want 1700000000000- and six characters", id)
	}
	f.publisher.final(t, id)
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	storage, publisher := &dirStorage{dir: t.TempDir()}, newRecorder()
	tests := []struct {
		name string
		opts Options
		says string
	}{
		{"no storage", Options{Publisher: publisher, Dir: t.TempDir()}, "Options.Storage"},
		{"no publisher", Options{Storage: storage, Dir: t.TempDir()}, "Options.Publisher"},
		{"no folder", Options{Storage: storage, Publisher: publisher}, "Options.Dir"},
		{"a negative concurrency", Options{Storage: storage, Publisher: publisher, Dir: t.TempDir(), Concurrency: -1}, "Options.Concurrency"},
		{"a negative progress interval", Options{Storage: storage, Publisher: publisher, Dir: t.TempDir(), ProgressInterval: -time.Second}, "Options.ProgressInterval"},
		{"a negative longest input", Options{Storage: storage, Publisher: publisher, Dir: t.TempDir(), MaxInputDuration: -time.Second}, "Options.MaxInputDuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := New(tt.opts); err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("New = %v, %v; want an error naming %s", e, err, tt.says)
			}
		})
	}
}

func TestNewDefaultsNameTheDefaultQueue(t *testing.T) {
	f := newFixture(t)
	e := f.engine(t, func(o *Options) { o.Concurrency, o.ProgressInterval = 0, 0 })
	id, err := e.Start(context.Background(), request("job-1", "s3://in/missing.wav", "flac"))
	if err != nil {
		t.Fatal(err)
	}
	f.publisher.final(t, id)
	f.publisher.mu.Lock()
	defer f.publisher.mu.Unlock()
	var ev struct {
		Account, Region string
		Detail          struct{ Queue string }
	}
	if err := json.Unmarshal([]byte(f.publisher.messages[0]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Account != "000000000000" || ev.Region != "us-east-1" || ev.Detail.Queue != "arn:aws:mediaconvert:us-east-1:000000000000:queues/Default" {
		t.Errorf("account %s, region %s, queue %s; want the defaults", ev.Account, ev.Region, ev.Detail.Queue)
	}
	if e.opts.ProgressInterval != time.Second || e.opts.Concurrency < 1 {
		t.Errorf("progress interval %v, concurrency %d; want 1s and one per CPU", e.opts.ProgressInterval, e.opts.Concurrency)
	}
}

func TestRecoverNamesAnUnreadableJournalEntryAndGoesOn(t *testing.T) {
	f := newFixture(t)
	first := f.engine(t, nil)
	id, err := first.Start(context.Background(), request("job-1", "s3://in/missing.wav", "flac"))
	if err != nil {
		t.Fatal(err)
	}
	first.Close() // before or after the job ended: either way it is journaled or done
	bad := filepath.Join(f.dir, "journal", "1700000000000-broken.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := f.engine(t, nil)
	err = second.Recover(context.Background())
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("Recover = %v, want an error naming %s and what to do", err, bad)
	}
	if j, _ := f.publisher.final(t, id); !j.State.Terminal() {
		t.Errorf("the readable entry's job is %s, want it run again to its end", j.State)
	}
	second.Close()
	if left := f.journalEntries(t); !slices.Equal(left, []string{bad}) {
		t.Errorf("the journal holds %v, want only the unreadable entry", left)
	}
}
