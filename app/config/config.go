// Package config reads the service's configuration from the environment once,
// into a typed struct, and says exactly which variable is wrong and how to fix
// it when one is.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"transcoder/app/jobs"
)

// Store names where jobs are kept.
type Store string

// The stores the service can keep jobs in.
const (
	SQLite   Store = "sqlite"
	DynamoDB Store = "dynamodb"
)

// Engine names the transcoding engine whose events the service decodes.
type Engine string

// The engines the service can start jobs on.
const (
	Local             Engine = "local"
	MediaConvert      Engine = "mediaconvert"
	ElasticTranscoder Engine = "elastictranscoder"
)

// LogFormat says how log lines are written.
type LogFormat string

// The log formats.
const (
	LogAuto LogFormat = "auto"
	LogText LogFormat = "text"
	LogJSON LogFormat = "json"
)

// SignIn says who may get a browser session.
type SignIn string

// The sign-in modes.
const (
	// Anonymous gives every new browser an owner of its own: right for one
	// machine, where only its user reaches the page.
	Anonymous SignIn = "anonymous"
	// Invite gives a session only to a browser that opens an invite link
	// the operator made (POST /invites): right for anything in public.
	Invite SignIn = "invite"
)

// QuotaConfig bounds what one owner may make the service do; zero turns a
// limit off. The operator's token is bound by none of them.
type QuotaConfig struct {
	// MaxUploadSize is the largest file one may upload, in bytes
	// (MAX_UPLOAD_SIZE).
	MaxUploadSize int64
	// MaxInputDuration is the longest input a job may have
	// (MAX_INPUT_DURATION).
	MaxInputDuration time.Duration
	// JobsPerDay is how many jobs an owner may submit in a UTC day
	// (JOBS_PER_DAY).
	JobsPerDay int
	// JobsRunning is how many of an owner's jobs may be unfinished at once
	// (JOBS_RUNNING).
	JobsRunning int
	// JobsPerUpload is how many jobs may be run on one upload
	// (JOBS_PER_UPLOAD).
	JobsPerUpload int
}

// Config is the whole configuration of the service.
type Config struct {
	// Addr is where the HTTP server listens (ADDR).
	Addr string
	// DataDir holds the embedded store's files (DATA_DIR).
	DataDir string
	// Store selects the job store (STORE).
	Store Store
	// DynamoDBTable is the table of the DynamoDB store (DYNAMODB_TABLE).
	DynamoDBTable string
	// JobRetention is how long a job is kept after it ends, and an open
	// job after its last change; zero keeps jobs for ever
	// (JOB_RETENTION_DAYS). The output bucket's lifecycle rule should
	// expire outputs after the same time, so that no download outlives its
	// job or the other way round.
	JobRetention time.Duration
	// TopicARNs is the allow-list of SNS topics (SNS_TOPIC_ARNS).
	TopicARNs []string
	// MaxAge is how old a delivered message may be; 0 turns the check off
	// (SNS_MAX_AGE).
	MaxAge time.Duration
	// CertDir holds pinned SNS signing certificates (SNS_CERT_DIR).
	CertDir string
	// Subscription is the endpoint's own SNS subscription, kept confirmed
	// (SNS_SUBSCRIPTION_ENDPOINT, SNS_SUBSCRIPTION_TOPIC_ARN,
	// SNS_SUBSCRIPTION_ARN).
	Subscription SubscriptionConfig
	// APIToken is the operator's bearer token for the jobs API (API_TOKEN).
	APIToken string
	// APITokenGenerated is true when API_TOKEN was unset and APIToken was
	// made up for this run.
	APITokenGenerated bool
	// APIKeys maps each API client's bearer key to its owner (API_KEYS).
	APIKeys map[string]string
	// SessionSecret signs browser session cookies and CSRF tokens
	// (SESSION_SECRET); empty means one kept in DATA_DIR.
	SessionSecret []byte
	// WebhookSecret signs webhook calls (WEBHOOK_SECRET); empty turns
	// callbacks off.
	WebhookSecret []byte
	// Engine is where jobs run (ENGINE): the local ffmpeg engine with its
	// local S3 and SNS, MediaConvert, or the legacy Elastic Transcoder.
	Engine Engine
	// InputBucket receives uploads (INPUT_BUCKET).
	InputBucket string
	// OutputBucket receives outputs; Elastic Transcoder's notifications name
	// only keys in it (OUTPUT_BUCKET).
	OutputBucket string
	// MediaConvertRoleARN and MediaConvertQueueARN are what CreateJob runs
	// as and on (MEDIACONVERT_ROLE_ARN, MEDIACONVERT_QUEUE_ARN).
	MediaConvertRoleARN, MediaConvertQueueARN string
	// PipelineID is the legacy Elastic Transcoder pipeline
	// (ELASTICTRANSCODER_PIPELINE_ID).
	PipelineID string
	// Local configures the local engine, S3 and SNS (ENGINE=local).
	Local LocalConfig
	// SignIn is who may get a browser session (SIGN_IN).
	SignIn SignIn
	// Quotas bound each owner (MAX_UPLOAD_SIZE, MAX_INPUT_DURATION,
	// JOBS_PER_DAY, JOBS_RUNNING, JOBS_PER_UPLOAD).
	Quotas QuotaConfig
	// LogLevel is the least severe level logged (LOG_LEVEL).
	LogLevel slog.Level
	// LogFormat is how log lines are written (LOG_FORMAT): LogAuto picks
	// text for a terminal and JSON otherwise.
	LogFormat LogFormat
	// ShutdownTimeout bounds the wait for in-flight requests on SIGTERM
	// (SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// CPUProfile names a file to write a CPU profile to, from start to
	// shutdown (CPU_PROFILE); for finding where time goes under load.
	CPUProfile string
	// Lambda is true when the process runs on AWS Lambda
	// (AWS_LAMBDA_RUNTIME_API is set by the runtime).
	Lambda bool
}

