package failures

import (
	"regexp"
	"strings"
	"time"
)

// signs are what engines write for each reason, lower case, in the order
// they are tried: the first reason with a sign in a message wins. The
// service's faults come first ("ffmpeg not found" is not a missing upload),
// then what stopped a job, then the most specific account of the file.
var signs = []struct {
	reason Reason
	says   []string
}{
	{Service, []string{
		// the local engine's tools
		"ffmpeg not found", "ffprobe not found", "could not start", "apt-get install ffmpeg",
		"unknown encoder", "encoder not found",
		// storage refusing the service, or a bucket that is not there
		"access denied", "accessdenied", "permission denied", "forbidden",
		"nosuchbucket", "bucket does not exist", "read-only", "no space left",
	}},
	{Interrupted, []string{
		"interrupted by a restart", "did not finish", "was stopped",
	}},
	{NoAudio, []string{
		"has no audio stream", "does not contain any stream", "matches no streams", "no audio",
	}},
	{Unsupported, []string{
		"decoder (codec", "not found for input stream", "unknown decoder", "unsupported codec",
		"codec not currently supported", "not supported by this decoder", "unsupported format",
	}},
	{Truncated, []string{
		"moov atom not found", "partial file", "unexpected end of file", "end of file", "truncat",
	}},
	{Unreadable, []string{
		"invalid data found", "header missing", "failed to read frame size", "could not seek to",
		"error setting option time_base", "could not find codec parameters", "can't find parser",
		"cannot find parser",
	}},
	{Missing, []string{
		"nosuchkey", "no such key", "no such file", "does not exist", "input does not exist",
	}},
}

// Classify reads an engine's message (ffmpeg's or ffprobe's standard error,
// or the text of a MediaConvert or Elastic Transcoder error) for what kind
// of failure it describes; Unknown when it recognises nothing.
func Classify(message string) Reason {
	m := strings.ToLower(message)
	if m == "" {
		return Unknown
	}
	for _, s := range signs {
		for _, sign := range s.says {
			if strings.Contains(m, sign) {
				return s.reason
			}
		}
	}
	return Unknown
}

// span is a duration as time.Duration writes it: 1h12m, 30m, 2.5s, 300ms.
const span = `(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|h|m|s))+`

// The lengths in a too-long failure as transcoder words it ("this file is
// 1h12m long; this service takes files up to 30m", "longer than the 30m this
// service takes"), in time.Duration's notation.
var (
	lengthIs = regexp.MustCompile(`(?i)\bis (` + span + `) long\b`)
	limitIs  = regexp.MustCompile(`(?i)(?:\bup to|\bthan the) (` + span + `)`)
)

// tooLong words a too-long failure with the file's length and the limit
// when the message states them; what it copies is only two durations, each
// parsed and written out again.
func tooLong(message string) (string, bool) {
	limit, ok := duration(limitIs, message)
	if !ok {
		return "", false
	}
	if length, ok := duration(lengthIs, message); ok {
		return "This file is " + length + " long; this service takes files up to " + limit + ". Trim it or split it, then upload again.", true
	}
	return "This file is longer than the " + limit + " this service takes. Trim it or split it, then upload again.", true
}

// duration finds the duration re captures in message, written as
// time.Duration writes it without trailing zero units (1h12m, 30m, 2.5s).
func duration(re *regexp.Regexp, message string) (string, bool) {
	m := re.FindStringSubmatch(message)
	if m == nil {
		return "", false
	}
	d, err := time.ParseDuration(m[1])
	if err != nil || d <= 0 {
		return "", false
	}
	s := d.String()
	if rest, ok := strings.CutSuffix(s, "m0s"); ok {
		s = rest + "m"
	}
	if rest, ok := strings.CutSuffix(s, "h0m"); ok {
		s = rest + "h"
	}
	return s, true
}
