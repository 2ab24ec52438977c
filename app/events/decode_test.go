package events

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"transcoder/app/elastictranscoder"
	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
)

// The fixtures are the engine packages' own, so that each engine's message
// shapes are written down once.
const (
	mediaConvertData      = "../mediaconvert/testdata"
	elasticTranscoderData = "../elastictranscoder/testdata"
)

var (
	snsTime = time.Date(2024, 6, 3, 11, 20, 0, 0, time.UTC)
	legacy  = &elastictranscoder.Decoder{OutputBucket: "blog-transcoded"}
	both    = Decoder{ElasticTranscoder: legacy}
)

func fixture(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fixtures(t testing.TB, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func TestDecodeReadsAMediaConvertEventAsItsPackageDoes(t *testing.T) {
	for _, name := range fixtures(t, mediaConvertData) {
		t.Run(name, func(t *testing.T) {
			message := fixture(t, mediaConvertData, name)
			want, err := mediaconvert.Decode([]byte(message), snsTime)
			if err != nil {
				t.Fatalf("mediaconvert.Decode: %v", err)
			}
			for _, d := range []Decoder{{}, both} {
				got, err := d.Decode(message, snsTime)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Decode = %+v, want %+v", got, want)
				}
			}
		})
	}
}

func TestDecodeReadsAnElasticTranscoderNotificationAsItsPackageDoes(t *testing.T) {
	for _, name := range fixtures(t, elasticTranscoderData) {
		t.Run(name, func(t *testing.T) {
			message := fixture(t, elasticTranscoderData, name)
			want, err := legacy.Decode([]byte(message), snsTime)
			if err != nil {
				t.Fatalf("elastictranscoder.Decode: %v", err)
			}
			got, err := both.Decode(message, snsTime)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decode = %+v, want %+v", got, want)
			}
		})
	}
}

func TestDecodeIgnoresElasticTranscoderWhenItIsNotConfigured(t *testing.T) {
	for _, name := range fixtures(t, elasticTranscoderData) {
		u, err := Decoder{}.Decode(fixture(t, elasticTranscoderData, name), snsTime)
		if !errors.Is(err, ErrNotTranscoderEvent) {
			t.Errorf("%s: Decode = %v, %v; want ErrNotTranscoderEvent", name, u, err)
		}
	}
}

func TestDecodeIgnoresWhatIsNotATranscoderEvent(t *testing.T) {
	tests := []struct {
		name    string
		message string
	}{
		{"an empty message", ""},
		{"white space", " \n\t"},
		{"plain text", "Hello from the SNS console"},
		{"text that starts like JSON", "{not json"},
		{"JSON null", "null"},
		{"a JSON array", `[{"source":"aws.mediaconvert"}]`},
		{"a JSON string", `"COMPLETE"`},
		{"an empty object", `{}`},
		{"another service's EventBridge event", `{"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3",
			"time":"2024-06-03T09:15:02Z","detail":{"bucket":{"name":"blog-uploads-input"},"object":{"key":"a.mov"}}}`},
		{"MediaConvert's job engine event", `{"version":"0","detail-type":"Job Engine Version Added","source":"aws.mediaconvert",
			"detail":{"version":"2024-06-01"}}`},
		{"a MediaConvert API call through CloudTrail", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.mediaconvert",
			"detail":{"eventSource":"mediaconvert.amazonaws.com","eventName":"CreateJob"}}`},
		{"a job event with the detail-type of another", `{"detail-type":"MediaConvert Job State Change","source":"aws.mediaconverter",
			"detail":{"jobId":"j","status":"COMPLETE"}}`},
		{"a notification without a pipeline", `{"state":"COMPLETED","jobId":"j"}`},
		{"a notification whose state is not text", `{"state":1,"jobId":"j","pipelineId":"p"}`},
		{"a job event cut short", fixture(t, mediaConvertData, "complete.json")[:400]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := both.Decode(tt.message, snsTime)
			if !errors.Is(err, ErrNotTranscoderEvent) {
				t.Fatalf("Decode = %v, %v; want ErrNotTranscoderEvent", u, err)
			}
		})
	}
}

func TestDecodeRejectsARecognisableButInvalidEvent(t *testing.T) {
	const mc = `{"source":"aws.mediaconvert","detail-type":"MediaConvert Job State Change",`
	tests := []struct {
		name    string
		message string
		engine  jobs.Engine
		reason  string // a part of the Reason
	}{
		{"a MediaConvert event without a job id", mc + `"detail":{"timestamp":1,"status":"COMPLETE"}}`,
			jobs.MediaConvert, "jobId is missing"},
		{"a MediaConvert event with an unknown status", mc + `"detail":{"timestamp":1,"jobId":"j","status":"DONE"}}`,
			jobs.MediaConvert, `"DONE"`},
		{"a MediaConvert event whose detail comes first and is not an object", `{"detail":"COMPLETE",` + mc[1:] + `"time":"2024-06-03T09:15:02Z"}`,
			jobs.MediaConvert, "cannot unmarshal"},
		{"a MediaConvert event with progress of the wrong type", mc + `"detail":{"timestamp":1,"jobId":"j","status":"STATUS_UPDATE","jobProgress":{"jobPercentComplete":true}}}`,
			jobs.MediaConvert, "jobPercentComplete"},
		{"an Elastic Transcoder notification with an unknown state", `{"state":"PAUSED","jobId":"j","pipelineId":"p"}`,
			jobs.ElasticTranscoder, `"PAUSED"`},
		{"an Elastic Transcoder notification without a job id", `{"state":"COMPLETED","jobId":"","pipelineId":"p"}`,
			jobs.ElasticTranscoder, "jobId is missing"},
		{"an Elastic Transcoder notification with outputs of the wrong type", `{"state":"COMPLETED","jobId":"j","pipelineId":"p","outputs":"a.mp4"}`,
			jobs.ElasticTranscoder, "outputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := both.Decode(tt.message, snsTime)
			var invalid *InvalidEventError
			if !errors.As(err, &invalid) {
				t.Fatalf("Decode = %v, %v; want an *InvalidEventError", u, err)
			}
			if invalid.Engine != tt.engine || !strings.Contains(invalid.Reason, tt.reason) {
				t.Errorf("error = %+v, want engine %s and a reason mentioning %q", invalid, tt.engine, tt.reason)
			}
		})
	}
}

func TestDecodeSkipsWhiteSpaceBeforeTheObject(t *testing.T) {
	u, err := both.Decode("\r\n\t "+fixture(t, mediaConvertData, "progressing.json"), snsTime)
	if err != nil || u.State != jobs.Progressing {
		t.Errorf("Decode = %+v, %v", u, err)
	}
}

func TestDecodePassesOnAMisconfiguredDecoder(t *testing.T) {
	d := Decoder{ElasticTranscoder: &elastictranscoder.Decoder{}}
	_, err := d.Decode(fixture(t, elasticTranscoderData, "completed.json"), snsTime)
	if !errors.Is(err, elastictranscoder.ErrNoOutputBucket) {
		t.Errorf("Decode = %v, want the configuration error itself", err)
	}
}
