package mediaconvert_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsmediaconvert "github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/smithy-go"

	"transcoder/app/internal/awstest"
	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
	"transcoder/app/presets"
)

const (
	region   = "eu-west-1"
	roleARN  = "arn:aws:iam::123456789012:role/service-role/transcoder-mediaconvert"
	queueARN = "arn:aws:mediaconvert:eu-west-1:123456789012:queues/transcoder"
	// createdID is the id the stand-in MediaConvert gives every job.
	createdID = "1717406102417-k3x9qa"
)

var config = mediaconvert.EngineConfig{RoleARN: roleARN, QueueARN: queueARN}

// createdAnswer is CreateJob's answer, cut down to what a client reads.
const createdAnswer = `{"job":{"id":"` + createdID + `","role":"` + roleARN + `","status":"SUBMITTED","settings":{}}}`

// fixedToken makes the SDK's client request token predictable, so that the
// whole request body can be compared.
type fixedToken struct{}

func (fixedToken) GetIdempotencyToken() (string, error) { return "token-1", nil }

// clientFor returns a real MediaConvert client that sends to the stand-in,
// signing with static credentials.
func clientFor(r *awstest.Server) *awsmediaconvert.Client {
	return awsmediaconvert.New(awsmediaconvert.Options{
		Region:                   region,
		BaseEndpoint:             aws.String(r.URL),
		Credentials:              credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		IdempotencyTokenProvider: fixedToken{},
	})
}

// newEngine returns an engine talking to a stand-in that answers with
// status, header and body.
func newEngine(t *testing.T, status int, header http.Header, body string) (*mediaconvert.Engine, *awstest.Server) {
	t.Helper()
	r := awstest.NewServer(t, status, header, body)
	e, err := mediaconvert.NewEngine(clientFor(r), config)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e, r
}

func preset(t *testing.T, name string) presets.Preset {
	t.Helper()
	p, ok := presets.Lookup(name)
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	return p
}

func request(t *testing.T, names ...string) jobs.StartRequest {
	t.Helper()
	ps := make([]presets.Preset, len(names))
	for i, n := range names {
		ps[i] = preset(t, n)
	}
	return jobs.StartRequest{
		JobID:        "job-1",
		Input:        "s3://in/uploads/alice/song.final.wav",
		OutputPrefix: "s3://out/jobs/job-1/",
		Presets:      ps,
		Metadata:     map[string]string{jobs.MetadataJobID: "job-1", "owner": "alice"},
	}
}

// wantGroup is the output group each preset must become, as MediaConvert
// receives it: a File group writing to the preset's folder, with one
// audio-only output in the container and codec that MediaConvert supports for
// that format.
var wantGroup = map[string]string{
	"wav": `{"name":"wav",
		"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://out/jobs/job-1/wav/"}},
		"outputs":[{"containerSettings":{"container":"RAW"},"extension":"wav",
			"audioDescriptions":[{"audioSourceName":"Audio Selector 1","codecSettings":{"codec":"WAV",
				"wavSettings":{"bitDepth":16,"channels":2,"format":"RIFF","sampleRate":44100}}}]}]}`,
	"flac": `{"name":"flac",
		"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://out/jobs/job-1/flac/"}},
		"outputs":[{"containerSettings":{"container":"RAW"},"extension":"flac",
			"audioDescriptions":[{"audioSourceName":"Audio Selector 1","codecSettings":{"codec":"FLAC",
				"flacSettings":{"bitDepth":16,"channels":2,"sampleRate":44100}}}]}]}`,
	"aac": `{"name":"aac",
		"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://out/jobs/job-1/aac/"}},
		"outputs":[{"containerSettings":{"container":"MP4"},"extension":"m4a",
			"audioDescriptions":[{"audioSourceName":"Audio Selector 1","codecSettings":{"codec":"AAC",
				"aacSettings":{"bitrate":256000,"codecProfile":"LC","codingMode":"CODING_MODE_2_0","rateControlMode":"CBR",
					"rawFormat":"NONE","sampleRate":44100,"specification":"MPEG4"}}}]}]}`,
	"mp3": `{"name":"mp3",
		"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://out/jobs/job-1/mp3/"}},
		"outputs":[{"containerSettings":{"container":"RAW"},"extension":"mp3",
			"audioDescriptions":[{"audioSourceName":"Audio Selector 1","codecSettings":{"codec":"MP3",
				"mp3Settings":{"bitrate":192000,"channels":2,"rateControlMode":"CBR","sampleRate":44100}}}]}]}`,
}

