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
	"github.com/aws/smithy-go"

	"transcoder/app/elastictranscoder"
	"transcoder/app/internal/awstest"
	"transcoder/app/jobs"
	"transcoder/app/presets"
)

const (
	region   = "eu-west-1"
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
	e, err := elastictranscoder.NewEngine(clientFor(r), config)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e, r
}

func request(t *testing.T, names ...string) jobs.StartRequest {
	t.Helper()
	ps := make([]presets.Preset, len(names))
	for i, n := range names {
		p, ok := presets.Lookup(n)
		if !ok {
			t.Fatalf("no preset %q", n)
		}
		ps[i] = p
	}
	return jobs.StartRequest{
		JobID:        "job-1",
		Input:        "s3://media-in/uploads/alice/song.final.wav",
		OutputPrefix: "s3://media-out/jobs/job-1/",
		Presets:      ps,
		Metadata:     map[string]string{jobs.MetadataJobID: "job-1", "owner": "alice"},
	}
}

// wantOutput is the output each preset must become: its file under the
// preset's folder, made by the system preset that matches it.
var wantOutput = map[string]string{
	"wav":  `{"Key":"wav/song.final.wav","PresetId":"1351620000001-300300"}`,
	"flac": `{"Key":"flac/song.final.flac","PresetId":"1351620000001-300110"}`,
	"aac":  `{"Key":"aac/song.final.m4a","PresetId":"1351620000001-100110"}`,
	"mp3":  `{"Key":"mp3/song.final.mp3","PresetId":"1351620000001-300020"}`,
}

// wantBody is the whole CreateJob request for request(t, names...).
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

func indent(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestStartSendsOneCreateJobWithAnOutputPerPresetInTheOrderAsked(t *testing.T) {
	tests := []struct {
		name    string
		presets []string
	}{
		{"every preset", []string{"wav", "flac", "aac", "mp3"}},
		{"one preset", []string{"flac"}},
		{"presets in another order", []string{"mp3", "aac"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)

			id, err := e.Start(context.Background(), request(t, tt.presets...))
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if id != createdID {
				t.Errorf("Start returned id %q, want Elastic Transcoder's %q", id, createdID)
			}
			got := rec.Only()
			if got.Method != http.MethodPost || got.Path != "/2012-09-25/jobs" {
				t.Errorf("request is %s %s, want POST /2012-09-25/jobs", got.Method, got.Path)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type is %q, want application/json", ct)
			}
			if auth := got.Header.Get("Authorization"); !strings.Contains(auth, "/"+region+"/elastictranscoder/aws4_request") {
				t.Errorf("Authorization %q is not a SigV4 signature for Elastic Transcoder in %s", auth, region)
			}
			if want := wantBody(t, tt.presets...); !reflect.DeepEqual(got.Body, want) {
				t.Errorf("CreateJob body is\n%s\nwant\n%s", indent(got.Body), indent(want))
			}
		})
	}
}

