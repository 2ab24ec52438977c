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
	"strings"
	"time"
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

// The engines the service understands.
const (
	MediaConvert      Engine = "mediaconvert"
	ElasticTranscoder Engine = "elastictranscoder"
)

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
	// TopicARNs is the allow-list of SNS topics (SNS_TOPIC_ARNS).
	TopicARNs []string
	// MaxAge is how old a delivered message may be; 0 turns the check off
	// (SNS_MAX_AGE).
	MaxAge time.Duration
	// CertDir holds pinned SNS signing certificates (SNS_CERT_DIR).
	CertDir string
	// APIToken is the operator's bearer token for the jobs API (API_TOKEN).
	APIToken string
	// APITokenGenerated is true when API_TOKEN was unset and APIToken was
	// made up for this run.
	APITokenGenerated bool
	// Engine selects whose events are decoded besides MediaConvert's (ENGINE).
	Engine Engine
	// OutputBucket is the bucket the legacy Elastic Transcoder pipeline writes
	// to; its notifications name only keys (OUTPUT_BUCKET).
	OutputBucket string
	// LogLevel is the least severe level logged (LOG_LEVEL).
	LogLevel slog.Level
	// ShutdownTimeout bounds the wait for in-flight requests on SIGTERM
	// (SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// Lambda is true when the process runs on AWS Lambda
	// (AWS_LAMBDA_RUNTIME_API is set by the runtime).
	Lambda bool
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
	{"SNS_TOPIC_ARNS", "", "comma-separated allow-list of SNS topic ARNs; deliveries from any other topic get 403"},
	{"SNS_MAX_AGE", "1h", "oldest accepted message Timestamp (Go duration; 0 turns the check off)"},
	{"SNS_CERT_DIR", "", "directory of pinned SNS signing certificates, named as their URL's last segment"},
	{"API_TOKEN", "generated per run", "operator's bearer token for the jobs API"},
	{"ENGINE", "mediaconvert", "transcoding engine: mediaconvert or elastictranscoder (legacy)"},
	{"OUTPUT_BUCKET", "", "output bucket of the Elastic Transcoder pipeline (required with ENGINE=elastictranscoder)"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"SHUTDOWN_TIMEOUT", "10s", "how long SIGTERM waits for in-flight requests"},
}

var (
	topicARN  = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	tableName = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
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
		Addr:          get("ADDR", "127.0.0.1:8080"),
		DataDir:       get("DATA_DIR", "./data"),
		Store:         Store(get("STORE", string(SQLite))),
		DynamoDBTable: get("DYNAMODB_TABLE", ""),
		CertDir:       get("SNS_CERT_DIR", ""),
		APIToken:      get("API_TOKEN", ""),
		Engine:        Engine(get("ENGINE", string(MediaConvert))),
		OutputBucket:  get("OUTPUT_BUCKET", ""),
		Lambda:        getenv("AWS_LAMBDA_RUNTIME_API") != "",
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
	case MediaConvert:
	case ElasticTranscoder:
		if c.OutputBucket == "" {
			bad("OUTPUT_BUCKET", "is required with ENGINE=elastictranscoder: Elastic Transcoder notifications name only keys in the pipeline's output bucket")
		}
	default:
		bad("ENGINE", "%q is not an engine: use mediaconvert or elastictranscoder", c.Engine)
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
	if len(errs) > 0 {
		return nil, fmt.Errorf("configuration is invalid:\n%w", errors.Join(errs...))
	}
	return c, nil
}
