package config_test

import (
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"transcoder/app/config"
	"transcoder/app/settings"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaultsServeAFreshMachine(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Store != config.SQLite || c.MaxAge != time.Hour || c.Engine != config.Local ||
		c.InputBucket != "transcoder-input" || c.OutputBucket != "transcoder-output" || c.Local.Concurrency < 1 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if !c.APITokenGenerated || len(c.APIToken) != 32 {
		t.Fatalf("want a generated 32-hex-digit token, got %q", c.APIToken)
	}
	if !strings.HasSuffix(c.DataDir, "/data") {
		t.Fatalf("DATA_DIR should default to an absolute ./data, got %q", c.DataDir)
	}
}

func TestValuesAreRead(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"ADDR": ":9000", "STORE": "dynamodb", "DYNAMODB_TABLE": "transcoder-dev-jobs",
		"SNS_TOPIC_ARNS": "arn:aws:sns:us-east-1:123456789012:a, arn:aws-cn:sns:cn-north-1:123456789012:b",
		"SNS_MAX_AGE":    "0", "API_TOKEN": "0123456789abcdef0123", "ENGINE": "elastictranscoder",
		"API_KEYS": "alice:0123456789abcdefalice, bob:0123456789abcdef-bob-", "INPUT_BUCKET": "in-bucket", "OUTPUT_BUCKET": "out-bucket", "ELASTICTRANSCODER_PIPELINE_ID": "1111111111111-abcdef", "LOG_LEVEL": "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TopicARNs) != 2 || c.TopicARNs[1] != "arn:aws-cn:sns:cn-north-1:123456789012:b" {
		t.Fatalf("topics = %q", c.TopicARNs)
	}
	if c.APIKeys["0123456789abcdefalice"] != "alice" || c.APIKeys["0123456789abcdef-bob-"] != "bob" {
		t.Fatalf("API keys = %v", c.APIKeys)
	}
	if c.MaxAge != 0 || c.APITokenGenerated || c.Engine != config.ElasticTranscoder || c.DynamoDBTable != "transcoder-dev-jobs" {
		t.Fatalf("unexpected config: %+v", c)
	}
}

