package failures_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"transcoder/app/failures"
	"transcoder/app/localengine"
	"transcoder/app/quotas"
)

// engineWords are what an engine writes and an owner must never read: a
// storage URI, a bucket, a memory address, ffmpeg's "[name @ 0x…]" prefixes.
var engineWords = regexp.MustCompile(`s3://|https?://|0x[0-9a-f]+|\[|@|transcoder-input|uploads/`)

func TestExplainTellsTheOwnerWhatHappenedInPlainWords(t *testing.T) {
	tooLong := (&quotas.Keeper{Limits: quotas.Limits{MaxInputDuration: 30 * time.Minute}}).CheckDuration(72 * time.Minute)
	if tooLong == nil {
		t.Fatal("quotas accepted a 72m input under a 30m limit")
	}
	tests := []struct {
		name                  string
		engine, code, message string
		want                  failures.Reason
		// says, when set, is the exact sentence; otherwise the reason's.
		says string
	}{
		{
			name:   "MediaConvert's input error for a container it cannot parse is an unreadable file",
			engine: failures.MediaConvert, code: "1010",
			message: "Unable to open input file [s3://amzn-s3-demo-bucket/VIDEO.MP4]: [Failed probe/open: [Can't find parser for container]]",
			want:    failures.Unreadable,
		},
		{
			name:   "MediaConvert's input error that only names the file is still the file's problem",
			engine: failures.MediaConvert, code: "1010", message: "Unable to open input file [s3://in/x.wav]",
			want: failures.Unreadable,
		},
		{
			name:   "MediaConvert's input error caused by a refused read is the service's fault",
			engine: failures.MediaConvert, code: "1010", message: "Unable to open input file [s3://in/x.wav]: [Access Denied]",
			want: failures.Service,
		},
		{name: "a missing audio stream asks for a file with sound", engine: failures.MediaConvert, code: "1021", want: failures.NoAudio},
		{name: "an unsupported codec asks for another export", engine: failures.MediaConvert, code: "1030", want: failures.Unsupported},
		{name: "a settings error is the service's, since it writes the settings", engine: failures.MediaConvert, code: "1040", message: "Example error message", want: failures.Service},
		{name: "a source read error is a file cut short", engine: failures.MediaConvert, code: "1076", want: failures.Truncated},
		{name: "a permissions issue is the service's fault, not the owner's", engine: failures.MediaConvert, code: "1401", message: "Access Denied", want: failures.Service},
		{name: "a failed S3 write is the service's fault", engine: failures.MediaConvert, code: "1517", message: "S3 write failed: Access Denied", want: failures.Service},
		{name: "a file that is not found asks for the upload again", engine: failures.MediaConvert, code: "1404", want: failures.Missing},
		{name: "an unknown MediaConvert error reads as the safe generic sentence", engine: failures.MediaConvert, code: "1999", message: "Unknown Error", want: failures.Unknown},
		{name: "an HTTP server error is the service's, which sends only S3 inputs", engine: failures.MediaConvert, code: "3450", want: failures.Service},
		{name: "an input disallowed by policy is the service's", engine: failures.MediaConvert, code: "3457", want: failures.Service},
		{name: "a code nobody documents reads as the safe generic sentence", engine: failures.MediaConvert, code: "7777", want: failures.Unknown},
		{name: "no code and no message reads as the safe generic sentence", want: failures.Unknown},
		{
			name:   "an engine known only from its events reads as MediaConvert",
			engine: "", code: "1030", want: failures.Unsupported,
		},
		{
			name:   "Elastic Transcoder's missing input asks for the upload again",
			engine: failures.ElasticTranscoder, code: "3001", message: "Input Does Not Exist", want: failures.Missing,
		},
		{
			name:   "Elastic Transcoder's bad input file is an unreadable file",
			engine: failures.ElasticTranscoder, code: "4000",
			message: "4000 0d7b3e5a-2c9f-4a61-8e04-b6f1c3d8a927: Amazon Elastic Transcoder could not interpret the media file.",
			want:    failures.Unreadable,
		},
		{name: "Elastic Transcoder's file over the size limit is too large", engine: failures.ElasticTranscoder, code: "4002", message: "Bad Input File", want: failures.TooLarge},
		{name: "Elastic Transcoder's unsupported format asks for another export", engine: failures.ElasticTranscoder, code: "4006", message: "Bad Input File", want: failures.Unsupported},
		{name: "Elastic Transcoder's role it cannot assume is the service's", engine: failures.ElasticTranscoder, code: "2000", message: "Cannot Assume Role", want: failures.Service},
		{
			name:   "Elastic Transcoder's 4010 is about album art, not the local engine's long input",
			engine: failures.ElasticTranscoder, code: "4010", message: "Bad Input File", want: failures.Service,
		},
		{name: "Elastic Transcoder's internal error is the service's", engine: failures.ElasticTranscoder, code: "9001", message: "Internal Service Error", want: failures.Service},
		{
			name:   "the local engine's input too long names the length and the limit",
			engine: failures.Local, code: "4010",
			message: "This file is 1h12m long; this service takes files up to 30m. Trim it or split it, then upload again.",
			want:    failures.TooLong,
			says:    "This file is 1h12m long; this service takes files up to 30m. Trim it or split it, then upload again.",
		},
		{
			name:   "the local engine's input longer than it says names the limit",
			engine: failures.Local, code: "4010",
			message: "This file plays for longer than it says, and longer than the 2.5s this service takes. Trim it or split it, then upload again.",
			want:    failures.TooLong,
			says:    "This file is longer than the 2.5s this service takes. Trim it or split it, then upload again.",
		},
		{
			name:   "the service's own input too long names the length and the limit, not its setting",
			engine: failures.MediaConvert, code: failures.InputTooLong, message: tooLong.Error(),
			want: failures.TooLong,
			says: "This file is 1h12m long; this service takes files up to 30m. Trim it or split it, then upload again.",
		},
		{
			name:   "an input too long whose message states no limit reads as the reason's sentence",
			engine: failures.MediaConvert, code: failures.InputTooLong, message: "too long",
			want: failures.TooLong,
		},
		{
			name:   "an engine that refused the job is the service's fault",
			engine: failures.Local, code: failures.StartFailed,
			message: "the transcoding engine refused the job: localengine: invalid request: preset \"ogg\" is not known",
			want:    failures.Service,
		},
		{
			name:   "a job interrupted by a restart asks to start it again",
			engine: failures.Local, code: "1999", message: localengine.Recovered,
			want: failures.Interrupted,
		},
		{
			name:   "a missing ffmpeg is the operator's problem",
			engine: failures.Local, code: "1999", message: "ffmpeg not found on PATH: install it (apt-get install ffmpeg)",
			want: failures.Service,
		},
		{
			name:   "a stuck ffmpeg stopped by its time limit asks to start again",
			engine: failures.Local, code: "1999",
			message: "ffmpeg did not finish [s3://in/a.wav] within 10m0s, for 3s of input: it is stuck or the machine is overloaded; submit the job again",
			want:    failures.Interrupted,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := failures.Explain(tt.engine, tt.code, tt.message)
			if got.Reason != tt.want {
				t.Errorf("reason %q, want %q (message %q)", got.Reason, tt.want, got.Message)
			}
			want := tt.says
			if want == "" {
				want = tt.want.Sentence()
			}
			if got.Message != want {
				t.Errorf("says %q, want %q", got.Message, want)
			}
			if engineWords.MatchString(got.Message) {
				t.Errorf("the owner's sentence %q carries the engine's words", got.Message)
			}
		})
	}
}

