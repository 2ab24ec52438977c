package elastictranscoder

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"transcoder/app/internal/enginetest"
	"transcoder/app/jobs"
)

// snsTime stands for the SNS Timestamp that dates a notification.
var snsTime = time.Date(2024, 6, 3, 11, 20, 0, 123e6, time.UTC)

var decoder = Decoder{OutputBucket: "blog-transcoded"}

// podcast returns what every notification of job-01HZY0A1 says, with its two
// outputs in the given (normalised) status.
func podcast(state jobs.State, status string, seconds int64) jobs.Update {
	return jobs.Update{
		JobID:       "job-01HZY0A1",
		EngineJobID: "1717412400318-k8d2s1",
		Engine:      jobs.ElasticTranscoder,
		At:          snsTime,
		State:       state,
		Input:       &jobs.Input{Details: map[string]any{"key": "uploads/2024/06/podcast-ep12.wav"}},
		Outputs: []jobs.Output{
			{URI: "s3://blog-transcoded/transcoded/job-01HZY0A1/podcast-ep12.mp3", Preset: "1351620000001-300040", Status: status, DurationMS: seconds * 1000},
			{URI: "s3://blog-transcoded/transcoded/job-01HZY0A1/podcast-ep12.m4a", Preset: "1351620000001-100141", Status: status, DurationMS: seconds * 1000},
		},
		Metadata: map[string]string{jobs.MetadataJobID: "job-01HZY0A1"},
	}
}

