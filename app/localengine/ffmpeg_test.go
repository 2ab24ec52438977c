package localengine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"transcoder/app/presets"
)

func TestOutputArgsTranslateEachPreset(t *testing.T) {
	common := []string{"-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1"}
	tests := []struct {
		preset string
		want   []string
	}{
		{"wav", []string{"-c:a", "pcm_s16le", "-ar", "44100", "-ac", "2", "-f", "wav"}},
		{"flac", []string{"-c:a", "flac", "-sample_fmt", "s16", "-ar", "44100", "-ac", "2", "-f", "flac"}},
		{"aac", []string{"-c:a", "aac", "-b:a", "256000", "-ar", "44100", "-ac", "2", "-f", "ipod", "-movflags", "+faststart"}},
		{"mp3", []string{"-c:a", "libmp3lame", "-b:a", "192000", "-ar", "44100", "-ac", "2", "-f", "mp3"}},
	}
	if len(tests) != len(presets.All()) {
		t.Fatalf("%d presets tested, %d offered: test them all", len(tests), len(presets.All()))
	}
	for _, tt := range tests {
		t.Run("the "+tt.preset+" preset", func(t *testing.T) {
			p, ok := presets.Lookup(tt.preset)
			if !ok {
				t.Fatalf("no preset %q", tt.preset)
			}
			got, err := OutputArgs(p)
			if err != nil {
				t.Fatal(err)
			}
			if want := append(slices.Clone(common), tt.want...); !slices.Equal(got, want) {
				t.Errorf("outputArgs =\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestOutputArgsRefuseWhatTheEngineCannotWrite(t *testing.T) {
	wav, _ := presets.Lookup("wav")
	mp3, _ := presets.Lookup("mp3")
	with := func(p presets.Preset, change func(*presets.Preset)) presets.Preset {
		change(&p)
		return p
	}
	tests := []struct {
		name   string
		preset presets.Preset
		reason string
	}{
		{"an unknown codec", with(wav, func(p *presets.Preset) { p.Codec = "opus" }), `codec "opus"`},
		{"an unsupported bit depth", with(wav, func(p *presets.Preset) { p.BitDepth = 12 }), "use 16 bits or 24 bits"},
		{"an unknown container", with(wav, func(p *presets.Preset) { p.Container = "ogg" }), `container "ogg"`},
		{"a lossy codec without a bitrate", with(mp3, func(p *presets.Preset) { p.Bitrate = 0 }), "needs a bitrate"},
		{"a lossless codec with a bitrate", with(wav, func(p *presets.Preset) { p.Bitrate = 128000 }), "not a bitrate"},
		{"no channels", with(wav, func(p *presets.Preset) { p.Channels = 0 }), "must both be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, err := OutputArgs(tt.preset)
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("outputArgs = %q, %v; want an error mentioning %q", args, err, tt.reason)
			}
		})
	}
}

func TestReadProgressReportsThePositionAtTheEndOfEachBlock(t *testing.T) {
	block := func(outTime, progress string) string {
		return "bitrate=N/A\ntotal_size=44\nout_time_us=" + outTime + "\nout_time_ms=" + outTime +
			"\nout_time=00:00:00.000000\nspeed=N/A\nprogress=" + progress + "\n"
	}
	tests := []struct {
		name   string
		output string
		want   []time.Duration
	}{
		{"one block per report", block("500000", "continue") + block("1500000", "continue") + block("2020136", "end"),
			[]time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 2020136 * time.Microsecond}},
		{"a position not yet known is zero", block("N/A", "continue") + block("250000", "end"),
			[]time.Duration{0, 250 * time.Millisecond}},
		{"a cut-off block is not reported", block("250000", "continue") + "out_time_us=900000\n",
			[]time.Duration{250 * time.Millisecond}},
		{"no output, no report", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []time.Duration
			if err := readProgress(strings.NewReader(tt.output), func(d time.Duration) { got = append(got, d) }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("reported %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPercentOfIsThePositionThroughTheInput(t *testing.T) {
	tests := []struct {
		name               string
		position, duration time.Duration
		want               int
	}{
		{"the start is 0", 0, 2 * time.Second, 0},
		{"a part is rounded down", 999 * time.Millisecond, 2 * time.Second, 49},
		{"the end is 100", 2 * time.Second, 2 * time.Second, 100},
		{"padding past the end is still 100", 2020 * time.Millisecond, 2 * time.Second, 100},
		{"an input of unknown duration makes no progress", time.Second, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentOf(tt.position, tt.duration); got != tt.want {
				t.Errorf("percentOf(%v, %v) = %d, want %d", tt.position, tt.duration, got, tt.want)
			}
		})
	}
}

func TestLastLinesKeepsTheMeaningfulEndOfStderr(t *testing.T) {
	tests := []struct {
		name, stderr, want string
	}{
		{"blank lines and spaces are dropped", "\n  first  \n\n second\n", "first; second"},
		{"only the last lines are kept", "a\nb\nc\nd\n", "b; c; d"},
		{"a long reason keeps its end", strings.Repeat("x", 600) + "\nthe cause", "…" + strings.Repeat("x", 489) + "; the cause"},
		{"nothing said is empty", "\n\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lastLines(tt.stderr, 3, 500); got != tt.want {
				t.Errorf("lastLines = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTranscodeTimeoutGrowsWithTheInput(t *testing.T) {
	tests := []struct {
		name     string
		duration time.Duration
		want     time.Duration
	}{
		{"a short input gets two minutes and ten times its length", 3 * time.Second, 2*time.Minute + 30*time.Second},
		{"an hour-long input gets ten hours and more", time.Hour, 10*time.Hour + 2*time.Minute},
		{"an input of unknown length gets an hour", 0, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := transcodeTimeout(tt.duration); got != tt.want {
				t.Errorf("transcodeTimeout(%v) = %v, want %v", tt.duration, got, tt.want)
			}
		})
	}
}