func TestAnOutputPrefixAtTheBucketsRootSendsNoOutputKeyPrefix(t *testing.T) {
	e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)
	req := request(t, "mp3")
	req.OutputPrefix = "s3://media-out/"
	if _, err := e.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	body := rec.Only().Body
	if v, ok := body["OutputKeyPrefix"]; ok {
		t.Errorf("OutputKeyPrefix is %q, want none", v)
	}
	if want := []any{map[string]any{"Key": "mp3/song.final.mp3", "PresetId": "1351620000001-300020"}}; !reflect.DeepEqual(body["Outputs"], want) {
		t.Errorf("Outputs are %s, want %s", indent(body["Outputs"]), indent(want))
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
			req := request(t, presets.Names()...)
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

func TestStartReportsAFailedCreateJobNamingTheOperationAndTheJob(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		header   http.Header
		body     string
		wantCode string
		want     string
	}{
		{"a ValidationException", http.StatusBadRequest,
			http.Header{"X-Amzn-Errortype": {"ValidationException"}},
			`{"message":"The specified pipeline is not active"}`, "ValidationException", "pipeline is not active"},
		{"a ResourceNotFoundException", http.StatusNotFound,
			http.Header{"X-Amzn-Errortype": {"ResourceNotFoundException"}},
			`{"message":"The specified pipeline was not found"}`, "ResourceNotFoundException", "not found"},
		{"an answer without a job id", http.StatusCreated, nil, `{"Job":{}}`, "", "without a job id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := newEngine(t, tt.status, tt.header, tt.body)

			id, err := e.Start(context.Background(), request(t, "flac"))
			if err == nil {
				t.Fatalf("Start returned id %q and no error", id)
			}
			if id != "" {
				t.Errorf("Start returned id %q with its error", id)
			}
			for _, s := range []string{"CreateJob", `"job-1"`, tt.want} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if tt.wantCode != "" {
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
					t.Errorf("error %v does not wrap the API's %s", err, tt.wantCode)
				}
			}
			rec.Only()
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

func TestStartRefusesAnInvalidRequestBeforeSendingIt(t *testing.T) {
	tests := []struct {
		name   string
		change func(*jobs.StartRequest)
		want   string
	}{
		{"no presets", func(r *jobs.StartRequest) { r.Presets = nil }, "no presets"},
		{"a preset asked for twice", func(r *jobs.StartRequest) { r.Presets = append(r.Presets, r.Presets[0]) }, "twice"},
		{"a preset no system preset makes", func(r *jobs.StartRequest) {
			r.Presets = []presets.Preset{{Name: "opus", Codec: "opus", Extension: ".opus", SampleRate: 48000, Channels: 2}}
		}, `"opus" has no Elastic Transcoder system preset`},
		{"a preset whose settings are not its system preset's", func(r *jobs.StartRequest) {
			p := r.Presets[0]
			p.Bitrate = 320000
			r.Presets = []presets.Preset{p}
		}, "is not what system preset 1351620000001-300020 makes"},
		{"an input that is not in S3", func(r *jobs.StartRequest) { r.Input = "https://example.com/song.wav" }, "not an S3 object"},
		{"an input without a bucket", func(r *jobs.StartRequest) { r.Input = "s3:///song.wav" }, "not an S3 object"},
		{"an input that is a folder", func(r *jobs.StartRequest) { r.Input = "s3://media-in/uploads/" }, "not an S3 object"},
		{"an output prefix that is not a folder", func(r *jobs.StartRequest) { r.OutputPrefix = "s3://media-out/jobs/job-1" }, "not an S3 folder"},
		{"an output prefix that is not in S3", func(r *jobs.StartRequest) { r.OutputPrefix = "jobs/job-1/" }, "not an S3 folder"},
		{"an input key S3 would refuse", func(r *jobs.StartRequest) { r.Input = "s3://media-in/uploads/../secret.wav" }, `key has a ".." path segment`},
		{"an output prefix S3 would refuse", func(r *jobs.StartRequest) { r.OutputPrefix = "s3://media-out/jobs//job-1/" }, "prefix has an empty path segment"},
		{"no correlation id", func(r *jobs.StartRequest) { delete(r.Metadata, jobs.MetadataJobID) }, "no " + jobs.MetadataJobID},
		{"no metadata at all", func(r *jobs.StartRequest) { r.Metadata = nil }, "no " + jobs.MetadataJobID},
		{"a correlation id of another job", func(r *jobs.StartRequest) { r.Metadata[jobs.MetadataJobID] = "job-2" }, `is not the request's JobID "job-1"`},
		{"more metadata than Elastic Transcoder keeps", func(r *jobs.StartRequest) {
			for i := range 10 {
				r.Metadata[fmt.Sprint("k", i)] = "v"
			}
		}, "12 entries: Elastic Transcoder takes at most 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)
			req := request(t, "mp3")
			tt.change(&req)

			id, err := e.Start(context.Background(), req)
			if err == nil {
				t.Fatalf("Start accepted the request and returned %q", id)
			}
			var reqErr *elastictranscoder.RequestError
			if !errors.As(err, &reqErr) {
				t.Errorf("error %v is not a RequestError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if n := rec.Count(); n != 0 {
				t.Errorf("Elastic Transcoder received %d requests for a request that was refused", n)
			}
		})
	}
}

func TestEveryPresetHasASystemPreset(t *testing.T) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)
			if _, err := e.Start(context.Background(), request(t, p.Name)); err != nil {
				t.Fatalf("Start: %v", err)
			}
			rec.Only()
		})
	}
}

func TestCancelSendsOneCancelJobForTheEnginesID(t *testing.T) {
	e, rec := newEngine(t, http.StatusAccepted, nil, `{}`)
	if err := e.Cancel(context.Background(), "1717406102417-abcdef"); err != nil {
		t.Fatal(err)
	}
	if r := rec.Only(); r.Method != http.MethodDelete || r.Path != "/2012-09-25/jobs/1717406102417-abcdef" {
		t.Fatalf("sent %s %s, want DELETE /2012-09-25/jobs/<id>", r.Method, r.Path)
	}
	if err := e.Cancel(context.Background(), ""); err == nil || rec.Count() != 1 {
		t.Fatalf("a job without an id: %v, %d requests", err, rec.Count())
	}
}