func TestABadVariableIsNamedWithTheFix(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"an address without a port", map[string]string{"ADDR": "localhost"}, "ADDR: \"localhost\" is not host:port"},
		{"an unknown store", map[string]string{"STORE": "redis"}, "STORE: \"redis\" is not a store: use sqlite or dynamodb"},
		{"dynamodb without a table", map[string]string{"STORE": "dynamodb"}, "DYNAMODB_TABLE:"},
		{"a topic that is not an ARN", map[string]string{"SNS_TOPIC_ARNS": "arn:aws:sqs:us-east-1:123456789012:q"}, "SNS_TOPIC_ARNS: \"arn:aws:sqs"},
		{"a max age that is not a duration", map[string]string{"SNS_MAX_AGE": "hour"}, "SNS_MAX_AGE: \"hour\""},
		{"a negative max age", map[string]string{"SNS_MAX_AGE": "-1m"}, "SNS_MAX_AGE:"},
		{"a missing certificate directory", map[string]string{"SNS_CERT_DIR": "/nonexistent/certs"}, "SNS_CERT_DIR:"},
		{"a short API token", map[string]string{"API_TOKEN": "secret"}, "API_TOKEN: is 6 characters long"},
		{"no API token on Lambda", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, "API_TOKEN: is required on Lambda"},
		{"the local engine on Lambda", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, "ENGINE: local runs ffmpeg"},
		{"an unknown engine", map[string]string{"ENGINE": "ffmpeg"}, "ENGINE: \"ffmpeg\""},
		{"elastic transcoder without its bucket", map[string]string{"ENGINE": "elastictranscoder"}, "OUTPUT_BUCKET: \"\" is not an S3 bucket name"},
		{"elastic transcoder without its pipeline", map[string]string{"ENGINE": "elastictranscoder"}, "ELASTICTRANSCODER_PIPELINE_ID:"},
		{"mediaconvert without its role", map[string]string{"ENGINE": "mediaconvert"}, "MEDIACONVERT_ROLE_ARN:"},
		{"mediaconvert with a queue that is not a queue ARN", map[string]string{"ENGINE": "mediaconvert", "MEDIACONVERT_QUEUE_ARN": "Default"}, "MEDIACONVERT_QUEUE_ARN: \"Default\""},
		{"a bucket name with capitals", map[string]string{"INPUT_BUCKET": "Uploads"}, "INPUT_BUCKET: \"Uploads\""},
		{"a local S3 address without a port", map[string]string{"LOCAL_S3_ADDR": "localhost"}, "LOCAL_S3_ADDR:"},
		{"a concurrency of zero", map[string]string{"LOCAL_CONCURRENCY": "0"}, "LOCAL_CONCURRENCY: \"0\""},
		{"a duplicate probability over one", map[string]string{"LOCAL_SNS_DUPLICATES": "2"}, "LOCAL_SNS_DUPLICATES: \"2\""},
		{"a reorder window that is not a duration", map[string]string{"LOCAL_SNS_REORDER": "soon"}, "LOCAL_SNS_REORDER: \"soon\""},
		{"an API key pair without a colon", map[string]string{"API_KEYS": "alice"}, "API_KEYS: \"alic…\" is not owner:key"},
		{"an API key that is short", map[string]string{"API_KEYS": "alice:short"}, "API_KEYS: the key of \"alice\" is 5 characters long"},
		{"an owner twice", map[string]string{"API_KEYS": "alice:0123456789abcdef,alice:fedcba9876543210"}, "appears twice"},
		{"an owner that looks like a session", map[string]string{"API_KEYS": "s-x:0123456789abcdef"}, "s-"},
		{"a short session secret", map[string]string{"SESSION_SECRET": "short"}, "SESSION_SECRET: is 5 characters long"},
		{"no session secret on Lambda", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, "SESSION_SECRET: is required on Lambda"},
		{"a short webhook secret", map[string]string{"WEBHOOK_SECRET": "short"}, "WEBHOOK_SECRET: is 5 characters long"},
		{"an unknown log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL: \"loud\""},
		{"an unknown log format", map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT: \"xml\" is not a log format: use auto, text or json"},
		{"a zero shutdown timeout", map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, "SHUTDOWN_TIMEOUT:"},
		{"an unknown sign-in mode", map[string]string{"SIGN_IN": "open"}, "SIGN_IN: \"open\" is not a sign-in mode: use anonymous or invite"},
		{"an upload size with an unknown unit", map[string]string{"MAX_UPLOAD_SIZE": "5 parsecs"}, "MAX_UPLOAD_SIZE: \"5 parsecs\" has an unknown unit"},
		{"an upload size that is not a number", map[string]string{"MAX_UPLOAD_SIZE": "big"}, "MAX_UPLOAD_SIZE: \"big\" is not a size"},
		{"an input duration that is not a duration", map[string]string{"MAX_INPUT_DURATION": "long"}, "MAX_INPUT_DURATION: \"long\""},
		{"a negative daily job quota", map[string]string{"JOBS_PER_DAY": "-1"}, "JOBS_PER_DAY: \"-1\" is not a whole number"},
		{"a running-jobs quota that is not a number", map[string]string{"JOBS_RUNNING": "two"}, "JOBS_RUNNING: \"two\""},
		{"a per-upload quota that is not a number", map[string]string{"JOBS_PER_UPLOAD": "1.5"}, "JOBS_PER_UPLOAD: \"1.5\""},
		{"a retention that is not whole days", map[string]string{"JOB_RETENTION_DAYS": "90d"}, "JOB_RETENTION_DAYS: \"90d\" is not a whole number of days"},
		{"a negative retention", map[string]string{"JOB_RETENTION_DAYS": "-1"}, "JOB_RETENTION_DAYS: \"-1\""},
		{"a retention past a hundred years", map[string]string{"JOB_RETENTION_DAYS": "36501"}, "JOB_RETENTION_DAYS: \"36501\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSignInIsAnonymousOnOneMachineAndByInviteOnAWS(t *testing.T) {
	aws := map[string]string{"ENGINE": "mediaconvert", "INPUT_BUCKET": "in-bucket", "OUTPUT_BUCKET": "out-bucket",
		"MEDIACONVERT_ROLE_ARN": "arn:aws:iam::123456789012:role/mc", "MEDIACONVERT_QUEUE_ARN": "arn:aws:mediaconvert:us-east-1:123456789012:queues/q"}
	tests := []struct {
		name string
		env  map[string]string
		want config.SignIn
	}{
		{"the local engine", nil, config.Anonymous},
		{"MediaConvert", aws, config.Invite},
		{"MediaConvert told otherwise", merge(aws, map[string]string{"SIGN_IN": "anonymous"}), config.Anonymous},
		{"the local engine told otherwise", map[string]string{"SIGN_IN": "invite"}, config.Invite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.SignIn != tt.want {
				t.Fatalf("SignIn = %q, want %q", c.SignIn, tt.want)
			}
		})
	}
}