// wantBody is the whole CreateJob request for request(t, names...).
func wantBody(t *testing.T, names ...string) map[string]any {
	t.Helper()
	groups := make([]string, len(names))
	for i, n := range names {
		groups[i] = wantGroup[n]
	}
	doc := `{
		"clientRequestToken":"token-1",
		"role":"` + roleARN + `",
		"queue":"` + queueARN + `",
		"statusUpdateInterval":"SECONDS_10",
		"billingTagsSource":"QUEUE",
		"userMetadata":{"transcoderJobId":"job-1","owner":"alice"},
		"settings":{
			"inputs":[{"fileInput":"s3://in/uploads/alice/song.final.wav",
				"audioSelectors":{"Audio Selector 1":{"defaultSelection":"DEFAULT"}}}],
			"outputGroups":[` + strings.Join(groups, ",") + `]}}`
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

func TestStartSendsOneCreateJobWithAnOutputGroupPerPresetInTheOrderAsked(t *testing.T) {
	tests := []struct {
		name    string
		presets []string
	}{
		{"every preset", []string{"wav", "flac", "aac", "mp3"}},
		{"one preset", []string{"aac"}},
		{"presets in another order", []string{"mp3", "wav"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)

			id, err := e.Start(context.Background(), request(t, tt.presets...))
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if id != createdID {
				t.Errorf("Start returned id %q, want MediaConvert's %q", id, createdID)
			}
			got := rec.Only()
			if got.Method != http.MethodPost || got.Path != "/2017-08-29/jobs" {
				t.Errorf("request is %s %s, want POST /2017-08-29/jobs", got.Method, got.Path)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type is %q, want application/json", ct)
			}
			if auth := got.Header.Get("Authorization"); !strings.Contains(auth, "/"+region+"/mediaconvert/aws4_request") {
				t.Errorf("Authorization %q is not a SigV4 signature for MediaConvert in %s", auth, region)
			}
			if want := wantBody(t, tt.presets...); !reflect.DeepEqual(got.Body, want) {
				t.Errorf("CreateJob body is\n%s\nwant\n%s", indent(got.Body), indent(want))
			}
		})
	}
}

