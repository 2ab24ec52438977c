// Package config reads the service's configuration from the environment once,
// into a typed struct, and says exactly which variable is wrong and how to fix
// it when one is.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"transcoder/app/settings"
)

// Store names where jobs are kept: the settings package's, which the
// Pulumi program writes into the function's STORE.
type Store = settings.Store

// The stores the service can keep jobs in.
const (
	SQLite   = settings.SQLite
	DynamoDB = settings.DynamoDB
)

// Engine names the transcoding engine the service starts jobs on and whose
// events it decodes: the settings package's, which the Pulumi program uses
// too.
type Engine = settings.Engine

// The engines the service can start jobs on.
const (
	Local             = settings.Local
	MediaConvert      = settings.MediaConvert
	ElasticTranscoder = settings.ElasticTranscoder
)

// LogFormat says how log lines are written.
type LogFormat string

// The log formats.
const (
	LogAuto LogFormat = "auto"
	LogText LogFormat = "text"
	LogJSON LogFormat = "json"
)

// SignIn says who may get a browser session: the settings package's, which
// the Pulumi program uses too.
type SignIn = settings.SignIn

// The sign-in modes.
const (
	// Anonymous gives every new browser an owner of its own: right for one
	// machine, where only its user reaches the page.
	Anonymous = settings.Anonymous
	// Invite gives a session only to a browser that opens an invite link
	// the operator made (POST /invites): right for anything in public.
	Invite = settings.Invite
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
	// GCPercent is the garbage collector's heap growth (GOGC), -1 for off.
	GCPercent int
	// MemoryLimit, when not 0, is the soft memory limit the service sets:
	// 80% of the function's memory on Lambda unless GOMEMLIMIT is set, in
	// which case the Go runtime has applied that itself.
	MemoryLimit int64
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
type Var = settings.Var

// Vars lists every variable Load reads; the settings package owns the list,
// so that the Pulumi program sets only variables the service reads.
var Vars = settings.Vars

var (
	tableName  = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// reader reads variables through getenv and gathers every complaint about
// them, so that Load reports all bad variables at once.
type reader struct {
	getenv func(string) string
	errs   []error
}

// get returns the variable's value without surrounding spaces, or def when
// it is unset or blank.
func (r *reader) get(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// bad records that the variable is wrong; the message starts with its name.
func (r *reader) bad(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("  %s: "+format, append([]any{name}, args...)...))
}

// Load reads the configuration through getenv (os.Getenv in production) and
// validates it. The error lists every bad variable, each with what is wrong
// and what is allowed.
func Load(getenv func(string) string) (*Config, error) {
	r := &reader{getenv: getenv}
	c := &Config{
		Addr:                 r.get(settings.EnvAddr, "127.0.0.1:8080"),
		DataDir:              r.get(settings.EnvDataDir, "./data"),
		Store:                Store(r.get(settings.EnvStore, string(SQLite))),
		DynamoDBTable:        r.get(settings.EnvDynamoDBTable, ""),
		CertDir:              r.get(settings.EnvSNSCertDir, ""),
		APIToken:             r.get(settings.EnvAPIToken, ""),
		Engine:               Engine(r.get(settings.EnvEngine, string(Local))),
		InputBucket:          r.get(settings.EnvInputBucket, ""),
		OutputBucket:         r.get(settings.EnvOutputBucket, ""),
		MediaConvertRoleARN:  r.get(settings.EnvMediaConvertRoleARN, ""),
		MediaConvertQueueARN: r.get(settings.EnvMediaConvertQueueARN, ""),
		PipelineID:           r.get(settings.EnvPipelineID, ""),
		Lambda:               getenv(settings.EnvLambdaRuntimeAPI) != "",
		CPUProfile:           r.get(settings.EnvCPUProfile, ""),
	}
	c.loadServer(r)
	c.loadSNS(r)
	c.loadEngine(r)
	c.loadLogging(r)
	c.loadRuntime(r)
	c.loadToken(r)
	c.loadSecrets(r)
	c.loadAccess(r)
	c.loadSubscription(r)
	c.loadRetention(r)
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("configuration is invalid:\n%w", errors.Join(r.errs...))
	}
	return c, nil
}

// loadServer checks where the service listens and keeps its jobs.
func (c *Config) loadServer(r *reader) {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		r.bad(settings.EnvAddr, "%q is not host:port (for example 127.0.0.1:8080 or :8080)", c.Addr)
	}
	switch c.Store {
	case SQLite:
		if abs, err := filepath.Abs(c.DataDir); err != nil {
			r.bad(settings.EnvDataDir, "%q is not a usable path: %v", c.DataDir, err)
		} else {
			c.DataDir = abs
		}
	case DynamoDB:
		if !tableName.MatchString(c.DynamoDBTable) {
			r.bad(settings.EnvDynamoDBTable, "%q is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -); STORE=dynamodb needs it", c.DynamoDBTable)
		}
	default:
		r.bad(settings.EnvStore, "%q is not a store: use sqlite or dynamodb", c.Store)
	}
}

