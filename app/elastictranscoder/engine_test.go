package elastictranscoder_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awselastictranscoder "github.com/aws/aws-sdk-go-v2/service/elastictranscoder"

	"transcoder/app/elastictranscoder"
	"transcoder/app/internal/awstest"
	"transcoder/app/internal/enginetest"
	"transcoder/app/jobs"
	"transcoder/app/presets"
)

const (
	region   = enginetest.Region
	pipeline = "1716990000000-pl9x2q"
	// createdID is the id the stand-in Elastic Transcoder gives every job.
	createdID = "1717412400318-k8d2s1"
)

var config = elastictranscoder.EngineConfig{PipelineID: pipeline}

// createdAnswer is CreateJob's answer, cut down to what a client reads.
const createdAnswer = `{"Job":{"Id":"` + createdID + `","PipelineId":"` + pipeline + `","Status":"Submitted"}}`

// clientFor returns a real Elastic Transcoder client that sends to the
// stand-in, signing with static credentials.
func clientFor(r *awstest.Server) *awselastictranscoder.Client {
	return awselastictranscoder.New(awselastictranscoder.Options{
		Region:       region,
		BaseEndpoint: aws.String(r.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

// newEngine returns an engine talking to a stand-in that answers with
// status, header and body.
func newEngine(t *testing.T, status int, header http.Header, body string) (*elastictranscoder.Engine, *awstest.Server) {
	t.Helper()
	r := awstest.NewServer(t, status, header, body)
	return engineFor(t, r), r
}

// engineFor returns an engine whose client sends to r.
func engineFor(t *testing.T, r *awstest.Server) *elastictranscoder.Engine {
	t.Helper()
	e, err := elastictranscoder.NewEngine(clientFor(r), config)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e
}

// wantOutput is the output each preset must become: its file under the
// preset's folder, made by the system preset that matches it.
var wantOutput = map[string]string{
	"wav":  `{"Key":"wav/song.final.wav","PresetId":"1351620000001-300300"}`,
	"flac": `{"Key":"flac/song.final.flac","PresetId":"1351620000001-300110"}`,
	"aac":  `{"Key":"aac/song.final.m4a","PresetId":"1351620000001-100110"}`,
	"mp3":  `{"Key":"mp3/song.final.mp3","PresetId":"1351620000001-300020"}`,
}

// wantBody is the whole CreateJob request for enginetest.Request(t, names...).
func wantBody(t *testing.T, names ...string) map[string]any {
	t.Helper()
	outputs := make([]string, len(names))
	for i, n := range names {
		outputs[i] = wantOutput[n]
	}
	doc := `{
		"PipelineId":"` + pipeline + `",
		"Input":{"Key":"uploads/alice/song.final.wav"},
		"OutputKeyPrefix":"jobs/job-1/",
		"Outputs":[` + strings.Join(outputs, ",") + `],
		"UserMetadata":{"transcoderJobId":"job-1","owner":"alice"}}`
	var body map[string]any
	if err := json.Unmarshal([]byte(doc), &body); err != nil {
		t.Fatalf("the expected body is not JSON: %v", err)
	}
	return body
}

func TestAnOutputPrefixAtTheBucketsRootSendsNoOutputKeyPrefix(t *testing.T) {
	e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)
	req := enginetest.Request(t, "mp3")
	req.OutputPrefix = "s3://media-out/"
	if _, err := e.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	body := rec.Only().Body
	if v, ok := body["OutputKeyPrefix"]; ok {
		t.Errorf("OutputKeyPrefix is %q, want none", v)
	}
	if want := []any{map[string]any{"Key": "mp3/song.final.mp3", "PresetId": "1351620000001-300020"}}; !reflect.DeepEqual(body["Outputs"], want) {
		t.Errorf("Outputs are %s, want %s", enginetest.Indent(body["Outputs"]), enginetest.Indent(want))
	}
}

// TestTheJobsNotificationsNameItsOutputsAtOutputURI plays the job's
// COMPLETED notification back from what CreateJob was sent, as the pipeline
// would publish it, through the package's own Decoder.
func TestTheJobsNotificationsNameItsOutputsAtOutputURI(t *testing.T) {
	inputs := []string{
		"s3://media-in/song.wav",
		"s3://media-in/uploads/alice/song.final.wav",
		"s3://media-in/uploads/alice/no-extension",
		"s3://media-in/uploads/alice/Dreams (live).mp3",
	}
	decoder, err := elastictranscoder.NewDecoder("media-out")
	if err != nil {
		t.Fatal(err)
	}
	for _, input := range inputs {
		t.Run(input, func(t *testing.T) {
			e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)
			req := enginetest.Request(t, presets.Names()...)
			req.Input = input
			if _, err := e.Start(context.Background(), req); err != nil {
				t.Fatalf("Start: %v", err)
			}
			var sent struct {
				OutputKeyPrefix string
				Outputs         []struct{ Key, PresetId string }
				UserMetadata    map[string]string
			}
			b, _ := json.Marshal(rec.Only().Body)
			if err := json.Unmarshal(b, &sent); err != nil {
				t.Fatal(err)
			}
			var outputs []string
			for _, o := range sent.Outputs {
				outputs = append(outputs, fmt.Sprintf(`{"key":%q,"presetId":%q,"status":"Complete","duration":3}`, o.Key, o.PresetId))
			}
			meta, _ := json.Marshal(sent.UserMetadata)
			notification := fmt.Sprintf(`{"state":"COMPLETED","version":"2012-09-25","jobId":%q,"pipelineId":%q,
				"outputKeyPrefix":%q,"outputs":[%s],"userMetadata":%s}`,
				createdID, pipeline, sent.OutputKeyPrefix, strings.Join(outputs, ","), meta)

			u, err := decoder.Decode([]byte(notification), time.Now())
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if u.JobID != "job-1" {
				t.Errorf("the notification is for job %q, want job-1", u.JobID)
			}
			if len(u.Outputs) != len(req.Presets) {
				t.Fatalf("the notification names %d outputs, want %d", len(u.Outputs), len(req.Presets))
			}
			for i, p := range req.Presets {
				if got, want := u.Outputs[i].URI, jobs.OutputURI(req.OutputPrefix, input, p); got != want {
					t.Errorf("%s output is at %q, want jobs.OutputURI %q", p.Name, got, want)
				}
			}
		})
	}
}

func TestNewEngineRefusesWhatIsNotAPipelineID(t *testing.T) {
	tests := []struct{ name, id string }{
		{"no pipeline id", ""},
		{"the pipeline's name", "transcoder-legacy"},
		{"the pipeline's ARN", "arn:aws:elastictranscoder:eu-west-1:123456789012:pipeline/" + pipeline},
		{"an id cut short", "1716990000000-pl9x2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewServer(t, http.StatusCreated, nil, createdAnswer)

			e, err := elastictranscoder.NewEngine(clientFor(rec), elastictranscoder.EngineConfig{PipelineID: tt.id})
			if err == nil {
				t.Fatalf("NewEngine accepted pipeline id %q", tt.id)
			}
			if e != nil {
				t.Errorf("NewEngine returned an engine with its error")
			}
			var cfgErr *elastictranscoder.ConfigError
			if !errors.As(err, &cfgErr) || cfgErr.Field != "PipelineID" {
				t.Errorf("error %v is not a ConfigError about PipelineID", err)
			}
			for _, s := range []string{"PipelineID", "13 digits, a hyphen and 6 letters or digits"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if n := rec.Count(); n != 0 {
				t.Errorf("Elastic Transcoder received %d requests", n)
			}
		})
	}
}

func TestNewEngineRefusesNoClient(t *testing.T) {
	if _, err := elastictranscoder.NewEngine(nil, config); err == nil {
		t.Error("NewEngine accepted a nil client")
	}
}

func TestTheEnginePassesTheSuiteOfEveryAWSEngine(t *testing.T) {
	enginetest.Run(t, enginetest.Service{
		Name:        "Elastic Transcoder",
		SigningName: "elastictranscoder",
		JobsPath:    "/2012-09-25/jobs",
		Created:     createdAnswer,
		CreatedID:   createdID,
		NewEngine:   func(t *testing.T, r *awstest.Server) enginetest.Engine { return engineFor(t, r) },
		WantBody:    wantBody,
		Failures: []enginetest.Failure{
			{Name: "a ValidationException", Status: http.StatusBadRequest,
				Header: http.Header{"X-Amzn-Errortype": {"ValidationException"}},
				Body:   `{"message":"The specified pipeline is not active"}`, Code: "ValidationException", Want: "pipeline is not active"},
			{Name: "a ResourceNotFoundException", Status: http.StatusNotFound,
				Header: http.Header{"X-Amzn-Errortype": {"ResourceNotFoundException"}},
				Body:   `{"message":"The specified pipeline was not found"}`, Code: "ResourceNotFoundException", Want: "not found"},
			{Name: "an answer without a job id", Status: http.StatusCreated, Body: `{"Job":{}}`, Want: "without a job id"},
		},
		Refusals: []enginetest.Refusal{
			{Name: "a preset no system preset makes", Change: func(r *jobs.StartRequest) {
				r.Presets = []presets.Preset{{Name: "opus", Codec: "opus", Extension: ".opus", SampleRate: 48000, Channels: 2}}
			}, Want: `"opus" has no Elastic Transcoder system preset`},
			{Name: "a preset whose settings are not its system preset's", Change: func(r *jobs.StartRequest) {
				p := r.Presets[0]
				p.Bitrate = 320000
				r.Presets = []presets.Preset{p}
			}, Want: "is not what system preset 1351620000001-300020 makes"},
			{Name: "an input key S3 would refuse", Change: func(r *jobs.StartRequest) { r.Input = "s3://media-in/uploads/../secret.wav" },
				Want: `key has a ".." path segment`},
			{Name: "an output prefix S3 would refuse", Change: func(r *jobs.StartRequest) { r.OutputPrefix = "s3://media-out/jobs//job-1/" },
				Want: "prefix has an empty path segment"},
			{Name: "more metadata than Elastic Transcoder keeps", Change: func(r *jobs.StartRequest) {
				for i := range 10 {
					r.Metadata[fmt.Sprint("k", i)] = "v"
				}
			}, Want: "12 entries: Elastic Transcoder takes at most 10"},
		},
		IsRequestError: func(err error) bool {
			var reqErr *elastictranscoder.RequestError
			return errors.As(err, &reqErr)
		},
	})
}
