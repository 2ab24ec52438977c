package mediaconvert

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"transcoder/app/internal/enginetest"
	"transcoder/app/jobs"
)

// snsTime stands for the SNS Timestamp a caller passes as the fallback time.
var snsTime = time.Date(2024, 6, 3, 23, 59, 59, 0, time.UTC)

func ms(epochMillis int64) time.Time { return time.UnixMilli(epochMillis).UTC() }

// storyMetadata is the user metadata transcoder set on job-01HZX8K2.
var storyMetadata = map[string]string{
	jobs.MetadataJobID: "job-01HZX8K2",
	"upload":           "uploads/2024/06/interview.mov",
}

// story returns the update every event of job-01HZX8K2 shares.
func story(state jobs.State, at time.Time) jobs.Update {
	return jobs.Update{
		JobID:       "job-01HZX8K2",
		EngineJobID: "1717405800112-7dq4mb",
		Engine:      jobs.MediaConvert,
		At:          at,
		State:       state,
		Metadata:    storyMetadata,
	}
}

func TestDecodeReadsEveryStatus(t *testing.T) {
	withInput := story(jobs.Progressing, ms(1717406109886))
	withInput.Input = &jobs.Input{
		URI:        "s3://blog-uploads-input/uploads/2024/06/interview.mov",
		DurationMS: 95200,
		Details: map[string]any{
			"id":           1.0,
			"uri":          "s3://blog-uploads-input/uploads/2024/06/interview.mov",
			"durationInMs": 95200.0,
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
	progress7 := story(jobs.Progressing, ms(1717406165321))
	progress7.Progress = 7
	progress64 := story(jobs.Progressing, ms(1717406225708))
	progress64.Progress = 64
	warned := story(jobs.Progressing, ms(1717406200044))
	warned.Warnings = []jobs.Warning{{
		Code:    "240000",
		Message: "MediaConvert added at least 100 milliseconds of audio silence to keep audio and video in sync.",
	}}
	hopped := story(jobs.Submitted, ms(1717406098530))
	hopped.Queue = "arn:aws:mediaconvert:eu-west-1:111122223333:queues/Default"
	complete := story(jobs.Complete, ms(1717406311962))
	complete.Progress = 100
	complete.Outputs = []jobs.Output{
		{URI: "s3://blog-uploads-output/job-01HZX8K2/file/interview.mp4", DurationMS: 95209},
		{URI: "s3://blog-uploads-output/job-01HZX8K2/hls/interview.m3u8"},
		{URI: "s3://blog-uploads-output/job-01HZX8K2/hls/interview_1080p.m3u8", DurationMS: 95209},
		{URI: "s3://blog-uploads-output/job-01HZX8K2/hls/interview_540p.m3u8", DurationMS: 95209},
	}
	complete.Warnings = []jobs.Warning{{Code: "240000", Count: 2}}

	tests := []struct {
		name    string
		fixture string
		want    jobs.Update
	}{
		{"a SUBMITTED event submits the job", "submitted.json", story(jobs.Submitted, ms(1717405800112))},
		{"a QUEUE_HOP event reports the queue the job hopped to, still SUBMITTED", "queue_hop.json", hopped},
		{"a PROGRESSING event moves the job to PROGRESSING", "progressing.json", story(jobs.Progressing, ms(1717406102417))},
		{"an INPUT_INFORMATION event describes the input with its streams", "input_information.json", withInput},
		{"a STATUS_UPDATE event reports the job's percent complete", "status_update.json", progress7},
		{"a later STATUS_UPDATE event reports more progress", "status_update_later.json", progress64},
		{"a NEW_WARNING event adds its warning", "new_warning.json", warned},
		{"a COMPLETE event lists manifests and files, durations and the warnings summary", "complete.json", complete},
		{"an ERROR event fails the job with its code as a decimal string", "error.json", jobs.Update{
			JobID: "job-01HZXB7Q", EngineJobID: "1717409400530-k2j8vz", Engine: jobs.MediaConvert,
			At: ms(1717409407193), State: jobs.Failed,
			Error: &jobs.Failure{
				Code:    "1030",
				Message: "Unable to open input file [s3://blog-uploads-input/uploads/2024/06/broken.mov]: [Failed probe/open: [Failed to read data]]",
			},
			Metadata: map[string]string{jobs.MetadataJobID: "job-01HZXB7Q"},
		}},
		{"a CANCELED event cancels the job", "canceled.json", jobs.Update{
			JobID: "job-01HZXC4M", EngineJobID: "1717409700211-w3n5tp", Engine: jobs.MediaConvert,
			At: ms(1717409712650), State: jobs.Canceled,
			Metadata: map[string]string{jobs.MetadataJobID: "job-01HZXC4M"},
		}},
		{"an event without transcoder's job id in its metadata is filed under MediaConvert's id", "progressing_without_correlation.json", jobs.Update{
			JobID: "1717408955873-pq0c2x", EngineJobID: "1717408955873-pq0c2x", Engine: jobs.MediaConvert,
			At: ms(1717408961208), State: jobs.Progressing,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Decode(enginetest.Fixture(t, tt.fixture), snsTime)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(*u, tt.want) {
				t.Errorf("Decode =\n%s\nwant\n%s", enginetest.Show(u), enginetest.Show(&tt.want))
			}
			if err := u.Validate(); err != nil {
				t.Errorf("the update does not validate: %v", err)
			}
		})
	}
}

// event is a minimal job state change with the given detail members.
func event(detail string) string {
	return `{"source":"aws.mediaconvert","detail-type":"MediaConvert Job State Change","time":"2024-06-03T09:15:02Z","detail":{` + detail + `}}`
}

func TestDecodeDatesTheEvent(t *testing.T) {
	tests := []struct {
		name    string
		message string
		want    time.Time
	}{
		{"by MediaConvert's millisecond timestamp when there is one",
			event(`"timestamp":1717406102417,"jobId":"j","status":"PROGRESSING"`), ms(1717406102417)},
		{"by EventBridge's time when the detail has no timestamp",
			event(`"jobId":"j","status":"PROGRESSING"`), time.Date(2024, 6, 3, 9, 15, 2, 0, time.UTC)},
		{"by the caller's time when the event carries none",
			`{"source":"aws.mediaconvert","detail-type":"MediaConvert Job State Change","detail":{"jobId":"j","status":"PROGRESSING"}}`, snsTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Decode([]byte(tt.message), snsTime)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !u.At.Equal(tt.want) {
				t.Errorf("At = %v, want %v", u.At, tt.want)
			}
		})
	}
}

func TestDecodeToleratesFieldsItDoesNotKnow(t *testing.T) {
	// New members at every level, including inside the objects it reads.
	message := `{"source":"aws.mediaconvert","detail-type":"MediaConvert Job State Change","replay-name":"r1",
		"detail":{"timestamp":1717406165321,"jobId":"j","status":"STATUS_UPDATE","billingTier":{"a":[1,2]},
		"jobProgress":{"jobPercentComplete":40,"etaInMs":null},"outputGroupDetails":[{"future":true}]}}`
	u, err := Decode([]byte(message), snsTime)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if u.Progress != 40 || u.State != jobs.Progressing {
		t.Errorf("Decode = %s", enginetest.Show(u))
	}
}

func TestDecodeTakesCodesAsNumbersOrStrings(t *testing.T) {
	for _, code := range []string{`1030`, `"1030"`} {
		u, err := Decode([]byte(event(`"timestamp":1,"jobId":"j","status":"ERROR","errorCode":`+code)), snsTime)
		if err != nil {
			t.Fatalf("errorCode %s: %v", code, err)
		}
		if u.Error == nil || u.Error.Code != "1030" {
			t.Errorf("errorCode %s: Error = %+v, want code 1030", code, u.Error)
		}
	}
}

func TestDecodeTakesAWarningCodeAsAStringOrANumber(t *testing.T) {
	tests := []struct {
		name, code string // code as the JSON of warningCode
		want       string
	}{
		{"the string of zeros of the User Guide's example", `"000000"`, "000000"},
		{"a code as a string", `"240000"`, "240000"},
		{"a code as a number", `240000`, "240000"},
		{"a code that is not digits, kept as written", `"W-17"`, "W-17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Decode([]byte(event(`"timestamp":1,"jobId":"j","status":"NEW_WARNING","warningCode":`+tt.code+`,"warningMessage":"m"`)), snsTime)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := []jobs.Warning{{Code: tt.want, Message: "m"}}
			if u.State != jobs.Progressing || !reflect.DeepEqual(u.Warnings, want) {
				t.Errorf("Decode = %s; want PROGRESSING with warnings %+v", enginetest.Show(u), want)
			}
		})
	}
	t.Run("a null code is no code", func(t *testing.T) {
		u, err := Decode([]byte(event(`"timestamp":1,"jobId":"j","status":"NEW_WARNING","warningCode":null,"warningMessage":"m"`)), snsTime)
		if err != nil || !reflect.DeepEqual(u.Warnings, []jobs.Warning{{Message: "m"}}) {
			t.Errorf("Decode = %v, %v; want the warning without a code", u, err)
		}
	})
}