func TestDecodeReadsEveryState(t *testing.T) {
	completed := podcast(jobs.Complete, "COMPLETE", 1843)
	completed.Progress = 100
	warned := podcast(jobs.Progressing, "PROGRESSING", 0)
	warned.Outputs[1].Status = "WARNING"
	warned.Warnings = []jobs.Warning{{Message: "The input has fewer audio channels than the preset asks for; the output was encoded in mono."}}

	tests := []struct {
		name    string
		fixture string
		want    jobs.Update
	}{
		{"PROGRESSING moves the job to PROGRESSING and lists its outputs", "progressing.json", podcast(jobs.Progressing, "PROGRESSING", 0)},
		{"WARNING keeps the job PROGRESSING and adds the warning of the output in warning", "warning.json", warned},
		{"COMPLETED completes the job with outputs in the output bucket, presets and durations", "completed.json", completed},
		{"COMPLETED with outputs spelled Completed, no prefix and no correlation id", "completed_spelled_out.json", jobs.Update{
			JobID: "1717413000774-f3h6r0", EngineJobID: "1717413000774-f3h6r0", Engine: jobs.ElasticTranscoder,
			At: snsTime, State: jobs.Complete, Progress: 100,
			Input: &jobs.Input{Details: map[string]any{"key": "temp/uploads/1/3120/m/2051"}},
			Outputs: []jobs.Output{{
				URI: "s3://blog-transcoded/uploads/1/3120/m/2051", Preset: "1351620000001-000050",
				DurationMS: 12480, Status: "COMPLETE",
			}},
		}},
		{"ERROR fails the job with the job's code and message", "error.json", jobs.Update{
			JobID: "job-01HZY3F7", EngineJobID: "1717416600402-m1t7w5", Engine: jobs.ElasticTranscoder,
			At: snsTime, State: jobs.Failed,
			Input: &jobs.Input{Details: map[string]any{"key": "uploads/2024/06/podcast-ep13.wav"}},
			Outputs: []jobs.Output{{
				URI: "s3://blog-transcoded/transcoded/job-01HZY3F7/podcast-ep13.mp3", Preset: "1351620000001-300040", Status: "ERROR",
			}},
			Error:    &jobs.Failure{Code: "3002", Message: "Output Already Exists"},
			Metadata: map[string]string{jobs.MetadataJobID: "job-01HZY3F7"},
		}},
		{"ERROR without a job error takes the failed output's code and detail", "error_in_output_only.json", jobs.Update{
			JobID: "job-01HZY4K9", EngineJobID: "1717417200915-c5v9n3", Engine: jobs.ElasticTranscoder,
			At: snsTime, State: jobs.Failed,
			Input: &jobs.Input{Details: map[string]any{"key": "uploads/2024/06/voice-memo.amr"}},
			Outputs: []jobs.Output{{
				URI: "s3://blog-transcoded/transcoded/job-01HZY4K9/voice-memo.mp3", Preset: "1351620000001-300040", Status: "ERROR",
			}},
			Error: &jobs.Failure{
				Code:    "4000",
				Message: "4000 0d7b3e5a-2c9f-4a61-8e04-b6f1c3d8a927: Amazon Elastic Transcoder could not interpret the media file.",
			},
			Metadata: map[string]string{jobs.MetadataJobID: "job-01HZY4K9"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := decoder.Decode(enginetest.Fixture(t, tt.fixture), snsTime)
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

func TestDecodeNormalisesOutputStatusInAnyCasing(t *testing.T) {
	tests := []struct{ status, want string }{
		{"Complete", "COMPLETE"},
		{"Completed", "COMPLETE"},
		{"COMPLETED", "COMPLETE"},
		{"Progressing", "PROGRESSING"},
		{"progressing", "PROGRESSING"},
		{"Submitted", "SUBMITTED"},
		{"Error", "ERROR"},
		{"Canceled", "CANCELED"},
		{"Warning", "WARNING"},
		{"Paused", "PAUSED"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			message := `{"state":"PROGRESSING","jobId":"j","pipelineId":"p","outputs":[{"key":"a.mp4","status":"` + tt.status + `"}]}`
			u, err := decoder.Decode([]byte(message), snsTime)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := u.Outputs[0].Status; got != tt.want {
				t.Errorf("output status %q became %q, want %q", tt.status, got, tt.want)
			}
		})
	}
}

func TestDecodeNamesTheFilesASegmentedJobWrites(t *testing.T) {
	// Each notification is a COMPLETED job under the prefix "v/", its
	// outputs and playlists as Elastic Transcoder reports them.
	const (
		job    = `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputKeyPrefix":"v/",`
		bucket = "s3://blog-transcoded/v/"
	)
	tests := []struct {
		name    string
		members string // outputs and playlists
		want    []string
	}{
		{"an HLSv3 job: its master playlist, then each output's own playlist",
			`"outputs":[{"key":"hls-400k","segmentDuration":10.0},{"key":"hls-1m","segmentDuration":10.0}],
			"playlists":[{"name":"master","format":"HLSv3","outputKeys":["hls-400k","hls-1m"]}]}`,
			[]string{"master.m3u8", "hls-400k.m3u8", "hls-1m.m3u8"}},
		{"an HLSv4 job: each output's playlist ends in _v4.m3u8",
			`"outputs":[{"key":"a","segmentDuration":"6"}],"playlists":[{"name":"m","format":"HLSv4","outputKeys":["a"]}]}`,
			[]string{"m.m3u8", "a_v4.m3u8"}},
		{"a Smooth job: the .ism and .ismc manifests, and each output as its key",
			`"outputs":[{"key":"a.ismv","segmentDuration":"2"}],"playlists":[{"name":"m","format":"Smooth","outputKeys":["a.ismv"]}]}`,
			[]string{"m.ism", "m.ismc", "a.ismv"}},
		{"a segmented output in no playlist has a playlist of its own",
			`"outputs":[{"key":"alone","segmentDuration":10}]}`, []string{"alone.m3u8"}},
		{"an output without a segment duration is its key, beside a playlist",
			`"outputs":[{"key":"a","segmentDuration":5},{"key":"full.mp4"}],"playlists":[{"name":"m","format":"HLSv3","outputKeys":["a"]}]}`,
			[]string{"m.m3u8", "a.m3u8", "full.mp4"}},
		{"a zero segment duration is no segment duration",
			`"outputs":[{"key":"a.mp4","segmentDuration":"0"}]}`, []string{"a.mp4"}},
		{"a playlist in a sub-folder of the prefix keeps its folder",
			`"outputs":[{"key":"a","segmentDuration":10}],"playlists":[{"name":"hls/master","format":"HLSv3","outputKeys":["a"]}]}`,
			[]string{"hls/master.m3u8", "a.m3u8"}},
		{"an MPEG-DASH playlist, whose file name is not documented, is left out",
			`"outputs":[{"key":"a.mp4","segmentDuration":10}],"playlists":[{"name":"m","format":"MPEG-DASH","outputKeys":["a.mp4"]}]}`,
			[]string{"a.mp4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := decoder.Decode([]byte(job+tt.members), snsTime)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var got []string
			for _, o := range u.Outputs {
				got = append(got, strings.TrimPrefix(o.URI, bucket))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("outputs = %q, want %q under %s", got, tt.want, bucket)
			}
		})
	}
}

func TestDecodeKeepsWhatEachFileOfASegmentedJobSays(t *testing.T) {
	message := `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputKeyPrefix":"v/",
		"outputs":[{"key":"a","presetId":"1351620000001-200050","segmentDuration":10.0,"status":"Complete","duration":6}],
		"playlists":[{"name":"m","format":"HLSv3","outputKeys":["a"],"status":"Complete"}]}`
	u, err := decoder.Decode([]byte(message), snsTime)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := []jobs.Output{
		{URI: "s3://blog-transcoded/v/m.m3u8", Status: "COMPLETE"},
		{URI: "s3://blog-transcoded/v/a.m3u8", Preset: "1351620000001-200050", DurationMS: 6000, Status: "COMPLETE"},
	}
	if !reflect.DeepEqual(u.Outputs, want) {
		t.Errorf("Outputs = %+v, want %+v", u.Outputs, want)
	}
}

func TestDecodeWarningWithoutOutputInWarningWarnsForTheJob(t *testing.T) {
	message := `{"state":"WARNING","errorCode":"1001","messageDetails":"Dependency Error","jobId":"j","pipelineId":"p"}`
	u, err := decoder.Decode([]byte(message), snsTime)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := []jobs.Warning{{Code: "1001", Message: "Dependency Error"}}
	if u.State != jobs.Progressing || !reflect.DeepEqual(u.Warnings, want) {
		t.Errorf("Decode = %s, want PROGRESSING with %v", enginetest.Show(u), want)
	}
}

func TestDecodeRejectsAnInvalidNotification(t *testing.T) {
	enginetest.Rejects(t, decoder.Decode, func(err error) (string, bool) {
		var invalid *InvalidNotificationError
		if !errors.As(err, &invalid) {
			return "", false
		}
		return invalid.Reason, true
	}, []enginetest.Invalid{
		{Name: "a notification without a job id", Message: `{"state":"COMPLETED","pipelineId":"p"}`, Reason: "jobId is missing"},
		{Name: "a state Elastic Transcoder does not have", Message: `{"state":"CANCELED","jobId":"j","pipelineId":"p"}`, Reason: `"CANCELED"`},
		{Name: "outputs that are not a list", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputs":{"key":"a"}}`, Reason: "outputs"},
		{Name: "a duration that is not a number", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputs":[{"key":"a","duration":"12"}]}`, Reason: "duration"},
		{Name: "a negative duration", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputs":[{"key":"a","duration":-1}]}`, Reason: "negative duration"},
		{Name: "a duration too long to count in milliseconds", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputs":[{"key":"a","duration":9223372036854776}]}`, Reason: "outputs[0].duration"},
		{Name: "a segment duration that is not a number", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputs":[{"key":"a","segmentDuration":"ten"}]}`, Reason: "ten"},
		{Name: "a negative segment duration", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputs":[{"key":"a","segmentDuration":-2}]}`, Reason: "outputs[0].segmentDuration"},
		{Name: "playlists that are not a list", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p","playlists":{"name":"m"}}`, Reason: "playlists"},
		{Name: "user metadata that is not text", Message: `{"state":"COMPLETED","jobId":"j","pipelineId":"p","userMetadata":{"n":1}}`, Reason: "userMetadata"},
	})
}

func TestDecodeIgnoresWhatIsNotANotification(t *testing.T) {
	enginetest.Ignores(t, decoder.Decode, ErrNotNotification,
		enginetest.Message{Name: "an object without a pipeline", Message: `{"state":"COMPLETED","jobId":"j"}`},
		enginetest.Message{Name: "an object without a state", Message: `{"jobId":"j","pipelineId":"p"}`},
		enginetest.Message{Name: "a MediaConvert event", Message: `{"source":"aws.mediaconvert","detail-type":"MediaConvert Job State Change","detail":{"jobId":"j","status":"COMPLETE"}}`},
	)
}

func TestNewDecoderRefusesWhatIsNotABucketName(t *testing.T) {
	for _, bucket := range []string{"", "s3://blog-transcoded", "blog-transcoded/prefix", "blog transcoded"} {
		if d, err := NewDecoder(bucket); err == nil {
			t.Errorf("NewDecoder(%q) = %+v, want an error", bucket, d)
		}
	}
	d, err := NewDecoder("blog-transcoded")
	if err != nil || d.OutputBucket != "blog-transcoded" {
		t.Errorf("NewDecoder(blog-transcoded) = %+v, %v", d, err)
	}
}

func TestDecodeByAZeroDecoderIsAConfigurationError(t *testing.T) {
	_, err := Decoder{}.Decode(enginetest.Fixture(t, "completed.json"), snsTime)
	if !errors.Is(err, ErrNoOutputBucket) {
		t.Errorf("Decode = %v, want ErrNoOutputBucket", err)
	}
}
