package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Namespace is the configuration namespace every key of this program lives in
// (`pulumi config set transcoder:engine mediaconvert`).
const Namespace = "transcoder"

// Engine names the AWS service that transcodes uploaded media.
type Engine string

// The engines the program can declare.
const (
	// MediaConvert is AWS Elemental MediaConvert, the default engine.
	MediaConvert Engine = "mediaconvert"
	// ElasticTranscoder is the seed's Amazon Elastic Transcoder pipeline,
	// kept as an opt-in legacy engine: AWS discontinued the service on
	// 2025-11-13 and no new pipeline can be created.
	ElasticTranscoder Engine = "elastictranscoder"
)

// EncryptionMode says which keys encrypt data at rest and in the topic.
type EncryptionMode string

// The encryption modes.
const (
	// ManagedEncryption uses SSE-S3 for the buckets, SSE-SQS for the
	// dead-letter queue and AWS-owned keys for the table. The topic stays
	// unencrypted: EventBridge cannot use the AWS-managed SNS key.
	ManagedEncryption EncryptionMode = "managed"
	// KMSEncryption adds one customer-managed KMS key that encrypts the
	// buckets, the topics, the dead-letter queue, the table and the
	// function's environment.
	KMSEncryption EncryptionMode = "kms"
)

// Config keys, without the namespace.
const (
	keyEngine             = "engine"
	keyEphemeral          = "ephemeral"
	keyAllowedOrigins     = "allowedOrigins"
	keyInputRetentionDays = "inputRetentionDays"
	keyAlarmEmail         = "alarmEmail"
	keyEncryption         = "encryption"
	keyLambdaArchive      = "lambdaArchive"
	keyAPIToken           = "apiToken"
	keyLogLevel           = "logLevel"
	keyRegion             = "aws:region"
)

// Defaults for optional keys.
const (
	DefaultInputRetentionDays = 7
	// DefaultLambdaArchive is relative to infra/, the directory Pulumi runs
	// the program in; `make build-lambda` writes it.
	DefaultLambdaArchive = "../dist/lambda.zip"
	DefaultLogLevel      = "info"
	maxInputRetention    = 3650
	minAPITokenLength    = 16
)

// maxSlugLength keeps the longest derived name, the output bucket
// "<slug>-output-<12-digit account>", within S3's 63 characters.
const maxSlugLength = 43

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	prStack       = regexp.MustCompile(`^pr-\d+$`)
	logLevels     = []string{"debug", "info", "warn", "error"}
)

// Config is the whole configuration of one stack, read once and validated
// before any resource is declared.
type Config struct {
	// Project and Stack name the deployment; every physical name derives
	// from them.
	Project, Stack string
	// Region is the AWS region (aws:region).
	Region string
	// Engine selects the transcoding service (transcoder:engine).
	Engine Engine
	// Ephemeral stacks (previews, pull requests) are torn down freely:
	// buckets are force-destroyed, nothing is protected, logs are kept
	// briefly (transcoder:ephemeral).
	Ephemeral bool
	// AllowedOrigins may upload straight from a browser into the input
	// bucket; none means no CORS rule (transcoder:allowedOrigins).
	AllowedOrigins []string
	// InputRetentionDays is how long uploaded inputs are kept
	// (transcoder:inputRetentionDays).
	InputRetentionDays int
	// AlarmEmail, when set, receives every alarm (transcoder:alarmEmail).
	AlarmEmail string
	// Encryption selects AWS-managed or customer-managed keys
	// (transcoder:encryption).
	Encryption EncryptionMode
	// LambdaArchive is the zip holding the endpoint's bootstrap
	// (transcoder:lambdaArchive).
	LambdaArchive string
	// LogLevel is the endpoint's LOG_LEVEL (transcoder:logLevel).
	LogLevel string
	// APIToken is the bearer token of the jobs API, kept secret end to end
	// (transcoder:apiToken).
	APIToken pulumi.StringOutput
}

// ConfigError says which configuration key is wrong, what it held, and what
// would be accepted.
type ConfigError struct {
	Key    string
	Value  string
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("%s: %q %s", e.Key, e.Value, e.Reason)
}

