package jobs_test

import (
	"testing"

	"transcoder/app/jobs"
	"transcoder/app/presets"
)

func TestOutputURIIsThePresetFolderWithTheInputsBaseName(t *testing.T) {
	flac, _ := presets.Lookup("flac")
	tests := []struct{ prefix, input, want string }{
		{"s3://out/j1/", "s3://in/uploads/u1/song.final.wav", "s3://out/j1/flac/song.final.flac"},
		{"s3://out/j1/", "s3://in/noext", "s3://out/j1/flac/noext.flac"},
		{"s3://out/j1/", "s3://in/.hidden", "s3://out/j1/flac/.hidden.flac"},
	}
	for _, tt := range tests {
		if got := jobs.OutputURI(tt.prefix, tt.input, flac); got != tt.want {
			t.Errorf("OutputURI(%q, %q) = %q, want %q", tt.prefix, tt.input, got, tt.want)
		}
	}
}
