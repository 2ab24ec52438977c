package localengine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"transcoder/app/presets"
)

// codecs says, for each codec a preset can ask for, which ffmpeg encoder
// writes it: by bit depth for the lossless codecs (with the sample format
// the encoder must be fed, where it has a choice), under depth 0 for the
// lossy ones, which are set by bitrate instead.
var codecs = map[presets.Codec]map[int]encoder{
	presets.PCM: {
		16: {name: "pcm_s16le"},
		24: {name: "pcm_s24le"},
	},
	presets.FLAC: {
		16: {name: "flac", sampleFormat: "s16"},
	},
	presets.AAC: {
		0: {name: "aac"},
	},
	presets.MP3: {
		0: {name: "libmp3lame"},
	},
}

type encoder struct {
	name         string
	sampleFormat string
}

// containers gives the muxer arguments for each container. MP4 is written by
// the ipod muxer, which is ffmpeg's MP4 with the M4A brand that .m4a players
// expect, with the index up front so that playback can start while the file
// downloads.
var containers = map[string][]string{
	"wav":  {"-f", "wav"},
	"flac": {"-f", "flac"},
	"mp4":  {"-f", "ipod", "-movflags", "+faststart"},
	"mp3":  {"-f", "mp3"},
}

// OutputArgs translates a preset into the ffmpeg arguments that write one
// output file: the first audio stream of the input, nothing else (no video,
// subtitles, data or metadata), encoded and muxed as the preset says. The
// caller appends the file name. It is exported so that a benchmark can run
// ffmpeg alone on exactly the engine's work.
func OutputArgs(p presets.Preset) ([]string, error) {
	depths, ok := codecs[p.Codec]
	if !ok {
		return nil, fmt.Errorf("preset %q: codec %q has no ffmpeg encoder in the local engine: use one of pcm, flac, aac, mp3", p.Name, p.Codec)
	}
	enc, ok := depths[p.BitDepth]
	if !ok {
		return nil, fmt.Errorf("preset %q: %s at bit depth %d is not supported by the local engine: use %s", p.Name, p.Codec, p.BitDepth, supportedDepths(depths))
	}
	mux, ok := containers[p.Container]
	if !ok {
		return nil, fmt.Errorf("preset %q: container %q has no ffmpeg muxer in the local engine: use one of wav, flac, mp4, mp3", p.Name, p.Container)
	}
	switch {
	case p.SampleRate <= 0 || p.Channels <= 0:
		return nil, fmt.Errorf("preset %q: sample rate %d and channels %d must both be positive", p.Name, p.SampleRate, p.Channels)
	case p.BitDepth == 0 && p.Bitrate <= 0:
		return nil, fmt.Errorf("preset %q: a lossy %s output needs a bitrate", p.Name, p.Codec)
	case p.BitDepth != 0 && p.Bitrate != 0:
		return nil, fmt.Errorf("preset %q: a lossless %s output takes a bit depth, not a bitrate", p.Name, p.Codec)
	}
	args := []string{"-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-c:a", enc.name}
	if enc.sampleFormat != "" {
		args = append(args, "-sample_fmt", enc.sampleFormat)
	}
	if p.Bitrate > 0 {
		args = append(args, "-b:a", strconv.Itoa(p.Bitrate))
	}
	args = append(args, "-ar", strconv.Itoa(p.SampleRate), "-ac", strconv.Itoa(p.Channels))
	return append(args, mux...), nil
}

func supportedDepths(depths map[int]encoder) string {
	var s []string
	for d := range depths {
		if d == 0 {
			s = append(s, "a bitrate and no bit depth")
		} else {
			s = append(s, strconv.Itoa(d)+" bits")
		}
	}
	slices.Sort(s)
	return strings.Join(s, " or ")
}

// toolError is a tool (ffmpeg, ffprobe) that failed, with what it said.
type toolError struct {
	// Reason is the tool's own account of the failure: the meaningful last
	// lines of its standard error, or how it ended when it said nothing.
	Reason string
	// Missing reports that the tool could not be run at all.
	Missing bool
	// TimedOut reports that the tool was stopped for taking too long.
	TimedOut bool
}

func (e *toolError) Error() string { return e.Reason }

// missingTool is the failure of a job whose tool is not installed: it says
// where the tool was looked for and how to install it.
func missingTool(name, configured string) *toolError {
	where := "on PATH"
	if configured != "" {
		where = "at " + configured
	}
	return &toolError{Missing: true, Reason: fmt.Sprintf("%s not found %s: install it (apt-get install ffmpeg)", name, where)}
}

