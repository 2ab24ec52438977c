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
	keySessionSecret      = "sessionSecret"
	keyWebhookSecret      = "webhookSecret"
	keyAPIKeys            = "apiKeys"
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
	// The app refuses to start on Lambda with shorter secrets.
	minSessionSecretLength = 32
	minWebhookSecretLength = 16
	minAPIKeyLength        = 16
)

// maxSlugLength keeps the longest derived name, the output bucket
// "<slug>-output-<12-digit account>", within S3's 63 characters.
const maxSlugLength = 43

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	prStack       = regexp.MustCompile(`^pr-\d+$`)
	logLevels     = []string{"debug", "info", "warn", "error"}
	// apiKeyOwner is the app's rule for the owner of an API key.
	apiKeyOwner = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
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
	// AllowedOrigins may also upload straight from a browser into the
	// input bucket, besides the service's own page, which always may
	// (transcoder:allowedOrigins).
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
	// SessionSecret signs the app's browser session cookies and CSRF
	// tokens, kept secret end to end (transcoder:sessionSecret).
	SessionSecret pulumi.StringOutput
	// WebhookSecret signs the app's webhook calls; nil when unset, which
	// turns job callbacks off (transcoder:webhookSecret).
	WebhookSecret pulumi.StringInput
	// APIKeys are the API clients' bearer keys as comma-separated
	// owner:key pairs; nil when unset (transcoder:apiKeys).
	APIKeys pulumi.StringInput
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
	src := contextSource{ctx}
	cfg, err := ParseConfig(ctx.Project(), ctx.Stack(), src)
	if err != nil {
		return nil, err
	}
	secret := func(key string) pulumi.StringOutput {
		v, _ := lookup(src, qualified(key))
		return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
	}
	cfg.APIToken = secret(keyAPIToken)
	cfg.SessionSecret = secret(keySessionSecret)
	if _, ok := lookup(src, qualified(keyWebhookSecret)); ok {
		cfg.WebhookSecret = secret(keyWebhookSecret)
	}
	if _, ok := lookup(src, qualified(keyAPIKeys)); ok {
		cfg.APIKeys = secret(keyAPIKeys)
	}
	return cfg, nil
}

// ParseConfig validates the configuration of one stack. The error lists every
// bad key, each with the allowed values, so one preview shows them all.
// Secrets are checked but not kept: LoadConfig wraps them as secrets.
func ParseConfig(project, stack string, src Source) (*Config, error) {
	var errs []error
	bad := func(key, value, format string, args ...any) {
		errs = append(errs, &ConfigError{Key: key, Value: value, Reason: fmt.Sprintf(format, args...)})
	}
	get := func(key string) (string, bool) { return lookup(src, key) }
	ns := qualified
	// secret checks a key that must be stored encrypted and returns its
	// value if it is acceptable. The value never appears in a message.
	secret := func(key string, required bool, minLength int, placeholder string) (string, bool) {
		switch v, ok := get(ns(key)); {
		case !ok:
			if required {
				bad(ns(key), "", "is required: pulumi config set --secret %s \"$(openssl rand -hex 32)\"", ns(key))
			}
		case !src.IsSecret(ns(key)):
			bad(ns(key), "", "is stored in plain text; store it encrypted: pulumi config set --secret %s %s", ns(key), placeholder)
		case len(v) < minLength:
			bad(ns(key), "", "is too short; allowed values: a secret of at least %d characters", minLength)
		default:
			return v, true
		}
		return "", false
	}

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

	token, _ := secret(keyAPIToken, true, minAPITokenLength, "<token>")
	secret(keySessionSecret, true, minSessionSecretLength, "<secret>")
	secret(keyWebhookSecret, false, minWebhookSecretLength, "<secret>")
	if keys, ok := secret(keyAPIKeys, false, 0, "<owner>:<key>,..."); ok {
		for _, reason := range checkAPIKeys(keys, token) {
			bad(ns(keyAPIKeys), "", "%s; allowed values: comma-separated owner:key pairs, an owner being 1 to 63 of a-z 0-9 _ - "+
				"starting with a letter or digit but not with s-, a key at least %d characters; no owner or key twice, "+
				"and no key equal to %s", reason, minAPIKeyLength, ns(keyAPIToken))
		}
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

// lookup returns a key's value without surrounding spaces, and whether it is
// set to anything else.
func lookup(src Source, key string) (string, bool) {
	v, ok := src.Get(key)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// checkAPIKeys returns why the app would refuse keys, API_KEYS as it reads
// it: comma-separated owner:key pairs, blanks ignored. A pair is named by its
// position only: a misplaced key may sit where the owner should be.
func checkAPIKeys(keys, apiToken string) []string {
	var reasons []string
	owners, seen := map[string]int{}, map[string]int{}
	n := 0
	for _, pair := range strings.Split(keys, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		n++
		owner, key, ok := strings.Cut(pair, ":")
		switch {
		case !ok:
			reasons = append(reasons, fmt.Sprintf("pair %d is not owner:key", n))
		case !apiKeyOwner.MatchString(owner):
			reasons = append(reasons, fmt.Sprintf("pair %d has a malformed owner", n))
		case strings.HasPrefix(owner, "s-"):
			reasons = append(reasons, fmt.Sprintf("pair %d has an owner starting with s-, which browser sessions use", n))
		case len(key) < minAPIKeyLength:
			reasons = append(reasons, fmt.Sprintf("pair %d has a key shorter than %d characters", n, minAPIKeyLength))
		case owners[owner] != 0:
			reasons = append(reasons, fmt.Sprintf("pairs %d and %d have the same owner", owners[owner], n))
		case seen[key] != 0:
			reasons = append(reasons, fmt.Sprintf("pairs %d and %d have the same key", seen[key], n))
		case key == apiToken:
			reasons = append(reasons, fmt.Sprintf("pair %d reuses transcoder:apiToken, the operator's token, as its key", n))
		default:
			owners[owner], seen[key] = n, n
		}
	}
	return reasons
}

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
