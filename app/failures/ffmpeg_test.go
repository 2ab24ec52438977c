package failures_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"transcoder/app/failures"
)

// requireFFmpeg skips a test on a machine without ffmpeg, and fails it in
// CI, which must run it; `make test` installs ffmpeg.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(`ffmpeg not found: run "make ci-deps" (apt-get install ffmpeg)`)
		}
		t.Skip(`ffmpeg not found: this test runs wherever ffmpeg is installed ("make ci-deps"), and always in CI`)
	}
}

// ffmpeg runs ffmpeg and returns its standard error, failing the test if it
// succeeded when it should not have (or the other way round).
func ffmpeg(t *testing.T, wantFail bool, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y"}, args...)...)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case wantFail && err == nil:
		t.Fatalf("ffmpeg %v succeeded; the test needs it to fail", args)
	case wantFail && !errors.As(err, &exit):
		t.Fatalf("ffmpeg %v did not run: %v", args, err)
	case !wantFail && err != nil:
		t.Fatalf("ffmpeg %v: %v: %s", args, err, stderr.String())
	}
	return stderr.String()
}

// write puts data in a file of the test's own folder.
func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noise is n bytes that are the same on every run.
func noise(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{'f', 'a', 'i', 'l', 'u', 'r', 'e', 's'})
	r.Read(b)
	return b
}

// tone makes a real file of a second of sound, written with ffmpeg's args.
func tone(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	ffmpeg(t, false, append(append([]string{"-f", "lavfi", "-i", "sine=d=1"}, args...), path)...)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unknownCodecWAV is a well-formed WAV file whose format tag names no codec
// ffmpeg decodes.
func unknownCodecWAV() []byte {
	var fmtChunk bytes.Buffer
	binary.Write(&fmtChunk, binary.LittleEndian, struct {
		Tag, Channels           uint16
		Rate, ByteRate          uint32
		BlockAlign, BitsPerSamp uint16
	}{0x7a7a, 1, 8000, 16000, 2, 16})
	data := bytes.Repeat([]byte{0, 1}, 8000)
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+fmtChunk.Len()+8+len(data)))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(fmtChunk.Len()))
	b.Write(fmtChunk.Bytes())
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

// TestFFmpegsOwnAccountOfABadFileIsReadRight runs real ffmpeg on real bad
// files, as the local engine does (the first audio stream to MP3), and
// reads what it wrote.
func TestFFmpegsOwnAccountOfABadFileIsReadRight(t *testing.T) {
	requireFFmpeg(t)
	tests := []struct {
		name  string
		input func(t *testing.T) string
		want  failures.Reason
	}{
		{
			name:  "random bytes named .mp3 are not audio we can read",
			input: func(t *testing.T) string { return write(t, "corrupt.mp3", noise(100_000)) },
			want:  failures.Unreadable,
		},
		{
			name:  "a few random bytes named .mp3 are not audio we can read",
			input: func(t *testing.T) string { return write(t, "short.mp3", noise(4000)) },
			want:  failures.Unreadable,
		},
		{
			name:  "a text file named .mp3 is not audio we can read",
			input: func(t *testing.T) string { return write(t, "notes.mp3", []byte("shopping list: milk, eggs\n")) },
			want:  failures.Unreadable,
		},
		{
			name: "an M4A cut off before its index is a file cut short",
			input: func(t *testing.T) string {
				whole := tone(t, "whole.m4a", "-c:a", "aac")
				return write(t, "cut.m4a", whole[:len(whole)/3])
			},
			want: failures.Truncated,
		},
		{
			name:  "a WAV of a codec nobody decodes is a format we can't convert",
			input: func(t *testing.T) string { return write(t, "odd.wav", unknownCodecWAV()) },
			want:  failures.Unsupported,
		},
		{
			name: "a film without sound has no audio to convert",
			input: func(t *testing.T) string {
				path := filepath.Join(t.TempDir(), "silent.mp4")
				ffmpeg(t, false, "-f", "lavfi", "-i", "testsrc=d=1:s=64x48", "-c:v", "mpeg4", path)
				return path
			},
			want: failures.NoAudio,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.input(t)
			stderr := ffmpeg(t, true, "-i", in, "-map", "0:a:0", "-c:a", "libmp3lame", "-b:a", "128k", filepath.Join(t.TempDir(), "out.mp3"))
			if got := failures.Classify(stderr); got != tt.want {
				t.Fatalf("ffmpeg said %q: read as %q, want %q", stderr, got, tt.want)
			}
			// As the local engine reports it: the job's URI for the work
			// file, in its transcode failure (MediaConvert's 1076).
			message := "Unable to transcode input file [s3://transcoder-input/uploads/s-x/f]: [" + strings.ReplaceAll(strings.TrimSpace(stderr), in, "s3://transcoder-input/uploads/s-x/f") + "]"
			e := failures.Explain(failures.Local, "1076", message)
			if e.Reason != tt.want {
				t.Errorf("the engine's failure %q explains as %q, want %q", message, e.Reason, tt.want)
			}
			if engineWords.MatchString(e.Message) {
				t.Errorf("the owner reads %q, which carries the engine's words", e.Message)
			}
		})
	}
}
