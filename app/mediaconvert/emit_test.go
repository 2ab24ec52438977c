package mediaconvert

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"transcoder/app/internal/enginetest"
	"transcoder/app/jobs"
)

// emitter is the job every round-trip event is about.
var emitter = Emitter{
	JobID:        "1717405800112-7dq4mb",
	Account:      "111122223333",
	Region:       "eu-west-1",
	Queue:        "arn:aws:mediaconvert:eu-west-1:111122223333:queues/Default",
	UserMetadata: storyMetadata,
}

// emittedAt dates every round-trip event, with milliseconds to keep.
var emittedAt = time.Date(2024, 6, 3, 9, 15, 2, 417_000_000, time.UTC)

// richInput has an audio and a video stream, so that its event has every
// member the documented example has.
var richInput = InputDetail{
	ID: 1, URI: "s3://in/uploads/interview.mov", DurationInMs: 95200,
	Audio: []AudioDetail{{Channels: 2, Codec: "AAC", Language: "UND", SampleRate: 48000, StreamID: 2}},
	Video: []VideoDetail{{
		BitDepth: 8, Codec: "H_264", ColorFormat: "YUV_420", FourCC: "avc1", FrameRate: 29.97,
		Height: 1080, InterlaceMode: "PROGRESSIVE", Sar: "1:1", Standard: "UNSPECIFIED", StreamID: 1, Width: 1920,
	}},
}

func TestEmittedEventsDecodeIntoTheUpdateTheyDescribe(t *testing.T) {
	withInput := story(jobs.Progressing, emittedAt)
	withInput.Input = &jobs.Input{
		URI: "s3://in/uploads/interview.mov", DurationMS: 95200,
		Details: map[string]any{
			"id": 1.0, "uri": "s3://in/uploads/interview.mov", "durationInMs": 95200.0,
			"audio": []any{map[string]any{
				"channels": 2.0, "codec": "AAC", "language": "UND", "sampleRate": 48000.0, "streamId": 2.0,
			}},
			"video": []any{map[string]any{
				"bitDepth": 8.0, "codec": "H_264", "colorFormat": "YUV_420", "fourCC": "avc1",
				"frameRate": 29.97, "height": 1080.0, "interlaceMode": "PROGRESSIVE", "sar": "1:1",
				"standard": "UNSPECIFIED", "streamId": 1.0, "width": 1920.0,
			}},
		},
	}
	progress := story(jobs.Progressing, emittedAt)
	progress.Progress = 64
	complete := story(jobs.Complete, emittedAt)
	complete.Progress = 100
	complete.Outputs = []jobs.Output{
		{URI: "s3://out/j/flac/interview.flac", DurationMS: 95209},
		{URI: "s3://out/j/mp3/interview.mp3", DurationMS: 95236},
	}
	complete.Warnings = []jobs.Warning{{Code: "240000", Count: 2}}
	failed := story(jobs.Failed, emittedAt)
	failed.Error = &jobs.Failure{Code: "1010", Message: "Unable to open input file [s3://in/broken.mov]: [Failed probe/open: [Invalid data found when processing input]]"}

	tests := []struct {
		name string
		// documented is the fixture, from the User Guide's example of the
		// same status, whose member names the event must use.
		documented string
		// optional are members of the documented example that an event
		// about this job rightly lacks (video-only and streaming-only ones).
		optional []string
		render   func() ([]byte, error)
		want     jobs.Update
	}{
		{
			name: "a PROGRESSING event starts the job", documented: "progressing.json",
			render: func() ([]byte, error) { return emitter.Progressing(emittedAt) },
			want:   story(jobs.Progressing, emittedAt),
		},
		{
			name: "an INPUT_INFORMATION event describes the input and its streams", documented: "input_information.json",
			render: func() ([]byte, error) { return emitter.InputInformation(emittedAt, richInput) },
			want:   withInput,
		},
		{
			name: "a STATUS_UPDATE event reports the job's percent complete", documented: "status_update.json",
			render: func() ([]byte, error) {
				return emitter.StatusUpdate(emittedAt, Progress{Phase: Transcoding, PhasePercent: 62, JobPercent: 64, FramesDecoded: 1812})
			},
			want: progress,
		},
		{
			name: "a COMPLETE event lists every output with its duration and the warnings summary", documented: "complete.json",
			optional: []string{"videoDetails", "blackVideoDurationInMs", "playlistFilePaths"},
			render: func() ([]byte, error) {
				return emitter.Complete(emittedAt, []OutputDetail{
					{OutputFilePaths: []string{"s3://out/j/flac/interview.flac"}, DurationInMs: 95209},
					{OutputFilePaths: []string{"s3://out/j/mp3/interview.mp3"}, DurationInMs: 95236},
				}, []WarningCount{{Code: "240000", Count: 2}})
			},
			want: complete,
		},
		{
			name: "an ERROR event fails the job with its numeric code and message", documented: "error.json",
			render: func() ([]byte, error) {
				return emitter.Error(emittedAt, ErrorInput, "Unable to open input file [s3://in/broken.mov]: [Failed probe/open: [Invalid data found when processing input]]")
			},
			want: failed,
		},
		{
			name: "a CANCELED event cancels the job", documented: "canceled.json",
			render: func() ([]byte, error) { return emitter.Canceled(emittedAt) },
			want:   story(jobs.Canceled, emittedAt),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			message, err := tt.render()
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			u, err := Decode(message, snsTime)
			if err != nil {
				t.Fatalf("Decode: %v\n%s", err, message)
			}
			if !reflect.DeepEqual(*u, tt.want) {
				t.Errorf("Decode =\n%s\nwant\n%s", enginetest.Show(u), enginetest.Show(&tt.want))
			}

			documented := memberPaths(t, enginetest.Fixture(t, tt.documented))
			ours := memberPaths(t, message)
			for _, p := range ours {
				if !slices.Contains(documented, p) {
					t.Errorf("member %s is not in the documented event %s", p, tt.documented)
				}
			}
			for _, p := range documented {
				if !slices.Contains(ours, p) && !slices.ContainsFunc(tt.optional, func(o string) bool { return strings.Contains(p, o) }) {
					t.Errorf("the documented member %s is missing", p)
				}
			}
		})
	}
}

