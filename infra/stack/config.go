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

	"transcoder/app/settings"
)

// Namespace is the configuration namespace every key of this program lives in
// (`pulumi config set transcoder:engine mediaconvert`).
const Namespace = "transcoder"

// Engine names the AWS service that transcodes uploaded media: the app's
// own type, which the program passes to it as ENGINE.
type Engine = settings.Engine

// The engines the program can declare.
const (
	// MediaConvert is AWS Elemental MediaConvert, the default engine.
	MediaConvert = settings.MediaConvert
	// ElasticTranscoder is the seed's Amazon Elastic Transcoder pipeline,
	// kept as an opt-in legacy engine: AWS discontinued the service on
	// 2025-11-13 and no new pipeline can be created.
	ElasticTranscoder = settings.ElasticTranscoder
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

// SignIn says who may get a browser session from the app (its SIGN_IN): the
// app's own type.
type SignIn = settings.SignIn

// The sign-in modes.
const (
	// InviteSignIn gives a session only to a browser that opens an invite
	// link: the default, and the only safe mode for a public URL.
	InviteSignIn = settings.Invite
	// AnonymousSignIn gives every new browser an owner of its own.
	AnonymousSignIn = settings.Anonymous
)

// Config keys, without the namespace.
const (
	keyEngine             = "engine"
	keyEphemeral          = "ephemeral"
	keyAllowedOrigins     = "allowedOrigins"
	keyInputRetentionDays = "inputRetentionDays"
	keyJobRetentionDays   = "jobRetentionDays"
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

// Config keys of who may use the service, and how much.
const (
	keySignIn = "signIn"
	// The per-owner quotas, passed to the app only when set.
	keyMaxUploadSize    = "maxUploadSize"
	keyMaxInputDuration = "maxInputDuration"
	keyJobsPerDay       = "jobsPerDay"
	keyJobsRunning      = "jobsRunning"
	keyJobsPerUpload    = "jobsPerUpload"
	// The whole-account caps.
	keyMaxConcurrentJobs   = "maxConcurrentJobs"
	keyMonthlyBudgetUSD    = "monthlyBudgetUsd"
	keyReservedConcurrency = "reservedConcurrency"
)

// Defaults for optional keys.
const (
	DefaultInputRetentionDays = 7
	// DefaultJobRetentionDays is the app's own default for
	// JOB_RETENTION_DAYS: jobs, and their outputs, are kept 90 days.
	DefaultJobRetentionDays = settings.DefaultJobRetentionDays
	// DefaultLambdaArchive is relative to infra/, the directory Pulumi runs
	// the program in; `make build-lambda` writes it.
	DefaultLambdaArchive = "../dist/lambda.zip"
	DefaultLogLevel      = "info"
	maxInputRetention    = 3650
)

// Defaults and bounds of who may use the service, and how much.
const (
	DefaultSignIn = InviteSignIn
	// DefaultMaxConcurrentJobs keeps a small public deployment's
	// MediaConvert spend to a few jobs' worth of minutes at a time.
	DefaultMaxConcurrentJobs = 5
	// DefaultMonthlyBudgetUSD is the monthly cost budget, in US dollars.
	DefaultMonthlyBudgetUSD = 50
	// maxQueueConcurrency bounds transcoder:maxConcurrentJobs; AWS further
	// holds a queue to the account's quota of concurrent jobs per
	// on-demand queue.
	maxQueueConcurrency = 1000
)

// maxSlugLength keeps the longest derived name, the output bucket
// "<slug>-output-<12-digit account>", within S3's 63 characters.
const maxSlugLength = 43

var (
	prStack   = regexp.MustCompile(`^pr-\d+$`)
	logLevels = []string{"debug", "info", "warn", "error"}
	// dollars is an amount of US dollars, cents at most.
	dollars = regexp.MustCompile(`^\d+(\.\d{1,2})?$`)
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
	// JobRetentionDays is how long a job is kept after it ends, and its
	// outputs after they are written; 0 keeps both for ever
	// (transcoder:jobRetentionDays, the app's JOB_RETENTION_DAYS).
	JobRetentionDays int
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
	// SignIn is who may get a browser session, passed to the app as
	// SIGN_IN whether set or not, so a deployed stack never depends on the
	// app's default (transcoder:signIn).
	SignIn SignIn
	// Quotas are the per-owner limits the app enforces.
	Quotas Quotas
	// MaxConcurrentJobs caps how many jobs the MediaConvert queue runs at
	// once, whoever submitted them (transcoder:maxConcurrentJobs).
	MaxConcurrentJobs int
	// MonthlyBudgetUSD is the monthly AWS Budgets cost budget of the
	// stack's resources, in US dollars (transcoder:monthlyBudgetUsd).
	MonthlyBudgetUSD float64
	// ReservedConcurrency, when positive, reserves (and so caps) the
	// function's concurrent executions; 0 leaves the function on the
	// account's unreserved pool (transcoder:reservedConcurrency). It is
	// off by default because a fresh account's concurrency quota may be
	// as low as 10, and AWS refuses a reservation that would leave fewer
	// than 10 unreserved.
	ReservedConcurrency int

	// warnings are said by Warnings: keys that are valid but have no
	// effect with this configuration.
	warnings []string
}

// Quotas are the app's per-owner limits as the stack sets them: each field
// holds the value of the app's environment variable, or "" when the key is
// unset, so that the app's own default applies. 0 turns a limit off.
type Quotas struct {
	// MaxUploadSize is MAX_UPLOAD_SIZE, bytes with an optional unit
	// (transcoder:maxUploadSize).
	MaxUploadSize string
	// MaxInputDuration is MAX_INPUT_DURATION, a Go duration
	// (transcoder:maxInputDuration).
	MaxInputDuration string
	// JobsPerDay is JOBS_PER_DAY (transcoder:jobsPerDay).
	JobsPerDay string
	// JobsRunning is JOBS_RUNNING, an owner's jobs running at once
	// (transcoder:jobsRunning).
	JobsRunning string
	// JobsPerUpload is JOBS_PER_UPLOAD (transcoder:jobsPerUpload).
	JobsPerUpload string
}

// Env returns the quotas that are set, keyed by the app's environment
// variable.
func (q Quotas) Env() map[string]string {
	env := map[string]string{}
	for name, v := range map[string]string{
		settings.EnvMaxUploadSize:    q.MaxUploadSize,
		settings.EnvMaxInputDuration: q.MaxInputDuration,
		settings.EnvJobsPerDay:       q.JobsPerDay,
		settings.EnvJobsRunning:      q.JobsRunning,
		settings.EnvJobsPerUpload:    q.JobsPerUpload,
	} {
		if v != "" {
			env[name] = v
		}
	}
	return env
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
	p := &parser{src: src, cfg: defaultConfig(project, stack)}
	p.parseNames()
	p.parseEngine()
	p.parseLifecycle()
	p.parseOrigins()
	p.parseOperations()
	p.parseSignIn()
	parseQuotas(p.get, p.bad, &p.cfg.Quotas)
	p.parseCaps()
	p.parseSecrets()
	if err := errors.Join(p.errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration of stack %q:\n%w", stack, err)
	}
	return p.cfg, nil
}

// defaultConfig is the configuration of a stack that sets no optional key.
func defaultConfig(project, stack string) *Config {
	return &Config{
		Project:            project,
		Stack:              stack,
		Engine:             MediaConvert,
		Ephemeral:          prStack.MatchString(stack),
		InputRetentionDays: DefaultInputRetentionDays,
		JobRetentionDays:   DefaultJobRetentionDays,
		Encryption:         ManagedEncryption,
		LambdaArchive:      DefaultLambdaArchive,
		LogLevel:           DefaultLogLevel,
		SignIn:             DefaultSignIn,
		MaxConcurrentJobs:  DefaultMaxConcurrentJobs,
		MonthlyBudgetUSD:   DefaultMonthlyBudgetUSD,
	}
}

// parser reads one stack's configuration into cfg and gathers every
// complaint about it.
type parser struct {
	src  Source
	cfg  *Config
	errs []error
}

// get returns a fully qualified key's value, and whether it is set.
func (p *parser) get(key string) (string, bool) { return lookup(p.src, key) }

// bad records that key, holding value, is wrong, and why.
func (p *parser) bad(key, value, format string, args ...any) {
	p.errs = append(p.errs, &ConfigError{Key: key, Value: value, Reason: fmt.Sprintf(format, args...)})
}

// parseNames checks what every physical name derives from: the stack's
// name and region.
func (p *parser) parseNames() {
	if slug := Slug(p.cfg.Project, p.cfg.Stack); len(slug) > maxSlugLength {
		p.bad("stack name", p.cfg.Stack, "makes the name prefix %q %d characters long; at most %d fit AWS name limits (use a shorter stack name)",
			slug, len(slug), maxSlugLength)
	}
	if v, ok := p.get(keyRegion); !ok {
		p.bad(keyRegion, "", "is required: pulumi config set aws:region <region>, e.g. eu-west-1")
	} else if !settings.IsRegion(v) {
		p.bad(keyRegion, v, "is not an AWS region name (like us-east-1 or eu-west-1)")
	} else {
		p.cfg.Region = v
	}
}

// parseEngine reads which AWS service transcodes.
func (p *parser) parseEngine() {
	v, ok := p.get(qualified(keyEngine))
	if !ok {
		return
	}
	switch e := Engine(v); e {
	case MediaConvert:
		p.cfg.Engine = e
	case ElasticTranscoder:
		p.cfg.Engine = e
		// Elastic Transcoder pipeline names hold at most 40 characters.
		if pipeline := Slug(p.cfg.Project, p.cfg.Stack) + "-pipeline"; len(pipeline) > 40 {
			p.bad(qualified(keyEngine), v, "needs a pipeline name of at most 40 characters, but %q has %d; allowed values: %s, or %s with a shorter stack name",
				pipeline, len(pipeline), MediaConvert, ElasticTranscoder)
		}
	default:
		p.bad(qualified(keyEngine), v, "is not an engine; allowed values: %s (default), %s (legacy)", MediaConvert, ElasticTranscoder)
	}
}

// parseLifecycle reads how long the stack and its data are kept.
func (p *parser) parseLifecycle() {
	if v, ok := p.get(qualified(keyEphemeral)); ok {
		if b, err := strconv.ParseBool(v); err != nil {
			p.bad(qualified(keyEphemeral), v, "is not a boolean; allowed values: true, false")
		} else {
			p.cfg.Ephemeral = b
		}
	}
	if v, ok := p.get(qualified(keyInputRetentionDays)); ok {
		if n, err := settings.ParseWholeNumber(v, 1, maxInputRetention); err != nil {
			p.bad(qualified(keyInputRetentionDays), v, "is not a number of days; allowed values: a whole number from 1 to %d", maxInputRetention)
		} else {
			p.cfg.InputRetentionDays = n
		}
	}
	if v, ok := p.get(qualified(keyJobRetentionDays)); ok {
		if n, err := settings.ParseWholeNumber(v, 0, settings.MaxJobRetentionDays); err != nil {
			p.bad(qualified(keyJobRetentionDays), v, "is not a number of days; allowed values: a whole number from 0 (keep jobs and outputs for ever) "+
				"to %d, or unset for the app's default, %d", settings.MaxJobRetentionDays, DefaultJobRetentionDays)
		} else {
			p.cfg.JobRetentionDays = n
		}
	}
}

// parseOrigins reads the web pages that may upload into the input bucket.
func (p *parser) parseOrigins() {
	v, ok := p.get(qualified(keyAllowedOrigins))
	if !ok {
		return
	}
	origins, err := parseList(v)
	if err != nil {
		p.bad(qualified(keyAllowedOrigins), v, "is not a list; allowed values: a YAML/JSON list of origins or a comma-separated string")
	}
	for _, o := range origins {
		if reason := checkOrigin(o); reason != "" {
			p.bad(qualified(keyAllowedOrigins), o, "%s; allowed values: https://host[:port], or http://localhost[:port] for development", reason)
			continue
		}
		if !slices.Contains(p.cfg.AllowedOrigins, o) {
			p.cfg.AllowedOrigins = append(p.cfg.AllowedOrigins, o)
		}
	}
}

// parseOperations reads how the stack is run: who hears of alarms, which
// keys encrypt, which archive the functions run, and how they log.
func (p *parser) parseOperations() {
	if v, ok := p.get(qualified(keyAlarmEmail)); ok {
		if addr, err := mail.ParseAddress(v); err != nil || addr.Address != v {
			p.bad(qualified(keyAlarmEmail), v, "is not an e-mail address; allowed values: a bare address like ops@example.com, or unset for no alarm e-mail")
		} else {
			p.cfg.AlarmEmail = v
		}
	}
	if v, ok := p.get(qualified(keyEncryption)); ok {
		switch e := EncryptionMode(v); e {
		case ManagedEncryption, KMSEncryption:
			p.cfg.Encryption = e
		default:
			p.bad(qualified(keyEncryption), v, "is not an encryption mode; allowed values: %s (default: AWS-managed keys), %s (one customer-managed KMS key)",
				ManagedEncryption, KMSEncryption)
		}
	}
	if v, ok := p.get(qualified(keyLambdaArchive)); ok {
		if !strings.HasSuffix(v, ".zip") {
			p.bad(qualified(keyLambdaArchive), v, "is not a zip file; allowed values: a path to the .zip built by `make build-lambda`, relative to infra/")
		} else {
			p.cfg.LambdaArchive = v
		}
	}
	if v, ok := p.get(qualified(keyLogLevel)); ok {
		if !slices.Contains(logLevels, v) {
			p.bad(qualified(keyLogLevel), v, "is not a log level; allowed values: %s", strings.Join(logLevels, ", "))
		} else {
			p.cfg.LogLevel = v
		}
	}
}

// parseSignIn reads who may get a browser session.
func (p *parser) parseSignIn() {
	v, ok := p.get(qualified(keySignIn))
	if !ok {
		return
	}
	switch m := SignIn(v); m {
	case InviteSignIn, AnonymousSignIn:
		p.cfg.SignIn = m
	default:
		p.bad(qualified(keySignIn), v, "is not a sign-in mode; allowed values: %s (default: only a browser that opens an invite link gets a session), "+
			"%s (every new browser gets an owner)", InviteSignIn, AnonymousSignIn)
	}
}

// parseCaps reads the whole-account caps: concurrent jobs, monthly cost and
// reserved executions.
func (p *parser) parseCaps() {
	if v, ok := p.get(qualified(keyMaxConcurrentJobs)); ok {
		n, err := settings.ParseWholeNumber(v, 1, maxQueueConcurrency)
		switch {
		case err != nil:
			p.bad(qualified(keyMaxConcurrentJobs), v, "is not a number of jobs; allowed values: a whole number from 1 to %d (default %d), "+
				"within this account's MediaConvert quota of concurrent jobs per on-demand queue", maxQueueConcurrency, DefaultMaxConcurrentJobs)
		case p.cfg.Engine != MediaConvert:
			p.cfg.warnings = append(p.cfg.warnings, fmt.Sprintf("%s is set, but only the %s engine has a queue to cap: it has no effect with %s.",
				qualified(keyMaxConcurrentJobs), MediaConvert, p.cfg.Engine))
		default:
			p.cfg.MaxConcurrentJobs = n
		}
	}
	if v, ok := p.get(qualified(keyMonthlyBudgetUSD)); ok {
		if amount, err := strconv.ParseFloat(v, 64); !dollars.MatchString(v) || err != nil || amount <= 0 {
			p.bad(qualified(keyMonthlyBudgetUSD), v, "is not an amount; allowed values: a positive number of US dollars with at most two decimals, like 50 (the default) or 12.50")
		} else {
			p.cfg.MonthlyBudgetUSD = amount
		}
	}
	if v, ok := p.get(qualified(keyReservedConcurrency)); ok {
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			p.bad(qualified(keyReservedConcurrency), v, "is not a number of executions; allowed values: a whole number from 1, at most the account's "+
				"Lambda concurrency quota less the 10 AWS keeps unreserved, or unset (the default) to reserve none")
		} else {
			p.cfg.ReservedConcurrency = n
		}
	}
}

// parseSecrets checks the secrets with the app's own rules; their values
// never appear in a message.
func (p *parser) parseSecrets() {
	token, _ := p.secret(keyAPIToken, true, settings.MinAPITokenLength, "<token>")
	p.secret(keySessionSecret, true, settings.MinSessionSecretLength, "<secret>")
	p.secret(keyWebhookSecret, false, settings.MinWebhookSecretLength, "<secret>")
	keys, ok := p.secret(keyAPIKeys, false, 0, "<owner>:<key>,...")
	if !ok {
		return
	}
	_, errs := settings.ParseAPIKeys(keys, token)
	for _, e := range errs {
		reason := e.Error()
		if e.Problem == settings.OperatorKey {
			reason = fmt.Sprintf("pair %d reuses %s, the operator's token, as its key", e.Pair, qualified(keyAPIToken))
		}
		p.bad(qualified(keyAPIKeys), "", "%s; allowed values: comma-separated owner:key pairs, an owner being 1 to 63 of a-z 0-9 _ - "+
			"starting with a letter or digit but not with s-, a key at least %d characters; no owner or key twice, "+
			"and no key equal to %s", reason, settings.MinAPIKeyLength, qualified(keyAPIToken))
	}
}

// secret checks a key that must be stored encrypted and returns its value
// if it is acceptable.
func (p *parser) secret(key string, required bool, minLength int, placeholder string) (string, bool) {
	switch v, ok := p.get(qualified(key)); {
	case !ok:
		if required {
			p.bad(qualified(key), "", "is required: pulumi config set --secret %s \"$(openssl rand -hex 32)\"", qualified(key))
		}
	case !p.src.IsSecret(qualified(key)):
		p.bad(qualified(key), "", "is stored in plain text; store it encrypted: pulumi config set --secret %s %s", qualified(key), placeholder)
	case len(v) < minLength:
		p.bad(qualified(key), "", "is too short; allowed values: a secret of at least %d characters", minLength)
	default:
		return v, true
	}
	return "", false
}

// parseQuotas reads the per-owner quotas with the app's own rules, so that a
// value the app would refuse at start-up fails the preview instead.
func parseQuotas(get func(string) (string, bool), bad func(key, value, format string, args ...any), q *Quotas) {
	if v, ok := get(qualified(keyMaxUploadSize)); ok {
		if _, err := settings.ParseSize(v); err == nil {
			q.MaxUploadSize = v
		} else {
			bad(qualified(keyMaxUploadSize), v, "is not a size; allowed values: a whole number of bytes, alone or with a unit "+
				"B, KB, MB, GB, TB, KiB, MiB, GiB or TiB (500MB, 2GiB), 0 for no limit, or unset for the app's default, %s", settings.DefaultMaxUploadSize)
		}
	}
	if v, ok := get(qualified(keyMaxInputDuration)); ok {
		if _, err := settings.ParseDuration(v, 0, settings.MaxDuration); err == nil {
			q.MaxInputDuration = v
		} else {
			bad(qualified(keyMaxInputDuration), v, "is not a duration; allowed values: a non-negative Go duration (30m, 1h30m), "+
				"0 for no limit, or unset for the app's default, %s", settings.DefaultMaxInputDuration)
		}
	}
	for _, c := range []struct {
		key, def string
		to       *string
	}{
		{keyJobsPerDay, settings.DefaultJobsPerDay, &q.JobsPerDay},
		{keyJobsRunning, settings.DefaultJobsRunning, &q.JobsRunning},
		{keyJobsPerUpload, settings.DefaultJobsPerUpload, &q.JobsPerUpload},
	} {
		v, ok := get(qualified(c.key))
		if !ok {
			continue
		}
		if n, err := settings.ParseWholeNumber(v, 0, settings.MaxQuota); err == nil {
			*c.to = strconv.Itoa(n)
		} else {
			bad(qualified(c.key), v, "is not a number of jobs; allowed values: a whole number from 0 (no limit) to %d, "+
				"or unset for the app's default, %s", settings.MaxQuota, c.def)
		}
	}
}

// Warnings are said at every preview and update: things that are allowed but
// deserve a human's attention.
func (c *Config) Warnings() []string {
	w := slices.Clone(c.warnings)
	if c.AlarmEmail == "" {
		w = append(w, fmt.Sprintf("%s is not set: nobody is told when the stack's monthly cost nears its budget of $%s (%s) or an alarm fires. "+
			"Set an address: pulumi config set %s ops@example.com",
			qualified(keyAlarmEmail), formatDollars(c.MonthlyBudgetUSD), qualified(keyMonthlyBudgetUSD), qualified(keyAlarmEmail)))
	}
	if c.SignIn == AnonymousSignIn {
		w = append(w, fmt.Sprintf("%s is %s: anyone who finds the URL gets a browser session and may upload and transcode; "+
			"the per-owner quotas do not hold back someone who opens a new browser. Use %s (the default) for anything public.",
			qualified(keySignIn), AnonymousSignIn, InviteSignIn))
	}
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

// formatDollars writes an amount as AWS Budgets and people read it: 50,
// 12.5.
func formatDollars(amount float64) string { return strconv.FormatFloat(amount, 'f', -1, 64) }

// lookup returns a key's value without surrounding spaces, and whether it is
// set to anything else.
func lookup(src Source, key string) (string, bool) {
	v, ok := src.Get(key)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
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