// Source is where configuration values come from: the Pulumi context in a
// program, a map in tests.
type Source interface {
	// Get returns the raw value of a fully qualified key ("transcoder:engine").
	Get(key string) (string, bool)
	// IsSecret reports whether the key was stored encrypted.
	IsSecret(key string) bool
}

type contextSource struct{ ctx *pulumi.Context }

func (s contextSource) Get(key string) (string, bool) { return s.ctx.GetConfig(key) }
func (s contextSource) IsSecret(key string) bool      { return s.ctx.IsConfigSecret(key) }

// LoadConfig reads and validates the stack's configuration.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	cfg, err := ParseConfig(ctx.Project(), ctx.Stack(), contextSource{ctx})
	if err != nil {
		return nil, err
	}
	token, _ := ctx.GetConfig(qualified(keyAPIToken))
	cfg.APIToken = pulumi.ToSecret(pulumi.String(token)).(pulumi.StringOutput)
	return cfg, nil
}

// ParseConfig validates the configuration of one stack. The error lists every
// bad key, each with the allowed values, so one preview shows them all.
// The API token is checked but not kept: LoadConfig wraps it as a secret.
func ParseConfig(project, stack string, src Source) (*Config, error) {
	var errs []error
	bad := func(key, value, format string, args ...any) {
		errs = append(errs, &ConfigError{Key: key, Value: value, Reason: fmt.Sprintf(format, args...)})
	}
	get := func(key string) (string, bool) {
		v, ok := src.Get(key)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	ns := qualified

	cfg := &Config{
		Project:            project,
		Stack:              stack,
		Engine:             MediaConvert,
		Ephemeral:          prStack.MatchString(stack),
		InputRetentionDays: DefaultInputRetentionDays,
		Encryption:         ManagedEncryption,
		LambdaArchive:      DefaultLambdaArchive,
		LogLevel:           DefaultLogLevel,
	}

	if slug := Slug(project, stack); len(slug) > maxSlugLength {
		bad("stack name", stack, "makes the name prefix %q %d characters long; at most %d fit AWS name limits (use a shorter stack name)",
			slug, len(slug), maxSlugLength)
	}

	if v, ok := get(keyRegion); !ok {
		bad(keyRegion, "", "is required: pulumi config set aws:region <region>, e.g. eu-west-1")
	} else if !regionPattern.MatchString(v) {
		bad(keyRegion, v, "is not an AWS region name (like us-east-1 or eu-west-1)")
	} else {
		cfg.Region = v
	}

	if v, ok := get(ns(keyEngine)); ok {
		switch e := Engine(v); e {
		case MediaConvert:
			cfg.Engine = e
		case ElasticTranscoder:
			cfg.Engine = e
			// Elastic Transcoder pipeline names hold at most 40 characters.
			if pipeline := Slug(project, stack) + "-pipeline"; len(pipeline) > 40 {
				bad(ns(keyEngine), v, "needs a pipeline name of at most 40 characters, but %q has %d; allowed values: %s, or %s with a shorter stack name",
					pipeline, len(pipeline), MediaConvert, ElasticTranscoder)
			}
		default:
			bad(ns(keyEngine), v, "is not an engine; allowed values: %s (default), %s (legacy)", MediaConvert, ElasticTranscoder)
		}
	}

	if v, ok := get(ns(keyEphemeral)); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(ns(keyEphemeral), v, "is not a boolean; allowed values: true, false")
		} else {
			cfg.Ephemeral = b
		}
	}

	if v, ok := get(ns(keyAllowedOrigins)); ok {
		origins, err := parseList(v)
		if err != nil {
			bad(ns(keyAllowedOrigins), v, "is not a list; allowed values: a YAML/JSON list of origins or a comma-separated string")
		}
		for _, o := range origins {
			if reason := checkOrigin(o); reason != "" {
				bad(ns(keyAllowedOrigins), o, "%s; allowed values: https://host[:port], or http://localhost[:port] for development", reason)
				continue
			}
			if !slices.Contains(cfg.AllowedOrigins, o) {
				cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
			}
		}
	}

	if v, ok := get(ns(keyInputRetentionDays)); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxInputRetention {
			bad(ns(keyInputRetentionDays), v, "is not a number of days; allowed values: a whole number from 1 to %d", maxInputRetention)
		} else {
			cfg.InputRetentionDays = n
		}
	}

	if v, ok := get(ns(keyAlarmEmail)); ok {
		addr, err := mail.ParseAddress(v)
		if err != nil || addr.Address != v {
			bad(ns(keyAlarmEmail), v, "is not an e-mail address; allowed values: a bare address like ops@example.com, or unset for no alarm e-mail")
		} else {
			cfg.AlarmEmail = v
		}
	}

	if v, ok := get(ns(keyEncryption)); ok {
		switch e := EncryptionMode(v); e {
		case ManagedEncryption, KMSEncryption:
			cfg.Encryption = e
		default:
			bad(ns(keyEncryption), v, "is not an encryption mode; allowed values: %s (default: AWS-managed keys), %s (one customer-managed KMS key)",
				ManagedEncryption, KMSEncryption)
		}
	}

	if v, ok := get(ns(keyLambdaArchive)); ok {
		if !strings.HasSuffix(v, ".zip") {
			bad(ns(keyLambdaArchive), v, "is not a zip file; allowed values: a path to the .zip built by `make build-lambda`, relative to infra/")
		} else {
			cfg.LambdaArchive = v
		}
	}

	if v, ok := get(ns(keyLogLevel)); ok {
		if !slices.Contains(logLevels, v) {
			bad(ns(keyLogLevel), v, "is not a log level; allowed values: %s", strings.Join(logLevels, ", "))
		} else {
			cfg.LogLevel = v
		}
	}

	// The token's value never appears in a message.
	switch token, ok := get(ns(keyAPIToken)); {
	case !ok:
		bad(ns(keyAPIToken), "", "is required: pulumi config set --secret %s \"$(openssl rand -hex 32)\"", ns(keyAPIToken))
	case !src.IsSecret(ns(keyAPIToken)):
		bad(ns(keyAPIToken), "", "is stored in plain text; store it encrypted: pulumi config set --secret %s <token>", ns(keyAPIToken))
	case len(token) < minAPITokenLength:
		bad(ns(keyAPIToken), "", "is too short; allowed values: a secret of at least %d characters", minAPITokenLength)
	}

	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration of stack %q:\n%w", stack, err)
	}
	return cfg, nil
}