// memberPaths lists the member names of a JSON document as dotted paths,
// arrays as [], leaving out the keys of userMetadata, which are the user's.
func memberPaths(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				p := prefix + "." + k
				if !slices.Contains(paths, p) {
					paths = append(paths, p)
				}
				if k != "userMetadata" {
					walk(p, child)
				}
			}
		case []any:
			for _, child := range v {
				walk(prefix+"[]", child)
			}
		}
	}
	walk("", v)
	slices.Sort(paths)
	return paths
}

func TestEmittedEnvelopeIsEventBridges(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	ids := map[string]bool{}
	for range 3 {
		message, err := emitter.Progressing(emittedAt)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Version, ID, Source, Account, Time, Region string
			DetailType                                 string `json:"detail-type"`
			Resources                                  []string
			Detail                                     struct {
				Timestamp int64
				AccountID string
			}
		}
		if err := json.Unmarshal(message, &env); err != nil {
			t.Fatal(err)
		}
		want := []string{"0", "aws.mediaconvert", "MediaConvert Job State Change", "111122223333", "eu-west-1", "2024-06-03T09:15:02Z", "111122223333"}
		got := []string{env.Version, env.Source, env.DetailType, env.Account, env.Region, env.Time, env.Detail.AccountID}
		if !slices.Equal(got, want) {
			t.Errorf("envelope %v, want %v", got, want)
		}
		if !slices.Equal(env.Resources, []string{"arn:aws:mediaconvert:eu-west-1:111122223333:jobs/1717405800112-7dq4mb"}) {
			t.Errorf("resources %v, want the job's ARN", env.Resources)
		}
		if env.Detail.Timestamp != emittedAt.UnixMilli() {
			t.Errorf("timestamp %d, want %d", env.Detail.Timestamp, emittedAt.UnixMilli())
		}
		if !uuid.MatchString(env.ID) || ids[env.ID] {
			t.Errorf("id %q is not a fresh version 4 UUID", env.ID)
		}
		ids[env.ID] = true
	}
}

func TestEmittedTimeIsUTCToTheSecond(t *testing.T) {
	local := time.FixedZone("CEST", 2*3600)
	message, err := emitter.Canceled(time.Date(2024, 6, 3, 11, 15, 2, 999_000_000, local))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(message), `"time":"2024-06-03T09:15:02Z"`) {
		t.Errorf("time is not UTC to the second: %s", message)
	}
}