func TestQuotasHaveDefaultsAndZeroTurnsEachOff(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := config.QuotaConfig{MaxUploadSize: 500e6, MaxInputDuration: 30 * time.Minute, JobsPerDay: 20, JobsRunning: 2, JobsPerUpload: 3}
	if c.Quotas != want {
		t.Fatalf("default quotas = %+v, want %+v", c.Quotas, want)
	}
	c, err = config.Load(env(map[string]string{"MAX_UPLOAD_SIZE": "0", "MAX_INPUT_DURATION": "0", "JOBS_PER_DAY": "0", "JOBS_RUNNING": "0", "JOBS_PER_UPLOAD": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Quotas != (config.QuotaConfig{}) {
		t.Fatalf("quotas set to 0 = %+v, want all off", c.Quotas)
	}
}

func TestJobsAreKeptNinetyDaysByDefaultAndZeroKeepsThemForEver(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want time.Duration
	}{
		{"unset keeps jobs ninety days", nil, 90 * 24 * time.Hour},
		{"a number of days keeps jobs that many days", map[string]string{"JOB_RETENTION_DAYS": "7"}, 7 * 24 * time.Hour},
		{"zero keeps jobs for ever", map[string]string{"JOB_RETENTION_DAYS": "0"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.JobRetention != tt.want {
				t.Fatalf("JobRetention = %v, want %v", c.JobRetention, tt.want)
			}
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

func TestEveryBadVariableIsReportedAtOnce(t *testing.T) {
	_, err := config.Load(env(map[string]string{"STORE": "x", "ENGINE": "y"}))
	if err == nil || !strings.Contains(err.Error(), "STORE:") || !strings.Contains(err.Error(), "ENGINE:") {
		t.Fatalf("err = %v, want both variables named", err)
	}
}

func TestEveryVariableReadIsDocumented(t *testing.T) {
	read := map[string]bool{}
	config.Load(func(k string) string { read[k] = true; return "" })
	documented := map[string]bool{}
	for _, v := range config.Vars {
		documented[v.Name] = true
	}
	for k := range read {
		if !documented[k] && k != settings.EnvLambdaRuntimeAPI && k != settings.EnvLambdaMemory {
			t.Errorf("%s is read but not in config.Vars", k)
		}
	}
}

// The README's configuration table is generated from Vars; this keeps the two
// from drifting apart.
func TestTheREADMEDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("<!-- config:begin -->\n| variable | default | meaning |\n|---|---|---|\n")
	for _, v := range config.Vars {
		def := ""
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, def, v.Meaning)
	}
	b.WriteString("<!-- config:end -->")
	if !strings.Contains(string(readme), b.String()) {
		t.Fatalf("README.md's configuration table is out of date; replace it with:\n%s", b.String())
	}
}

func TestTheGarbageCollectorDefaultsToGOGC400AndALimitBelowLambdasMemory(t *testing.T) {
	lambda := map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}
	for _, c := range []struct {
		name    string
		env     map[string]string
		percent int
		limit   int64
	}{
		{"a machine of one's own", nil, 400, 0},
		{"GOGC set", map[string]string{"GOGC": "150"}, 150, 0},
		{"GOGC off", map[string]string{"GOGC": "off"}, -1, 0},
		{"Lambda", lambda, 400, 256 << 20 * 8 / 10},
		{"Lambda with GOMEMLIMIT, which the runtime applied", map[string]string{"GOMEMLIMIT": "100MiB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, 400, 0},
		{"a machine that is not Lambda, with Lambda's memory variable", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, 400, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			kv := map[string]string{}
			if c.name == "Lambda" || strings.HasPrefix(c.name, "Lambda with") {
				kv = maps.Clone(lambda)
				kv["API_TOKEN"], kv["SESSION_SECRET"] = "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"
				kv["ENGINE"], kv["STORE"], kv["DYNAMODB_TABLE"] = "mediaconvert", "dynamodb", "transcoder-jobs"
				kv["INPUT_BUCKET"], kv["OUTPUT_BUCKET"] = "transcoder-in", "transcoder-out"
				kv["MEDIACONVERT_ROLE_ARN"] = "arn:aws:iam::123456789012:role/mediaconvert"
				kv["MEDIACONVERT_QUEUE_ARN"] = "arn:aws:mediaconvert:us-east-1:123456789012:queues/Default"
			}
			maps.Copy(kv, c.env)
			got, err := config.Load(env(kv))
			if err != nil {
				t.Fatal(err)
			}
			if got.GCPercent != c.percent || got.MemoryLimit != c.limit {
				t.Errorf("GOGC %d and limit %d, want %d and %d", got.GCPercent, got.MemoryLimit, c.percent, c.limit)
			}
		})
	}
}

func TestABadGOGCSaysWhatToUse(t *testing.T) {
	for _, bad := range []string{"fast", "0", "-5", "40%"} {
		_, err := config.Load(env(map[string]string{"GOGC": bad}))
		if err == nil || !strings.Contains(err.Error(), "GOGC:") || !strings.Contains(err.Error(), "or off") {
			t.Errorf("GOGC=%s: err = %v, want GOGC named with what to use", bad, err)
		}
	}
}