// Warnings are said at every preview and update: things that are allowed but
// deserve a human's attention.
func (c *Config) Warnings() []string {
	var w []string
	if c.Engine == ElasticTranscoder {
		w = append(w, "transcoder:engine is elastictranscoder: Amazon Elastic Transcoder was discontinued on 2025-11-13 "+
			"and no new pipeline can be created, so `pulumi up` will fail to create one; "+
			"this legacy engine is kept only as the seed wired it. Use transcoder:engine mediaconvert (the default).")
	}
	if !c.Ephemeral && prStack.MatchString(c.Stack) {
		w = append(w, fmt.Sprintf("stack %s looks like a pull-request stack but transcoder:ephemeral is false: "+
			"its stateful resources are protected and `pulumi destroy` will refuse to remove them.", c.Stack))
	}
	return w
}

func qualified(key string) string { return Namespace + ":" + key }

// parseList accepts a JSON list (how Pulumi passes structured config) or a
// comma-separated string.
func parseList(v string) ([]string, error) {
	var items []string
	if strings.HasPrefix(v, "[") {
		if err := json.Unmarshal([]byte(v), &items); err != nil {
			return nil, err
		}
	} else {
		items = strings.Split(v, ",")
	}
	out := items[:0]
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out, nil
}

// checkOrigin returns why o is not an acceptable CORS origin, or "".
func checkOrigin(o string) string {
	if o == "*" || strings.Contains(o, "*") {
		return "is a wildcard, which would let any web page upload into the input bucket"
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return "is not an origin"
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "has more than scheme, host and port (an origin has no path, not even a trailing slash)"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if h := u.Hostname(); h != "localhost" && h != "127.0.0.1" {
			return "uses plain http, which is allowed only for localhost"
		}
	default:
		return "is not an http(s) origin"
	}
	return ""
}