func TestStatusUpdateReportsEveryPhase(t *testing.T) {
	tests := []struct {
		name  string
		phase Phase
		want  string
	}{
		{"while probing, transcoding and uploading are pending", Probing,
			`{"PROBING":{"status":"PROGRESSING","percentComplete":50},"TRANSCODING":{"status":"PENDING","percentComplete":0},"UPLOADING":{"status":"PENDING","percentComplete":0}}`},
		{"while transcoding, probing is complete", Transcoding,
			`{"PROBING":{"status":"COMPLETE","percentComplete":100},"TRANSCODING":{"status":"PROGRESSING","percentComplete":50},"UPLOADING":{"status":"PENDING","percentComplete":0}}`},
		{"while uploading, the rest is complete", Uploading,
			`{"PROBING":{"status":"COMPLETE","percentComplete":100},"TRANSCODING":{"status":"COMPLETE","percentComplete":100},"UPLOADING":{"status":"PROGRESSING","percentComplete":50}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			message, err := emitter.StatusUpdate(emittedAt, Progress{Phase: tt.phase, PhasePercent: 50, JobPercent: 40})
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				Detail struct {
					FramesDecoded *int64 `json:"framesDecoded"`
					JobProgress   struct {
						PhaseProgress json.RawMessage `json:"phaseProgress"`
						CurrentPhase  string          `json:"currentPhase"`
					} `json:"jobProgress"`
				} `json:"detail"`
			}
			if err := json.Unmarshal(message, &e); err != nil {
				t.Fatal(err)
			}
			if string(e.Detail.JobProgress.PhaseProgress) != tt.want || e.Detail.JobProgress.CurrentPhase != string(tt.phase) {
				t.Errorf("phaseProgress %s in phase %s, want %s", e.Detail.JobProgress.PhaseProgress, e.Detail.JobProgress.CurrentPhase, tt.want)
			}
			if e.Detail.FramesDecoded != nil {
				t.Errorf("an audio-only update reports %d frames decoded", *e.Detail.FramesDecoded)
			}
		})
	}
}

func TestEmitterRefusesWhatMediaConvertWouldNeverSend(t *testing.T) {
	noQueue := emitter
	noQueue.Queue = ""
	noID := emitter
	noID.JobID = ""
	tests := []struct {
		name   string
		render func() ([]byte, error)
		reason string
	}{
		{"an event without a job id", func() ([]byte, error) { return noID.Progressing(emittedAt) }, "Emitter.JobID"},
		{"an event without a queue", func() ([]byte, error) { return noQueue.Progressing(emittedAt) }, "Queue"},
		{"an event without a time", func() ([]byte, error) { return emitter.Progressing(time.Time{}) }, "after 1970"},
		{"input information about no input", func() ([]byte, error) { return emitter.InputInformation(emittedAt) }, "at least one input"},
		{"a progress report in an unknown phase", func() ([]byte, error) {
			return emitter.StatusUpdate(emittedAt, Progress{Phase: "ENCODING"})
		}, `"ENCODING"`},
		{"a progress report over 100 percent", func() ([]byte, error) {
			return emitter.StatusUpdate(emittedAt, Progress{Phase: Transcoding, JobPercent: 101})
		}, "outside 0-100"},
		{"a completion without outputs", func() ([]byte, error) { return emitter.Complete(emittedAt, nil, nil) }, "at least one output"},
		{"an error without a message", func() ([]byte, error) { return emitter.Error(emittedAt, ErrorUnknown, "") }, "a code and a message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			message, err := tt.render()
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("render = %s, %v; want an error mentioning %q", message, err, tt.reason)
			}
		})
	}
}

func TestNewJobIDHasMediaConvertsShape(t *testing.T) {
	shape := regexp.MustCompile(`^1717405800112-[a-z0-9]{6}$`)
	created := time.UnixMilli(1717405800112)
	seen := map[string]bool{}
	for range 100 {
		id := NewJobID(created)
		if !shape.MatchString(id) {
			t.Fatalf("NewJobID = %q, want the creation time in ms, a dash and six letters or digits", id)
		}
		if seen[id] {
			t.Fatalf("NewJobID returned %q twice", id)
		}
		seen[id] = true
	}
}