func TestAQueueHopRecordsTheQueueWithoutStartingTheJob(t *testing.T) {
	hop, err := Decode(enginetest.Fixture(t, "queue_hop.json"), snsTime)
	if err != nil {
		t.Fatal(err)
	}
	progressing, err := Decode(enginetest.Fixture(t, "progressing.json"), snsTime)
	if err != nil {
		t.Fatal(err)
	}
	const newQueue = "arn:aws:mediaconvert:eu-west-1:111122223333:queues/Default"
	tests := []struct {
		name    string
		before  []*jobs.Update // applied before the hop
		want    jobs.State
		history []jobs.State
	}{
		{"a job first heard of by its hop is SUBMITTED in its new queue", nil, jobs.Submitted, []jobs.State{jobs.Submitted}},
		{"a working job that hears of its hop late stays PROGRESSING", []*jobs.Update{progressing}, jobs.Progressing, []jobs.State{jobs.Progressing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := jobs.New(hop.JobID)
			for _, u := range tt.before {
				j.Apply(u)
			}
			recorded, _ := j.Apply(hop)
			if len(tt.before) > 0 && len(recorded) != 0 {
				t.Errorf("the hop recorded transitions %v", recorded)
			}
			var history []jobs.State
			for _, tr := range j.Transitions {
				history = append(history, tr.State)
			}
			if j.State != tt.want || j.Queue != newQueue || !reflect.DeepEqual(history, tt.history) {
				t.Errorf("job is %s in queue %q with transitions %v; want %s in %q with %v", j.State, j.Queue, history, tt.want, newQueue, tt.history)
			}
		})
	}
}