// LocalConfig is the configuration of the one-machine pipeline.
type LocalConfig struct {
	// S3Addr is where the local S3 server listens (LOCAL_S3_ADDR).
	S3Addr string
	// FFmpeg and FFprobe are the binaries the engine runs (FFMPEG, FFPROBE).
	FFmpeg, FFprobe string
	// Concurrency bounds the jobs run at once (LOCAL_CONCURRENCY).
	Concurrency int
	// Duplicates is the probability that the local SNS delivers a message
	// twice, and Reorder how long it holds deliveries to shuffle them
	// (LOCAL_SNS_DUPLICATES, LOCAL_SNS_REORDER): switches for testing that
	// the endpoint shrugs off both, as it must with the real SNS.
	Duplicates float64
	Reorder    time.Duration
}

// Var documents one environment variable; Vars is the table the README shows.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable Load reads.
var Vars = []Var{
	{"ADDR", "127.0.0.1:8080", "host:port the HTTP server listens on"},
	{"DATA_DIR", "./data", "directory of the embedded SQLite store"},
	{"STORE", "sqlite", "job store: sqlite or dynamodb"},
	{"DYNAMODB_TABLE", "", "table of the DynamoDB store (required with STORE=dynamodb)"},
	{"AWS_ENDPOINT_URL_DYNAMODB", "", "DynamoDB endpoint override (the AWS SDK's own variable), e.g. a local dynalite"},
	{"JOB_RETENTION_DAYS", "90", "days a job is kept after it ends (an open job: after its last change), then deleted; 0 keeps jobs for ever; the output bucket should expire outputs after as many days"},
	{"SNS_TOPIC_ARNS", "", "comma-separated allow-list of SNS topic ARNs; deliveries from any other topic get 403"},
	{"SNS_MAX_AGE", "1h", "oldest accepted message Timestamp (Go duration; 0 turns the check off)"},
	{"SNS_CERT_DIR", "", "directory of pinned SNS signing certificates, named as their URL's last segment"},
	{"SNS_SUBSCRIPTION_ENDPOINT", "", "this endpoint's URL as subscribed to the topic (the Function URL + /transcode-complete); set, the service re-requests confirmation while its subscription is pending; unset turns that off"},
	{"SNS_SUBSCRIPTION_TOPIC_ARN", "the first of SNS_TOPIC_ARNS", "topic of the subscription SNS_SUBSCRIPTION_ENDPOINT names"},
	{"SNS_SUBSCRIPTION_ARN", "", "that subscription's ARN, if known; unset (or \"pending confirmation\") finds it by listing the topic's subscriptions"},
	{"API_TOKEN", "made and kept in DATA_DIR/api-token", "the operator's bearer token: sees every owner's jobs, and /metrics"},
	{"API_KEYS", "", "API clients' bearer keys as owner:key pairs, comma-separated; each key sees only its owner's jobs"},
	{"SESSION_SECRET", "kept in DATA_DIR", "at least 32 characters that sign browser session cookies (required on Lambda)"},
	{"WEBHOOK_SECRET", "", "at least 16 characters that sign webhook calls (Transcoder-Signature); unset turns callbackUrl off"},
	{"ENGINE", "local", "where jobs run: local (ffmpeg, with a local S3 and SNS), mediaconvert, or elastictranscoder (legacy)"},
	{"INPUT_BUCKET", "transcoder-input (local)", "bucket uploads go to (required with the AWS engines)"},
	{"OUTPUT_BUCKET", "transcoder-output (local)", "bucket outputs go to (required with the AWS engines)"},
	{"MEDIACONVERT_ROLE_ARN", "", "IAM role MediaConvert jobs run as (required with ENGINE=mediaconvert)"},
	{"MEDIACONVERT_QUEUE_ARN", "", "MediaConvert queue jobs are submitted to (required with ENGINE=mediaconvert)"},
	{"ELASTICTRANSCODER_PIPELINE_ID", "", "legacy Elastic Transcoder pipeline (required with ENGINE=elastictranscoder)"},
	{"LOCAL_S3_ADDR", "127.0.0.1:8081", "host:port of the local S3 server (ENGINE=local)"},
	{"FFMPEG", "ffmpeg", "ffmpeg binary of the local engine"},
	{"FFPROBE", "ffprobe", "ffprobe binary of the local engine"},
	{"LOCAL_CONCURRENCY", "number of CPUs", "jobs the local engine runs at once"},
	{"LOCAL_SNS_DUPLICATES", "0", "probability (0-1) that the local SNS delivers a message twice (testing)"},
	{"LOCAL_SNS_REORDER", "0", "how long the local SNS holds deliveries to reorder them, a Go duration (testing)"},
	{"SIGN_IN", "anonymous (local), invite (AWS engines)", "who gets a browser session: anonymous (every new browser gets an owner) or invite (only a browser that opens an invite link from POST /invites)"},
	{"MAX_UPLOAD_SIZE", "500MB", "largest upload per file, in bytes or with a unit (500MB, 2GiB); S3 refuses a larger body; 0 turns it off"},
	{"MAX_INPUT_DURATION", "30m", "longest input a job may have (Go duration); a longer one ends ERROR; 0 turns it off"},
	{"JOBS_PER_DAY", "20", "jobs one owner may submit per UTC day; 0 turns it off"},
	{"JOBS_RUNNING", "2", "jobs of one owner that may be unfinished at once; 0 turns it off"},
	{"JOBS_PER_UPLOAD", "3", "jobs that may be run on one upload; 0 turns it off"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"LOG_FORMAT", "auto", "text (for people), json (for log collectors), or auto: text on a terminal, JSON otherwise"},
	{"SHUTDOWN_TIMEOUT", "10s", "how long SIGTERM waits for in-flight requests"},
	{"CPU_PROFILE", "", "file to write a Go CPU profile to, from start to shutdown (profiling)"},
}