// loadSNS reads which topics may deliver to the endpoint, and how.
func (c *Config) loadSNS(r *reader) {
	for _, arn := range strings.Split(r.get(settings.EnvSNSTopicARNs, ""), ",") {
		arn = strings.TrimSpace(arn)
		if arn == "" {
			continue
		}
		if !settings.IsTopicARN(arn) {
			r.bad(settings.EnvSNSTopicARNs, "%q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)", arn)
			continue
		}
		c.TopicARNs = append(c.TopicARNs, arn)
	}
	var err error
	if c.MaxAge, err = settings.ParseDuration(r.get(settings.EnvSNSMaxAge, "1h"), 0, settings.MaxDuration); err != nil {
		r.bad(settings.EnvSNSMaxAge, "%q is not a non-negative Go duration (for example 1h, 15m, or 0 to turn the check off)", r.getenv(settings.EnvSNSMaxAge))
	}
	if c.CertDir != "" {
		if st, err := os.Stat(c.CertDir); err != nil || !st.IsDir() {
			r.bad(settings.EnvSNSCertDir, "%q is not a directory of pinned certificates", c.CertDir)
		}
	}
}

// loadRuntime reads the Go runtime's tuning. The runtime reads GOGC and
// GOMEMLIMIT itself before the service starts (and stops on a malformed
// GOMEMLIMIT); the service sets its own default GOGC, and on Lambda, where
// memory is fixed and running out ends the instance, a soft limit below it.
func (c *Config) loadRuntime(r *reader) {
	switch gogc := r.get(settings.EnvGOGC, settings.DefaultGOGC); gogc {
	case "off":
		c.GCPercent = -1
	default:
		n, err := strconv.Atoi(gogc)
		if err != nil || n < 1 {
			r.bad(settings.EnvGOGC, "%q is not a percentage: use a whole number such as %s (Go's own default is 100), or off", gogc, settings.DefaultGOGC)
		}
		c.GCPercent = n
	}
	if !c.Lambda || r.get(settings.EnvGOMEMLIMIT, "") != "" {
		return
	}
	if mb, err := strconv.Atoi(r.getenv(settings.EnvLambdaMemory)); err == nil && mb > 0 {
		c.MemoryLimit = int64(mb) << 20 * 8 / 10
	}
}

// loadLogging reads how the service logs and how long it takes to stop.
func (c *Config) loadLogging(r *reader) {
	switch c.LogFormat = LogFormat(r.get(settings.EnvLogFormat, string(LogAuto))); c.LogFormat {
	case LogAuto, LogText, LogJSON:
	default:
		r.bad(settings.EnvLogFormat, "%q is not a log format: use auto, text or json", c.LogFormat)
	}
	if err := c.LogLevel.UnmarshalText([]byte(r.get(settings.EnvLogLevel, "info"))); err != nil {
		r.bad(settings.EnvLogLevel, "%q is not a level: use debug, info, warn or error", r.getenv(settings.EnvLogLevel))
	}
	var err error
	if c.ShutdownTimeout, err = settings.ParseDuration(r.get(settings.EnvShutdownTimeout, "10s"), 1, settings.MaxDuration); err != nil {
		r.bad(settings.EnvShutdownTimeout, "%q is not a positive Go duration (for example 10s)", r.getenv(settings.EnvShutdownTimeout))
	}
}