func TestDecodeListsAFileNamedTwiceOnce(t *testing.T) {
	u, err := Decode([]byte(event(`"timestamp":1,"jobId":"j","status":"COMPLETE","outputGroupDetails":[
		{"outputDetails":[{"outputFilePaths":["s3://b/a.mp4"],"durationInMs":1000},{"outputFilePaths":["s3://b/a.mp4"],"durationInMs":2000}]},
		{"playlistFilePaths":["s3://b/a.m3u8","s3://b/a.m3u8"],"outputDetails":[{"outputFilePaths":["s3://b/a.mp4"]}]}]`)), snsTime)
	if err != nil {
		t.Fatal(err)
	}
	want := []jobs.Output{{URI: "s3://b/a.mp4", DurationMS: 1000}, {URI: "s3://b/a.m3u8"}}
	if !reflect.DeepEqual(u.Outputs, want) {
		t.Errorf("Outputs = %+v, want %+v", u.Outputs, want)
	}
}

func TestDecodeRejectsAnInvalidJobEvent(t *testing.T) {
	enginetest.Rejects(t, Decode, func(err error) (string, bool) {
		var invalid *InvalidEventError
		if !errors.As(err, &invalid) {
			return "", false
		}
		return invalid.Reason, true
	}, []enginetest.Invalid{
		{Name: "an event without a job id", Message: event(`"timestamp":1,"status":"COMPLETE"`), Reason: "detail.jobId is missing"},
		{Name: "an event without a status", Message: event(`"timestamp":1,"jobId":"j"`), Reason: "detail.status is missing"},
		{Name: "an event with a status MediaConvert does not have", Message: event(`"timestamp":1,"jobId":"j","status":"PAUSED"`), Reason: `"PAUSED"`},
		{Name: "a job id that is not a string", Message: event(`"timestamp":1,"jobId":42,"status":"COMPLETE"`), Reason: "jobId"},
		{Name: "a detail that is not an object", Message: `{"source":"aws.mediaconvert","detail-type":"MediaConvert Job State Change","detail":[]}`, Reason: "cannot unmarshal"},
		{Name: "a percent complete that is not a number", Message: event(`"timestamp":1,"jobId":"j","status":"STATUS_UPDATE","jobProgress":{"jobPercentComplete":"7"}`), Reason: "jobPercentComplete"},
		{Name: "a percent complete above 100", Message: event(`"timestamp":1,"jobId":"j","status":"STATUS_UPDATE","jobProgress":{"jobPercentComplete":101}`), Reason: "outside 0-100"},
		{Name: "a negative timestamp", Message: event(`"timestamp":-5,"jobId":"j","status":"COMPLETE"`), Reason: "detail.timestamp"},
		{Name: "a time that is not RFC 3339", Message: `{"source":"aws.mediaconvert","detail-type":"MediaConvert Job State Change","time":"yesterday","detail":{"jobId":"j","status":"COMPLETE"}}`, Reason: "RFC 3339"},
		{Name: "an input uri that is not a string", Message: event(`"timestamp":1,"jobId":"j","status":"INPUT_INFORMATION","inputDetails":[{"uri":7}]`), Reason: "uri"},
		{Name: "an input duration that is not whole milliseconds", Message: event(`"timestamp":1,"jobId":"j","status":"INPUT_INFORMATION","inputDetails":[{"durationInMs":1.5}]`), Reason: "durationInMs"},
		{Name: "an error code that is not a number", Message: event(`"timestamp":1,"jobId":"j","status":"ERROR","errorCode":"E1030"`), Reason: "E1030"},
		{Name: "a warning code that is neither a string nor a number", Message: event(`"timestamp":1,"jobId":"j","status":"NEW_WARNING","warningCode":true`), Reason: "warningCode"},
	})
}

func TestDecodeIgnoresWhatIsNotAJobStateChange(t *testing.T) {
	enginetest.Ignores(t, Decode, ErrNotJobEvent,
		enginetest.Message{Name: "another MediaConvert event", Message: `{"source":"aws.mediaconvert","detail-type":"Job Engine Version Added","detail":{}}`},
		enginetest.Message{Name: "an Elastic Transcoder notification", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p"}`},
		enginetest.Message{Name: "truncated JSON of a job event", Message: event(`"jobId":"j","status":"COMPLETE"`)[:60]},
	)
}

func TestUpdateLeavesTheEventAsItWas(t *testing.T) {
	var e Event
	if err := json.Unmarshal(enginetest.Fixture(t, "input_information.json"), &e); err != nil {
		t.Fatal(err)
	}
	first, err := e.Update(snsTime)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.Update(snsTime)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("a second Update of the same event differs:\n%s\n%s", enginetest.Show(first), enginetest.Show(second))
	}
}