// tool is one of the two programs the engine runs.
type tool struct {
	// name is ffmpeg or ffprobe.
	name string
	// path is what is run: Options' path, or the name to look up on PATH.
	path string
	// configured is the path Options gave, empty when it was looked up.
	configured string
}

// resolve finds the tool now, so that a job without it fails at once with
// the install hint instead of in the middle of its work.
func (t tool) resolve() (string, error) {
	p, err := exec.LookPath(t.path)
	if err != nil {
		return "", missingTool(t.name, t.configured)
	}
	return p, nil
}

// run runs the tool with args until it exits or ctx ends, returning its
// standard output. stdout, when not nil, receives the output as it comes
// instead. started, when not nil, is told of the process once it runs.
func (t tool) run(ctx context.Context, args []string, stdout func(io.Reader), started func(*os.Process)) ([]byte, error) {
	bin, err := t.resolve()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	// A killed tool's pipes close with it; never wait long for them.
	cmd.WaitDelay = 5 * time.Second
	stderr := &tail{max: 16 << 10}
	cmd.Stderr = stderr
	var out strings.Builder
	var pipe io.ReadCloser
	if stdout != nil {
		if pipe, err = cmd.StdoutPipe(); err != nil {
			return nil, err
		}
	} else {
		cmd.Stdout = &out
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return nil, missingTool(t.name, t.configured)
		}
		return nil, &toolError{Reason: fmt.Sprintf("%s could not start: %v", t.name, err)}
	}
	if started != nil {
		started(cmd.Process)
	}
	if pipe != nil {
		stdout(pipe)
		io.Copy(io.Discard, pipe) // whatever the reader left, so that the tool is never blocked
	}
	err = cmd.Wait()
	switch {
	case err == nil:
		return []byte(out.String()), nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, &toolError{TimedOut: true, Reason: fmt.Sprintf("%s did not finish in the time allowed and was stopped", t.name)}
	case ctx.Err() != nil:
		return nil, &toolError{Reason: fmt.Sprintf("%s was stopped: %v", t.name, context.Cause(ctx))}
	}
	reason := lastLines(stderr.String(), 3, 500)
	if reason == "" {
		reason = fmt.Sprintf("%s failed (%v) without saying why", t.name, err)
	}
	return nil, &toolError{Reason: reason}
}

// lastLines is the meaningful end of a tool's standard error: its last n
// non-blank lines, trimmed, joined with "; " and cut to at most max bytes
// (the end kept, since ffmpeg says what finally failed last).
func lastLines(s string, n, max int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	lines = lines[len(lines)-min(n, len(lines)):]
	out := strings.Join(lines, "; ")
	if len(out) > max {
		out = "…" + out[len(out)-max:]
	}
	return out
}

// tail keeps the last max bytes written to it: a tool's standard error can be
// long, and only its end says why the tool failed.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// readProgress reads ffmpeg's -progress output and calls report with how far
// into the input the transcode is at the end of each block. ffmpeg writes a
// block of key=value lines every stats period and a last one, "progress=end",
// when it is done; out_time_us is the position in microseconds, "N/A" before
// the first frame.
func readProgress(r io.Reader, report func(position time.Duration)) error {
	s := bufio.NewScanner(r)
	var position time.Duration
	for s.Scan() {
		key, value, ok := strings.Cut(s.Text(), "=")
		if !ok {
			continue
		}
		switch key {
		case "out_time_us":
			if us, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err == nil && us >= 0 {
				position = time.Duration(us) * time.Microsecond
			}
		case "progress":
			report(position)
		}
	}
	return s.Err()
}

// percentOf is how far position is into an input of the given duration, in
// whole percent from 0 to 100. An output can run a little past its input
// (encoder padding), which is still 100.
func percentOf(position, duration time.Duration) int {
	if duration <= 0 || position <= 0 {
		return 0
	}
	return int(min(100, position*100/duration))
}

// transcodeTimeout is how long ffmpeg may take over an input of the given
// duration: generous (ten times real time, plus two minutes to start and
// finish), so that only a stuck ffmpeg reaches it. An input whose duration
// ffprobe could not tell gets an hour.
func transcodeTimeout(duration time.Duration) time.Duration {
	if duration <= 0 {
		return time.Hour
	}
	return 2*time.Minute + 10*duration
}

// statsPeriod is how often ffmpeg reports progress: as often as the engine
// reports it, within what ffmpeg handles well.
func statsPeriod(interval time.Duration) string {
	p := min(max(interval, 20*time.Millisecond), 500*time.Millisecond)
	return strconv.FormatFloat(p.Seconds(), 'f', -1, 64)
}