var (
	topicARN             = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	tableName            = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	bucketName           = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	mediaConvertRoleARN  = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	mediaConvertQueueARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:mediaconvert:[a-z]{2}(-[a-z]+)+-\d:\d{12}:queues/[\w-]{1,128}$`)
	pipelineID           = regexp.MustCompile(`^\d{13}-\w{6}$`)
)

// Load reads the configuration through getenv (os.Getenv in production) and
// validates it. The error lists every bad variable, each with what is wrong
// and what is allowed.
func Load(getenv func(string) string) (*Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("  %s: "+format, append([]any{name}, args...)...))
	}

	c := &Config{
		Addr:                 get("ADDR", "127.0.0.1:8080"),
		DataDir:              get("DATA_DIR", "./data"),
		Store:                Store(get("STORE", string(SQLite))),
		DynamoDBTable:        get("DYNAMODB_TABLE", ""),
		CertDir:              get("SNS_CERT_DIR", ""),
		APIToken:             get("API_TOKEN", ""),
		Engine:               Engine(get("ENGINE", string(Local))),
		InputBucket:          get("INPUT_BUCKET", ""),
		OutputBucket:         get("OUTPUT_BUCKET", ""),
		MediaConvertRoleARN:  get("MEDIACONVERT_ROLE_ARN", ""),
		MediaConvertQueueARN: get("MEDIACONVERT_QUEUE_ARN", ""),
		PipelineID:           get("ELASTICTRANSCODER_PIPELINE_ID", ""),
		Lambda:               getenv("AWS_LAMBDA_RUNTIME_API") != "",
		CPUProfile:           get("CPU_PROFILE", ""),
	}

	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		bad("ADDR", "%q is not host:port (for example 127.0.0.1:8080 or :8080)", c.Addr)
	}
	switch c.Store {
	case SQLite:
		if abs, err := filepath.Abs(c.DataDir); err != nil {
			bad("DATA_DIR", "%q is not a usable path: %v", c.DataDir, err)
		} else {
			c.DataDir = abs
		}
	case DynamoDB:
		if !tableName.MatchString(c.DynamoDBTable) {
			bad("DYNAMODB_TABLE", "%q is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -); STORE=dynamodb needs it", c.DynamoDBTable)
		}
	default:
		bad("STORE", "%q is not a store: use sqlite or dynamodb", c.Store)
	}
	for _, arn := range strings.Split(get("SNS_TOPIC_ARNS", ""), ",") {
		arn = strings.TrimSpace(arn)
		if arn == "" {
			continue
		}
		if !topicARN.MatchString(arn) {
			bad("SNS_TOPIC_ARNS", "%q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)", arn)
			continue
		}
		c.TopicARNs = append(c.TopicARNs, arn)
	}
	var err error
	if c.MaxAge, err = time.ParseDuration(get("SNS_MAX_AGE", "1h")); err != nil || c.MaxAge < 0 {
		bad("SNS_MAX_AGE", "%q is not a non-negative Go duration (for example 1h, 15m, or 0 to turn the check off)", getenv("SNS_MAX_AGE"))
	}
	if c.CertDir != "" {
		if st, err := os.Stat(c.CertDir); err != nil || !st.IsDir() {
			bad("SNS_CERT_DIR", "%q is not a directory of pinned certificates", c.CertDir)
		}
	}
	switch c.Engine {
	case Local:
		if c.Lambda {
			bad("ENGINE", "local runs ffmpeg and a local S3 and SNS in the process, which Lambda cannot keep: use mediaconvert")
		}
		c.loadLocal(get, bad)
	case MediaConvert:
		c.requireBuckets(bad)
		if !mediaConvertRoleARN.MatchString(c.MediaConvertRoleARN) {
			bad("MEDIACONVERT_ROLE_ARN", "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); ENGINE=mediaconvert needs it", c.MediaConvertRoleARN)
		}
		if !mediaConvertQueueARN.MatchString(c.MediaConvertQueueARN) {
			bad("MEDIACONVERT_QUEUE_ARN", "%q is not a MediaConvert queue ARN (arn:aws:mediaconvert:<region>:<account>:queues/<name>); ENGINE=mediaconvert needs it", c.MediaConvertQueueARN)
		}
	case ElasticTranscoder:
		c.requireBuckets(bad)
		if !pipelineID.MatchString(c.PipelineID) {
			bad("ELASTICTRANSCODER_PIPELINE_ID", "%q is not a pipeline id (13 digits, a dash, 6 characters); ENGINE=elastictranscoder needs it", c.PipelineID)
		}
	default:
		bad("ENGINE", "%q is not an engine: use local, mediaconvert or elastictranscoder", c.Engine)
	}
	switch c.LogFormat = LogFormat(get("LOG_FORMAT", string(LogAuto))); c.LogFormat {
	case LogAuto, LogText, LogJSON:
	default:
		bad("LOG_FORMAT", "%q is not a log format: use auto, text or json", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		bad("LOG_LEVEL", "%q is not a level: use debug, info, warn or error", getenv("LOG_LEVEL"))
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("SHUTDOWN_TIMEOUT", "10s")); err != nil || c.ShutdownTimeout <= 0 {
		bad("SHUTDOWN_TIMEOUT", "%q is not a positive Go duration (for example 10s)", getenv("SHUTDOWN_TIMEOUT"))
	}
	if c.APIToken == "" {
		if c.Lambda {
			bad("API_TOKEN", "is required on Lambda: a generated token would differ on every instance")
		} else {
			b := make([]byte, 16)
			rand.Read(b)
			c.APIToken, c.APITokenGenerated = hex.EncodeToString(b), true
		}
	} else if len(c.APIToken) < 16 {
		bad("API_TOKEN", "is %d characters long; use at least 16 random characters (for example: openssl rand -hex 16)", len(c.APIToken))
	}
	c.loadSecrets(get, bad)
	c.loadAccess(get, bad)
	c.loadSubscription(get, bad)
	c.loadRetention(get, bad)
	if len(errs) > 0 {
		return nil, fmt.Errorf("configuration is invalid:\n%w", errors.Join(errs...))
	}
	return c, nil
}

// maxRetentionDays bounds JOB_RETENTION_DAYS at about a hundred years,
// far beyond any sensible value, so that the expiry stays a valid time.
const maxRetentionDays = 36500

// loadRetention reads how long jobs are kept.
func (c *Config) loadRetention(get func(string, string) string, bad func(string, string, ...any)) {
	v := get("JOB_RETENTION_DAYS", "90")
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxRetentionDays {
		bad("JOB_RETENTION_DAYS", "%q is not a whole number of days from 0 (keep jobs for ever) to %d", v, maxRetentionDays)
		return
	}
	c.JobRetention = time.Duration(n) * 24 * time.Hour
}

// loadAccess reads who may sign in and each owner's quotas.
func (c *Config) loadAccess(get func(string, string) string, bad func(string, string, ...any)) {
	def := Invite
	if c.Engine == Local {
		def = Anonymous
	}
	switch c.SignIn = SignIn(get("SIGN_IN", string(def))); c.SignIn {
	case Anonymous, Invite:
	default:
		bad("SIGN_IN", "%q is not a sign-in mode: use anonymous or invite", c.SignIn)
	}
	if v := get("MAX_UPLOAD_SIZE", "500MB"); v != "" {
		n, err := ParseSize(v)
		if err != nil {
			bad("MAX_UPLOAD_SIZE", "%v", err)
		}
		c.Quotas.MaxUploadSize = n
	}
	if v := get("MAX_INPUT_DURATION", "30m"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			bad("MAX_INPUT_DURATION", "%q is not a non-negative Go duration (for example 30m, 2h, or 0 to turn the limit off)", v)
		}
		c.Quotas.MaxInputDuration = d
	}
	for _, q := range []struct {
		name, def string
		to        *int
	}{
		{"JOBS_PER_DAY", "20", &c.Quotas.JobsPerDay},
		{"JOBS_RUNNING", "2", &c.Quotas.JobsRunning},
		{"JOBS_PER_UPLOAD", "3", &c.Quotas.JobsPerUpload},
	} {
		v := get(q.name, q.def)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			bad(q.name, "%q is not a whole number from 0 (no limit) to 1000000", v)
		}
		*q.to = n
	}
}

// ParseSize reads a size in bytes: a whole number, optionally followed by
// B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
func ParseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: use bytes or a number with a unit (500MB, 2GiB; 0 for no limit)", v)
	}
	unit := strings.ToUpper(strings.TrimSpace(s[i:]))
	mult := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("%q has an unknown unit %q: use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB", v, s[i:])
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", v)
	}
	return n * mult, nil
}

func (c *Config) loadSecrets(get func(string, string) string, bad func(string, string, ...any)) {
	c.APIKeys = map[string]string{}
	owners := map[string]bool{}
	for _, pair := range strings.Split(get("API_KEYS", ""), ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		owner, key, ok := strings.Cut(pair, ":")
		switch {
		case !ok:
			bad("API_KEYS", "%q is not owner:key with an owner of a-z 0-9 _ - (for example alice:3f9c...)", redact(pair))
		case jobs.CheckOwnerName(owner) != nil:
			bad("API_KEYS", "%v (for example alice:3f9c...)", jobs.CheckOwnerName(owner))
		case len(key) < 16:
			bad("API_KEYS", "the key of %q is %d characters long; use at least 16 random characters", owner, len(key))
		case owners[owner] || c.APIKeys[key] != "":
			bad("API_KEYS", "owner %q or its key appears twice", owner)
		case key == c.APIToken:
			bad("API_KEYS", "the key of %q is API_TOKEN, the operator's", owner)
		default:
			c.APIKeys[key], owners[owner] = owner, true
		}
	}
	if v := get("SESSION_SECRET", ""); v != "" {
		if len(v) < 32 {
			bad("SESSION_SECRET", "is %d characters long; use at least 32 random characters (for example: openssl rand -hex 32)", len(v))
		}
		c.SessionSecret = []byte(v)
	} else if c.Lambda {
		bad("SESSION_SECRET", "is required on Lambda: instances share no data directory to keep one in")
	}
	if v := get("WEBHOOK_SECRET", ""); v != "" {
		if len(v) < 16 {
			bad("WEBHOOK_SECRET", "is %d characters long; use at least 16 random characters", len(v))
		}
		c.WebhookSecret = []byte(v)
	}
}

// redact hides all but the start of a secret-bearing value in messages.
func redact(s string) string {
	if owner, _, ok := strings.Cut(s, ":"); ok {
		return owner + ":…"
	}
	if len(s) > 4 {
		return s[:4] + "…"
	}
	return s
}

func (c *Config) requireBuckets(bad func(string, string, ...any)) {
	for _, b := range []struct{ name, value string }{{"INPUT_BUCKET", c.InputBucket}, {"OUTPUT_BUCKET", c.OutputBucket}} {
		if !bucketName.MatchString(b.value) {
			bad(b.name, "%q is not an S3 bucket name (3-63 of a-z 0-9 . -); ENGINE=%s needs it", b.value, c.Engine)
		}
	}
}

func (c *Config) loadLocal(get func(string, string) string, bad func(string, string, ...any)) {
	if c.InputBucket == "" {
		c.InputBucket = "transcoder-input"
	}
	if c.OutputBucket == "" {
		c.OutputBucket = "transcoder-output"
	}
	c.requireBuckets(bad)
	c.Local.S3Addr = get("LOCAL_S3_ADDR", "127.0.0.1:8081")
	if _, port, err := net.SplitHostPort(c.Local.S3Addr); err != nil || port == "" {
		bad("LOCAL_S3_ADDR", "%q is not host:port (for example 127.0.0.1:8081)", c.Local.S3Addr)
	}
	c.Local.FFmpeg = get("FFMPEG", "ffmpeg")
	c.Local.FFprobe = get("FFPROBE", "ffprobe")
	c.Local.Concurrency = runtime.NumCPU()
	if v := get("LOCAL_CONCURRENCY", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			bad("LOCAL_CONCURRENCY", "%q is not a number from 1 to 64", v)
		}
		c.Local.Concurrency = n
	}
	if v := get("LOCAL_SNS_DUPLICATES", "0"); v != "" {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			bad("LOCAL_SNS_DUPLICATES", "%q is not a probability from 0 to 1", v)
		}
		c.Local.Duplicates = p
	}
	d, err := time.ParseDuration(get("LOCAL_SNS_REORDER", "0"))
	if err != nil || d < 0 || d > time.Minute {
		bad("LOCAL_SNS_REORDER", "%q is not a Go duration from 0 to 1m (for example 200ms)", get("LOCAL_SNS_REORDER", ""))
	}
	c.Local.Reorder = d
}
