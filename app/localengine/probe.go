package localengine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"transcoder/app/mediaconvert"
)

// probeTimeout bounds one ffprobe run, which reads only what it needs of a
// file to describe it.
const probeTimeout = 2 * time.Minute

// inputFormats are the only containers ffprobe and ffmpeg may read an input
// as. Formats that name other files (HLS and other playlists, concat lists,
// image sequences) are left out: an uploaded playlist must not make the
// engine read files of the machine into a user's output.
const inputFormats = "wav,w64,aiff,caf,flac,mp3,aac,ogg,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,asf,avi,mpegts,amr"

// media is what ffprobe says of a file (-show_format -show_streams, JSON).
type media struct {
	Streams []stream `json:"streams"`
	Format  struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

type stream struct {
	Index            int    `json:"index"`
	CodecType        string `json:"codec_type"`
	CodecName        string `json:"codec_name"`
	CodecTagString   string `json:"codec_tag_string"`
	SampleRate       string `json:"sample_rate"`
	Channels         int    `json:"channels"`
	Width            int    `json:"width"`
	Height           int    `json:"height"`
	PixFmt           string `json:"pix_fmt"`
	RFrameRate       string `json:"r_frame_rate"`
	FieldOrder       string `json:"field_order"`
	SampleAspect     string `json:"sample_aspect_ratio"`
	BitsPerRawSample string `json:"bits_per_raw_sample"`
	Duration         string `json:"duration"`
	Disposition      struct {
		AttachedPic int `json:"attached_pic"`
	} `json:"disposition"`
	Tags struct {
		Language string `json:"language"`
	} `json:"tags"`
}

// probe describes the media file at path.
func probe(ctx context.Context, ffprobe tool, path string) (*media, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	out, err := ffprobe.run(ctx, []string{"-hide_banner", "-v", "error", "-format_whitelist", inputFormats, "-protocol_whitelist", "file",
		"-print_format", "json", "-show_format", "-show_streams", path}, nil, nil)
	if err != nil {
		return nil, err
	}
	var m media
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, &toolError{Reason: fmt.Sprintf("ffprobe wrote what is not JSON: %v", err)}
	}
	return &m, nil
}

// Duration is the file's duration: the container's, else its longest
// stream's; zero when neither is known.
func (m *media) Duration() time.Duration {
	if d := seconds(m.Format.Duration); d > 0 {
		return d
	}
	var longest time.Duration
	for _, s := range m.Streams {
		longest = max(longest, seconds(s.Duration))
	}
	return longest
}

// HasAudio reports whether the file has an audio stream to transcode.
func (m *media) HasAudio() bool {
	for _, s := range m.Streams {
		if s.CodecType == "audio" {
			return true
		}
	}
	return false
}

func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// InputDetail describes the file, at uri, in the terms of MediaConvert's
// INPUT_INFORMATION event: its duration, and each audio and video stream with
// MediaConvert's names for codecs and formats. Cover art (a picture attached
// to an audio file) is not a video stream.
func (m *media) InputDetail(uri string) mediaconvert.InputDetail {
	in := mediaconvert.InputDetail{ID: 1, URI: uri, DurationInMs: m.Duration().Milliseconds()}
	for _, s := range m.Streams {
		switch {
		case s.CodecType == "audio":
			rate, _ := strconv.Atoi(s.SampleRate)
			in.Audio = append(in.Audio, mediaconvert.AudioDetail{
				Channels:   s.Channels,
				Codec:      codecName(s.CodecName, audioCodecs),
				Language:   language(s.Tags.Language),
				SampleRate: rate,
				StreamID:   s.Index + 1,
			})
		case s.CodecType == "video" && s.Disposition.AttachedPic == 0:
			in.Video = append(in.Video, mediaconvert.VideoDetail{
				BitDepth:      bitDepth(s),
				Codec:         codecName(s.CodecName, videoCodecs),
				ColorFormat:   colorFormat(s.PixFmt),
				FourCC:        s.CodecTagString,
				FrameRate:     frameRate(s.RFrameRate),
				Height:        s.Height,
				InterlaceMode: interlaceMode(s.FieldOrder),
				Sar:           sar(s.SampleAspect),
				Standard:      "UNSPECIFIED",
				StreamID:      s.Index + 1,
				Width:         s.Width,
			})
		}
	}
	return in
}

// audioCodecs and videoCodecs map ffprobe's codec names to MediaConvert's;
// any other codec is reported by its ffprobe name in upper case.
var (
	audioCodecs = map[string]string{
		"aac": "AAC", "mp3": "MP3", "mp2": "MP2", "flac": "FLAC", "opus": "OPUS",
		"vorbis": "VORBIS", "ac3": "AC3", "eac3": "EAC3", "alac": "ALAC",
	}
	videoCodecs = map[string]string{
		"h264": "H_264", "hevc": "H_265", "mpeg2video": "MPEG2", "prores": "PRORES",
		"vp8": "VP8", "vp9": "VP9", "av1": "AV1", "mjpeg": "MJPEG",
	}
)

func codecName(ffprobe string, known map[string]string) string {
	if name, ok := known[ffprobe]; ok {
		return name
	}
	if strings.HasPrefix(ffprobe, "pcm_") {
		return "PCM"
	}
	return strings.ToUpper(ffprobe)
}

func language(tag string) string {
	if tag == "" {
		return "UND"
	}
	return strings.ToUpper(tag)
}

// bitDepth is a video stream's bits per sample: ffprobe's count where it has
// one, else read from the pixel format (yuv420p10le is 10), else 8.
func bitDepth(s stream) int {
	if n, err := strconv.Atoi(s.BitsPerRawSample); err == nil && n > 0 {
		return n
	}
	for _, n := range []int{16, 14, 12, 10, 9} {
		if strings.Contains(s.PixFmt, "p"+strconv.Itoa(n)) {
			return n
		}
	}
	return 8
}

func colorFormat(pixFmt string) string {
	for _, f := range []string{"420", "422", "444", "411", "440"} {
		if strings.HasPrefix(pixFmt, "yuv"+f) || strings.HasPrefix(pixFmt, "yuvj"+f) {
			return "YUV_" + f
		}
	}
	return strings.ToUpper(pixFmt)
}

// frameRate evaluates ffprobe's rational frame rate (30000/1001) to three
// decimals (29.97).
func frameRate(r string) float64 {
	num, den, ok := strings.Cut(r, "/")
	if !ok {
		den = "1"
	}
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if err1 != nil || err2 != nil || d == 0 || math.IsNaN(n/d) || math.IsInf(n/d, 0) {
		return 0
	}
	return math.Round(n/d*1000) / 1000
}

func interlaceMode(fieldOrder string) string {
	switch fieldOrder {
	case "tt", "tb":
		return "TOP_FIELD"
	case "bb", "bt":
		return "BOTTOM_FIELD"
	}
	return "PROGRESSIVE"
}

func sar(aspect string) string {
	if aspect == "" || aspect == "0:1" || aspect == "N/A" {
		return "1:1"
	}
	return aspect
}