func TestEveryPresetLandsAtOutputURIByMediaConvertsNaming(t *testing.T) {
	inputs := []string{
		"s3://in/song.wav",
		"s3://in/uploads/alice/song.final.wav",
		"s3://in/uploads/alice/no-extension",
		"s3://in/uploads/alice/Dreams (live).mp3",
	}
	for _, p := range presets.All() {
		for _, input := range inputs {
			t.Run(p.Name+" from "+input, func(t *testing.T) {
				e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)
				req := request(t, p.Name)
				req.Input = input
				if _, err := e.Start(context.Background(), req); err != nil {
					t.Fatalf("Start: %v", err)
				}
				var sent struct {
					Settings struct {
						OutputGroups []struct {
							OutputGroupSettings struct {
								FileGroupSettings struct{ Destination string }
							}
							Outputs []struct{ Extension string }
						}
					}
				}
				b, _ := json.Marshal(rec.Only().Body)
				if err := json.Unmarshal(b, &sent); err != nil {
					t.Fatal(err)
				}
				groups := sent.Settings.OutputGroups
				if len(groups) != 1 || len(groups[0].Outputs) != 1 {
					t.Fatalf("sent %d output groups, want 1 with 1 output:\n%s", len(groups), b)
				}
				// MediaConvert names a File group's output after the input
				// file, without its extension, followed by "." and the
				// output's Extension, in the group's Destination folder.
				base := path.Base(input)
				base = strings.TrimSuffix(base, path.Ext(base))
				got := groups[0].OutputGroupSettings.FileGroupSettings.Destination + base + "." + groups[0].Outputs[0].Extension
				if want := jobs.OutputURI(req.OutputPrefix, input, p); got != want {
					t.Errorf("MediaConvert writes %q, want jobs.OutputURI %q", got, want)
				}
			})
		}
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
		{"a BadRequestException", http.StatusBadRequest,
			http.Header{"X-Amzn-Errortype": {"BadRequestException"}},
			`{"message":"/outputGroups/0: Destination is invalid"}`, "BadRequestException", "Destination is invalid"},
		{"a ForbiddenException", http.StatusForbidden,
			http.Header{"X-Amzn-Errortype": {"ForbiddenException"}},
			`{"message":"not authorized to pass the role"}`, "ForbiddenException", "not authorized"},
		{"an answer without a job id", http.StatusCreated, nil, `{"job":{}}`, "", "without a job id"},
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

func TestNewEngineRefusesConfigurationThatCannotWork(t *testing.T) {
	tests := []struct {
		name  string
		cfg   mediaconvert.EngineConfig
		field string
		want  string
	}{
		{"no role", mediaconvert.EngineConfig{QueueARN: queueARN}, "RoleARN", "arn:aws:iam::<12-digit account>:role/<name>"},
		{"a role name instead of its ARN", mediaconvert.EngineConfig{RoleARN: "transcoder-mediaconvert", QueueARN: queueARN}, "RoleARN", "IAM role ARN"},
		{"a user ARN for the role", mediaconvert.EngineConfig{RoleARN: "arn:aws:iam::123456789012:user/alice", QueueARN: queueARN}, "RoleARN", "IAM role ARN"},
		{"no queue", mediaconvert.EngineConfig{RoleARN: roleARN}, "QueueARN", "arn:aws:mediaconvert:<region>:<12-digit account>:queues/<name>"},
		{"the queue's name instead of its ARN", mediaconvert.EngineConfig{RoleARN: roleARN, QueueARN: "Default"}, "QueueARN", "MediaConvert queue ARN"},
		{"a preset ARN for the queue", mediaconvert.EngineConfig{RoleARN: roleARN, QueueARN: "arn:aws:mediaconvert:eu-west-1:123456789012:presets/p"}, "QueueARN", "MediaConvert queue ARN"},
		{"a queue in another region", mediaconvert.EngineConfig{RoleARN: roleARN, QueueARN: "arn:aws:mediaconvert:us-east-1:123456789012:queues/transcoder"}, "QueueARN", "region eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := awstest.NewServer(t, http.StatusCreated, nil, createdAnswer)

			e, err := mediaconvert.NewEngine(clientFor(rec), tt.cfg)
			if err == nil {
				t.Fatalf("NewEngine accepted %+v", tt.cfg)
			}
			if e != nil {
				t.Errorf("NewEngine returned an engine with its error")
			}
			var cfgErr *mediaconvert.ConfigError
			if !errors.As(err, &cfgErr) || cfgErr.Field != tt.field {
				t.Errorf("error %v is not a ConfigError about %s", err, tt.field)
			}
			for _, s := range []string{tt.field, tt.want} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if n := rec.Count(); n != 0 {
				t.Errorf("MediaConvert received %d requests", n)
			}
		})
	}
}

