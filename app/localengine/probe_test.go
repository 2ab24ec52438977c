package localengine

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"transcoder/app/mediaconvert"
)

// probed is what ffprobe says of an interlaced H.264 video with a French
// AAC track and cover art, trimmed to the members the engine reads.
const probed = `{
  "streams": [
    {"index": 0, "codec_name": "h264", "codec_type": "video", "codec_tag_string": "avc1", "width": 1920, "height": 1080,
     "pix_fmt": "yuv420p10le", "field_order": "tt", "sample_aspect_ratio": "1:1", "r_frame_rate": "30000/1001",
     "disposition": {"attached_pic": 0}},
    {"index": 1, "codec_name": "aac", "codec_type": "audio", "sample_rate": "48000", "channels": 2,
     "tags": {"language": "fre"}},
    {"index": 2, "codec_name": "pcm_s24le", "codec_type": "audio", "sample_rate": "96000", "channels": 1},
    {"index": 3, "codec_name": "mjpeg", "codec_type": "video", "width": 600, "height": 600,
     "disposition": {"attached_pic": 1}}
  ],
  "format": {"duration": "95.200000"}
}`

func TestInputDetailDescribesStreamsInMediaConvertsTerms(t *testing.T) {
	var m media
	if err := json.Unmarshal([]byte(probed), &m); err != nil {
		t.Fatal(err)
	}
	want := mediaconvert.InputDetail{
		ID: 1, URI: "s3://in/film.mov", DurationInMs: 95200,
		Audio: []mediaconvert.AudioDetail{
			{Channels: 2, Codec: "AAC", Language: "FRE", SampleRate: 48000, StreamID: 2},
			{Channels: 1, Codec: "PCM", Language: "UND", SampleRate: 96000, StreamID: 3},
		},
		Video: []mediaconvert.VideoDetail{{
			BitDepth: 10, Codec: "H_264", ColorFormat: "YUV_420", FourCC: "avc1", FrameRate: 29.97, Height: 1080,
			InterlaceMode: "TOP_FIELD", Sar: "1:1", Standard: "UNSPECIFIED", StreamID: 1, Width: 1920,
		}},
	}
	if got := m.InputDetail("s3://in/film.mov"); !reflect.DeepEqual(got, want) {
		t.Errorf("InputDetail =\n%+v\nwant\n%+v", got, want)
	}
	if !m.HasAudio() {
		t.Error("HasAudio = false for a file with two audio streams")
	}
}

func TestDurationFallsBackToTheLongestStream(t *testing.T) {
	tests := []struct {
		name, probed string
		want         time.Duration
	}{
		{"the container's duration comes first", `{"format":{"duration":"2.5"},"streams":[{"duration":"9"}]}`, 2500 * time.Millisecond},
		{"else the longest stream's", `{"format":{},"streams":[{"duration":"1.25"},{"duration":"2"}]}`, 2 * time.Second},
		{"else it is unknown", `{"format":{"duration":"N/A"},"streams":[{}]}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m media
			if err := json.Unmarshal([]byte(tt.probed), &m); err != nil {
				t.Fatal(err)
			}
			if got := m.Duration(); got != tt.want {
				t.Errorf("Duration = %v, want %v", got, tt.want)
			}
		})
	}
}
