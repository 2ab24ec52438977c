package presets_test

import (
	"strings"
	"testing"

	"transcoder/app/presets"
)

func TestThePresetsAreTheSeedsOutputsPlusMP3(t *testing.T) {
	want := map[string]string{"wav": ".wav", "flac": ".flac", "aac": ".m4a", "mp3": ".mp3"}
	for _, p := range presets.All() {
		if want[p.Name] != p.Extension {
			t.Errorf("%s has extension %q, want %q", p.Name, p.Extension, want[p.Name])
		}
		delete(want, p.Name)
		if (p.Bitrate == 0) == (p.BitDepth == 0) {
			t.Errorf("%s must have a bitrate (lossy) or a bit depth (lossless), not both or neither", p.Name)
		}
	}
	if len(want) != 0 {
		t.Fatalf("missing presets: %v", want)
	}
	if p, _ := presets.Lookup("aac"); p.Bitrate != 256000 || p.Container != "mp4" {
		t.Fatalf("aac is %+v, want 256 kbit/s in MP4", p)
	}
	if p, _ := presets.Lookup("wav"); p.SampleRate != 44100 || p.BitDepth != 16 {
		t.Fatalf("wav is %+v, want PCM 44.1 kHz 16-bit", p)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name  string
		in    []string
		want  int
		error string
	}{
		{"known names resolve in order", []string{"mp3", "wav"}, 2, ""},
		{"an empty list lists what is allowed", nil, 0, "wav, flac, aac, mp3"},
		{"an unknown name lists what is allowed", []string{"ogg"}, 0, `unknown preset "ogg": use wav, flac, aac, mp3`},
		{"a repeated name is refused", []string{"wav", "wav"}, 0, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := presets.Resolve(tt.in)
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("err = %v, want %q", err, tt.error)
				}
				return
			}
			if err != nil || len(got) != tt.want || got[0].Name != tt.in[0] {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

func TestEachPresetIsKnownByItsExtension(t *testing.T) {
	for _, p := range presets.All() {
		if got, ok := presets.ByExtension(p.Extension); !ok || got.Name != p.Name {
			t.Errorf("ByExtension(%q) = %v, %v; want %s", p.Extension, got.Name, ok, p.Name)
		}
	}
	if _, ok := presets.ByExtension(".ogg"); ok {
		t.Error("an unknown extension found a preset")
	}
}