func TestNewEngineNamesEveryBadFieldAtOnce(t *testing.T) {
	rec := awstest.NewServer(t, http.StatusCreated, nil, createdAnswer)
	_, err := mediaconvert.NewEngine(clientFor(rec), mediaconvert.EngineConfig{})
	if err == nil {
		t.Fatal("NewEngine accepted an empty configuration")
	}
	for _, s := range []string{"RoleARN", "QueueARN"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}

func TestNewEngineRefusesNoClient(t *testing.T) {
	if _, err := mediaconvert.NewEngine(nil, config); err == nil {
		t.Error("NewEngine accepted a nil client")
	}
}

func TestNewEngineAcceptsTheARNsOfEveryPartitionAndRolePath(t *testing.T) {
	tests := []struct{ name, region, role, queue string }{
		{"a role at the root", "eu-west-1", "arn:aws:iam::123456789012:role/MediaConvert_Default_Role", queueARN},
		{"China", "cn-north-1", "arn:aws-cn:iam::123456789012:role/mc", "arn:aws-cn:mediaconvert:cn-north-1:123456789012:queues/Default"},
		{"GovCloud", "us-gov-west-1", "arn:aws-us-gov:iam::123456789012:role/a/b/mc", "arn:aws-us-gov:mediaconvert:us-gov-west-1:123456789012:queues/q_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := awsmediaconvert.New(awsmediaconvert.Options{Region: tt.region})
			if _, err := mediaconvert.NewEngine(client, mediaconvert.EngineConfig{RoleARN: tt.role, QueueARN: tt.queue}); err != nil {
				t.Errorf("NewEngine: %v", err)
			}
		})
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
		{"a preset of a codec MediaConvert is not given", func(r *jobs.StartRequest) {
			r.Presets = []presets.Preset{{Name: "opus", Codec: "opus", Extension: ".opus", SampleRate: 48000, Channels: 2}}
		}, `codec "opus"`},
		{"an AAC preset of six channels", func(r *jobs.StartRequest) {
			p := r.Presets[0]
			p.Name, p.Codec, p.Channels = "aac51", presets.AAC, 6
			r.Presets = []presets.Preset{p}
		}, "6 channels"},
		{"an input that is not in S3", func(r *jobs.StartRequest) { r.Input = "https://example.com/song.wav" }, "not an S3 object"},
		{"an input that is a local path", func(r *jobs.StartRequest) { r.Input = "/tmp/song.wav" }, "not an S3 object"},
		{"an input without a bucket", func(r *jobs.StartRequest) { r.Input = "s3:///song.wav" }, "not an S3 object"},
		{"an input that is a folder", func(r *jobs.StartRequest) { r.Input = "s3://in/uploads/" }, "not an S3 object"},
		{"an output prefix that is not a folder", func(r *jobs.StartRequest) { r.OutputPrefix = "s3://out/jobs/job-1" }, "not an S3 folder"},
		{"an output prefix that is not in S3", func(r *jobs.StartRequest) { r.OutputPrefix = "out/jobs/job-1/" }, "not an S3 folder"},
		{"no correlation id", func(r *jobs.StartRequest) { delete(r.Metadata, jobs.MetadataJobID) }, "no " + jobs.MetadataJobID},
		{"no metadata at all", func(r *jobs.StartRequest) { r.Metadata = nil }, "no " + jobs.MetadataJobID},
		{"a correlation id of another job", func(r *jobs.StartRequest) { r.Metadata[jobs.MetadataJobID] = "job-2" }, `is not the request's JobID "job-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)
			req := request(t, "flac")
			tt.change(&req)

			id, err := e.Start(context.Background(), req)
			if err == nil {
				t.Fatalf("Start accepted the request and returned %q", id)
			}
			var reqErr *mediaconvert.RequestError
			if !errors.As(err, &reqErr) {
				t.Errorf("error %v is not a RequestError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if n := rec.Count(); n != 0 {
				t.Errorf("MediaConvert received %d requests for a request that was refused", n)
			}
		})
	}
}

func TestCancelSendsOneCancelJobForTheEnginesID(t *testing.T) {
	e, rec := newEngine(t, http.StatusAccepted, nil, `{}`)
	if err := e.Cancel(context.Background(), "1717405800112-7dq4mb"); err != nil {
		t.Fatal(err)
	}
	if r := rec.Only(); r.Method != http.MethodDelete || r.Path != "/2017-08-29/jobs/1717405800112-7dq4mb" {
		t.Fatalf("sent %s %s, want DELETE /2017-08-29/jobs/<id>", r.Method, r.Path)
	}
	if err := e.Cancel(context.Background(), ""); err == nil || rec.Count() != 1 {
		t.Fatalf("a job without an id: %v, %d requests", err, rec.Count())
	}
	failing, _ := newEngine(t, http.StatusConflict, nil, `{"message":"job is already complete"}`)
	if err := failing.Cancel(context.Background(), "x-1"); err == nil || !strings.Contains(err.Error(), "x-1") {
		t.Fatalf("a refused cancel: %v, want an error naming the job", err)
	}
}