func TestEveryReasonHasItsOwnSentenceSayingWhatToDo(t *testing.T) {
	reasons := []failures.Reason{failures.Unreadable, failures.Unsupported, failures.NoAudio, failures.Truncated, failures.Missing,
		failures.TooLong, failures.TooLarge, failures.Interrupted, failures.Service, failures.Unknown}
	seen := map[string]failures.Reason{}
	for _, r := range reasons {
		s := r.Sentence()
		if prev, dup := seen[s]; dup {
			t.Errorf("%q and %q read the same: %q", prev, r, s)
		}
		seen[s] = r
		// What happened, then what to do: two sentences at least.
		if strings.Count(s, ". ")+strings.Count(s, "; ") < 1 || !strings.HasSuffix(s, ".") {
			t.Errorf("%q reads %q: want what happened and what to do", r, s)
		}
	}
	if got := failures.Reason("no such reason").Sentence(); got != failures.Unknown.Sentence() {
		t.Errorf("an unknown reason reads %q, want the generic sentence", got)
	}
}

func TestOnlyTheServicesFaultsAndTheUnexplainedAreTheOperators(t *testing.T) {
	tests := []struct {
		reason failures.Reason
		want   bool
	}{
		{failures.Service, true},
		{failures.Unknown, true},
		{failures.Unreadable, false},
		{failures.TooLong, false},
		{failures.Interrupted, false},
	}
	for _, tt := range tests {
		if got := tt.reason.Operator(); got != tt.want {
			t.Errorf("%q: operator's %v, want %v", tt.reason, got, tt.want)
		}
	}
}
