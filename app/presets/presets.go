// Package presets describes, once and as data, the outputs a job can ask for.
// Each engine translates a Preset into its own terms (MediaConvert output
// settings, an Elastic Transcoder system preset, ffmpeg arguments); nothing
// here knows any engine.
package presets

import (
	"fmt"
	"slices"
	"strings"
)

// Codec is an audio coding format.
type Codec string

// The codecs the presets use.
const (
	PCM  Codec = "pcm"
	FLAC Codec = "flac"
	AAC  Codec = "aac"
	MP3  Codec = "mp3"
)

// Preset is one kind of output file.
type Preset struct {
	// Name is how API clients ask for the preset.
	Name        string `json:"name"`
	Description string `json:"description"`
	Codec       Codec  `json:"codec"`
	// Container is the file format: wav, flac, mp4 or mp3.
	Container string `json:"container"`
	// Extension is the output file's extension, with its dot.
	Extension   string `json:"extension"`
	ContentType string `json:"contentType"`
	SampleRate  int    `json:"sampleRate"`
	Channels    int    `json:"channels"`
	// BitDepth is bits per sample for lossless codecs, else 0.
	BitDepth int `json:"bitDepth,omitempty"`
	// Bitrate is bits per second for lossy codecs, else 0.
	Bitrate int `json:"bitrate,omitempty"`
}

// all are the seed's three outputs plus MP3, in the order they are offered.
var all = []Preset{
	{Name: "wav", Description: "WAV, PCM 44.1 kHz 16-bit", Codec: PCM, Container: "wav", Extension: ".wav", ContentType: "audio/wav", SampleRate: 44100, Channels: 2, BitDepth: 16},
	{Name: "flac", Description: "FLAC, lossless 44.1 kHz 16-bit", Codec: FLAC, Container: "flac", Extension: ".flac", ContentType: "audio/flac", SampleRate: 44100, Channels: 2, BitDepth: 16},
	{Name: "aac", Description: "AAC 256 kbit/s in MP4 (.m4a)", Codec: AAC, Container: "mp4", Extension: ".m4a", ContentType: "audio/mp4", SampleRate: 44100, Channels: 2, Bitrate: 256000},
	{Name: "mp3", Description: "MP3 192 kbit/s", Codec: MP3, Container: "mp3", Extension: ".mp3", ContentType: "audio/mpeg", SampleRate: 44100, Channels: 2, Bitrate: 192000},
}

// All returns every preset, in the order they are offered.
func All() []Preset { return slices.Clone(all) }

// Names returns every preset's name.
func Names() []string {
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Name
	}
	return names
}

// Lookup returns the preset called name.
func Lookup(name string) (Preset, bool) {
	for _, p := range all {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// Resolve turns the names a client asked for into presets, in the order
// asked, refusing an empty list, an unknown name or a repeated one with a
// message that lists what is allowed.
func Resolve(names []string) ([]Preset, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("no presets: ask for one or more of %s", strings.Join(Names(), ", "))
	}
	out := make([]Preset, 0, len(names))
	for _, n := range names {
		p, ok := Lookup(n)
		if !ok {
			return nil, fmt.Errorf("unknown preset %q: use %s", n, strings.Join(Names(), ", "))
		}
		if slices.ContainsFunc(out, func(q Preset) bool { return q.Name == n }) {
			return nil, fmt.Errorf("preset %q is asked for twice", n)
		}
		out = append(out, p)
	}
	return out, nil
}

// ByExtension returns the preset whose outputs have extension ext (with its
// dot); every preset's extension is its own, so an output file tells its
// preset.
func ByExtension(ext string) (Preset, bool) {
	for _, p := range all {
		if p.Extension == ext {
			return p, true
		}
	}
	return Preset{}, false
}
