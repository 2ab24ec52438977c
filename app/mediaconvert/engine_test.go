package mediaconvert_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsmediaconvert "github.com/aws/aws-sdk-go-v2/service/mediaconvert"

	"transcoder/app/internal/awstest"
	"transcoder/app/internal/enginetest"
	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
	"transcoder/app/presets"
)

const (
	region   = enginetest.Region
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
	return engineFor(t, r), r
}

// engineFor returns an engine whose client sends to r.
func engineFor(t *testing.T, r *awstest.Server) *mediaconvert.Engine {
	t.Helper()
	e, err := mediaconvert.NewEngine(clientFor(r), config)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e
}

// wantGroup is the output group each preset must become, as MediaConvert
// receives it: a File group writing to the preset's folder, with one
// audio-only output in the container and codec that MediaConvert supports for
// that format.
var wantGroup = map[string]string{
	"wav": `{"name":"wav",
		"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://media-out/jobs/job-1/wav/"}},
		"outputs":[{"containerSettings":{"container":"RAW"},"extension":"wav",
			"audioDescriptions":[{"audioSourceName":"Audio Selector 1","codecSettings":{"codec":"WAV",
				"wavSettings":{"bitDepth":16,"channels":2,"format":"RIFF","sampleRate":44100}}}]}]}`,
	"flac": `{"name":"flac",
		"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://media-out/jobs/job-1/flac/"}},
		"outputs":[{"containerSettings":{"container":"RAW"},"extension":"flac",
			"audioDescriptions":[{"audioSourceName":"Audio Selector 1","codecSettings":{"codec":"FLAC",
				"flacSettings":{"bitDepth":16,"channels":2,"sampleRate":44100}}}]}]}`,
	"aac": `{"name":"aac",
		"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://media-out/jobs/job-1/aac/"}},
		"outputs":[{"containerSettings":{"container":"MP4"},"extension":"m4a",
			"audioDescriptions":[{"audioSourceName":"Audio Selector 1","codecSettings":{"codec":"AAC",
				"aacSettings":{"bitrate":256000,"codecProfile":"LC","codingMode":"CODING_MODE_2_0","rateControlMode":"CBR",
					"rawFormat":"NONE","sampleRate":44100,"specification":"MPEG4"}}}]}]}`,
	"mp3": `{"name":"mp3",
		"outputGroupSettings":{"type":"FILE_GROUP_SETTINGS","fileGroupSettings":{"destination":"s3://media-out/jobs/job-1/mp3/"}},
		"outputs":[{"containerSettings":{"container":"RAW"},"extension":"mp3",
			"audioDescriptions":[{"audioSourceName":"Audio Selector 1","codecSettings":{"codec":"MP3",
				"mp3Settings":{"bitrate":192000,"channels":2,"rateControlMode":"CBR","sampleRate":44100}}}]}]}`,
}

// wantBody is the whole CreateJob request for enginetest.Request(t, names...).
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
			"inputs":[{"fileInput":"s3://media-in/uploads/alice/song.final.wav",
				"audioSelectors":{"Audio Selector 1":{"defaultSelection":"DEFAULT"}}}],
			"outputGroups":[` + strings.Join(groups, ",") + `]}}`
	var body map[string]any
	if err := json.Unmarshal([]byte(doc), &body); err != nil {
		t.Fatalf("the expected body is not JSON: %v", err)
	}
	return body
}

func TestEveryPresetLandsAtOutputURIByMediaConvertsNaming(t *testing.T) {
	inputs := []string{
		"s3://media-in/song.wav",
		"s3://media-in/uploads/alice/song.final.wav",
		"s3://media-in/uploads/alice/no-extension",
		"s3://media-in/uploads/alice/Dreams (live).mp3",
	}
	for _, p := range presets.All() {
		for _, input := range inputs {
			t.Run(p.Name+" from "+input, func(t *testing.T) {
				e, rec := newEngine(t, http.StatusCreated, nil, createdAnswer)
				req := enginetest.Request(t, p.Name)
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

func TestTheEnginePassesTheSuiteOfEveryAWSEngine(t *testing.T) {
	enginetest.Run(t, enginetest.Service{
		Name:        "MediaConvert",
		SigningName: "mediaconvert",
		JobsPath:    "/2017-08-29/jobs",
		Created:     createdAnswer,
		CreatedID:   createdID,
		NewEngine:   func(t *testing.T, r *awstest.Server) enginetest.Engine { return engineFor(t, r) },
		WantBody:    wantBody,
		Failures: []enginetest.Failure{
			{Name: "a BadRequestException", Status: http.StatusBadRequest,
				Header: http.Header{"X-Amzn-Errortype": {"BadRequestException"}},
				Body:   `{"message":"/outputGroups/0: Destination is invalid"}`, Code: "BadRequestException", Want: "Destination is invalid"},
			{Name: "a ForbiddenException", Status: http.StatusForbidden,
				Header: http.Header{"X-Amzn-Errortype": {"ForbiddenException"}},
				Body:   `{"message":"not authorized to pass the role"}`, Code: "ForbiddenException", Want: "not authorized"},
			{Name: "an answer without a job id", Status: http.StatusCreated, Body: `{"job":{}}`, Want: "without a job id"},
		},
		Refusals: []enginetest.Refusal{
			{Name: "a preset of a codec MediaConvert is not given", Change: func(r *jobs.StartRequest) {
				r.Presets = []presets.Preset{{Name: "opus", Codec: "opus", Extension: ".opus", SampleRate: 48000, Channels: 2}}
			}, Want: `codec "opus"`},
			{Name: "an AAC preset of six channels", Change: func(r *jobs.StartRequest) {
				p := r.Presets[0]
				p.Name, p.Codec, p.Channels = "aac51", presets.AAC, 6
				r.Presets = []presets.Preset{p}
			}, Want: "6 channels"},
		},
		IsRequestError: func(err error) bool {
			var reqErr *mediaconvert.RequestError
			return errors.As(err, &reqErr)
		},
	})
}
