package awsenv_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"transcoder/app/internal/awsenv"
)

// recorder is a loopback server that records who called it and how the
// request was signed.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	auth []string
}

func newRecorder(t *testing.T, body string) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization")+" token="+req.Header.Get("X-Amz-Security-Token"))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(body))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}

const listTopics = `<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics/></ListTopicsResult></ListTopicsResponse>`
const listBuckets = `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets/></ListAllMyBucketsResult>`

func TestClientsSignWithTheEnvironmentsCredentialsAndReachItsEndpoints(t *testing.T) {
	s3srv, snssrv := newRecorder(t, listBuckets), newRecorder(t, listTopics)
	tests := []struct {
		name            string
		env             map[string]string
		wantS3, wantSNS int // calls each server gets
	}{
		{
			name:   "a service's own endpoint variable sends that service there, and the others elsewhere",
			env:    map[string]string{"AWS_ENDPOINT_URL_S3": s3srv.srv.URL, "AWS_ENDPOINT_URL_SNS": snssrv.srv.URL},
			wantS3: 1, wantSNS: 1,
		},
		{
			name:   "AWS_ENDPOINT_URL sends every service to one place",
			env:    map[string]string{"AWS_ENDPOINT_URL": snssrv.srv.URL},
			wantS3: 0, wantSNS: 2,
		},
		{
			name:   "a service's own variable wins over AWS_ENDPOINT_URL",
			env:    map[string]string{"AWS_ENDPOINT_URL": snssrv.srv.URL, "AWS_ENDPOINT_URL_S3": s3srv.srv.URL},
			wantS3: 1, wantSNS: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{
				"AWS_REGION": "eu-west-3", "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "session",
			}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := awsenv.Config(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			s3Before, snsBefore := len(s3srv.calls()), len(snssrv.calls())
			ctx := context.Background()
			s3c := awss3.NewFromConfig(cfg, func(o *awss3.Options) { o.UsePathStyle = true })
			if _, err := s3c.ListBuckets(ctx, &awss3.ListBucketsInput{}); err != nil {
				t.Fatalf("S3 ListBuckets: %v", err)
			}
			if _, err := awssns.NewFromConfig(cfg).ListTopics(ctx, &awssns.ListTopicsInput{}); err != nil {
				t.Fatalf("SNS ListTopics: %v", err)
			}
			if got := len(s3srv.calls()) - s3Before; got != tt.wantS3 {
				t.Errorf("the S3 endpoint got %d calls, want %d", got, tt.wantS3)
			}
			if got := len(snssrv.calls()) - snsBefore; got != tt.wantSNS {
				t.Errorf("the SNS endpoint got %d calls, want %d", got, tt.wantSNS)
			}
			for _, a := range append(s3srv.calls()[s3Before:], snssrv.calls()[snsBefore:]...) {
				if !strings.Contains(a, "Credential=AKIDTEST/") || !strings.Contains(a, "/eu-west-3/") || !strings.HasSuffix(a, " token=session") {
					t.Errorf("a call was signed %q, want the environment's key, region and session token", a)
				}
			}
		})
	}
}

func TestTheConfigurationSaysWhatIsMissing(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		says string
	}{
		{"no region", map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "AWS_REGION is not set"},
		{"no secret key", map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a"}, "AWS_SECRET_ACCESS_KEY are not both set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsenv.Config(func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %v, want one saying %q", err, tt.says)
			}
		})
	}
}

func TestTheOlderVariableNamesAndTheIgnoreSwitchAreHonoured(t *testing.T) {
	env := map[string]string{
		"AWS_DEFAULT_REGION": "ap-south-1", "AWS_ACCESS_KEY": "old", "AWS_SECRET_KEY": "older",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
	}
	cfg, err := awsenv.Config(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "ap-south-1" || creds.AccessKeyID != "old" || creds.SecretAccessKey != "older" {
		t.Errorf("region %q, key %q/%q: want the AWS_DEFAULT_REGION, AWS_ACCESS_KEY and AWS_SECRET_KEY values", cfg.Region, creds.AccessKeyID, creds.SecretAccessKey)
	}
	if cfg.BaseEndpoint != nil || cfg.ConfigSources != nil {
		t.Errorf("endpoints %v %v: want none with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true", aws.ToString(cfg.BaseEndpoint), cfg.ConfigSources)
	}
}
