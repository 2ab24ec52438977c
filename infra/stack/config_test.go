package stack_test

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"transcoder/infra/stack"
)

// mapSource is configuration held in a map, as `pulumi config` would pass it.
type mapSource struct {
	values  map[string]string
	secrets []string
}

func (m mapSource) Get(key string) (string, bool) { v, ok := m.values[key]; return v, ok }
func (m mapSource) IsSecret(key string) bool      { return slices.Contains(m.secrets, key) }

func parse(stackName string, overrides map[string]string) (*stack.Config, error) {
	values := baseConfig()
	maps.Copy(values, overrides)
	return stack.ParseConfig("transcoder", stackName, mapSource{values, secretKeys})
}

func TestParseConfigDefaultsToMediaConvertWithManagedKeys(t *testing.T) {
	t.Parallel()
	cfg, err := parse("dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := stack.Config{
		Project:            "transcoder",
		Stack:              "dev",
		Region:             "eu-west-1",
		Engine:             stack.MediaConvert,
		Ephemeral:          false,
		InputRetentionDays: stack.DefaultInputRetentionDays,
		JobRetentionDays:   90,
		Encryption:         stack.ManagedEncryption,
		LambdaArchive:      "../dist/lambda.zip",
		LogLevel:           "info",
		SignIn:             stack.InviteSignIn,
		MaxConcurrentJobs:  5,
		MonthlyBudgetUSD:   50,
	}
	got := *cfg
	got.APIToken, got.SessionSecret = want.APIToken, want.SessionSecret // secret outputs, checked elsewhere
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseConfigReadsEveryKey(t *testing.T) {
	t.Parallel()
	cfg, err := parse("prod", map[string]string{
		"transcoder:engine":              "elastictranscoder",
		"transcoder:ephemeral":           "true",
		"transcoder:allowedOrigins":      `["https://app.example.com", "http://localhost:5173", "https://app.example.com"]`,
		"transcoder:inputRetentionDays":  "30",
		"transcoder:jobRetentionDays":    "0",
		"transcoder:alarmEmail":          "ops@example.com",
		"transcoder:encryption":          "kms",
		"transcoder:lambdaArchive":       "/tmp/lambda.zip",
		"transcoder:logLevel":            "debug",
		"transcoder:signIn":              "anonymous",
		"transcoder:maxUploadSize":       "2GiB",
		"transcoder:maxInputDuration":    "1h30m",
		"transcoder:jobsPerDay":          "0",
		"transcoder:jobsRunning":         "4",
		"transcoder:jobsPerUpload":       "+7",
		"transcoder:monthlyBudgetUsd":    "12.50",
		"transcoder:reservedConcurrency": "25",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Engine != stack.ElasticTranscoder || !cfg.Ephemeral || cfg.InputRetentionDays != 30 || cfg.JobRetentionDays != 0 ||
		cfg.AlarmEmail != "ops@example.com" || cfg.Encryption != stack.KMSEncryption ||
		cfg.LambdaArchive != "/tmp/lambda.zip" || cfg.LogLevel != "debug" || cfg.SignIn != stack.AnonymousSignIn ||
		cfg.MonthlyBudgetUSD != 12.5 || cfg.ReservedConcurrency != 25 {
		t.Errorf("got %+v", cfg)
	}
	// The values go to the app as they were given, the counts in the form
	// the app writes them.
	wantQuotas := stack.Quotas{MaxUploadSize: "2GiB", MaxInputDuration: "1h30m", JobsPerDay: "0", JobsRunning: "4", JobsPerUpload: "7"}
	if cfg.Quotas != wantQuotas {
		t.Errorf("quotas %+v, want %+v", cfg.Quotas, wantQuotas)
	}
	if want := []string{"https://app.example.com", "http://localhost:5173"}; !slices.Equal(cfg.AllowedOrigins, want) {
		t.Errorf("allowed origins: got %v, want %v (deduplicated, in order)", cfg.AllowedOrigins, want)
	}
}

func TestParseConfigAcceptsCommaSeparatedOrigins(t *testing.T) {
	t.Parallel()
	cfg, err := parse("dev", map[string]string{"transcoder:allowedOrigins": "https://a.example.com, https://b.example.com:8443"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://a.example.com", "https://b.example.com:8443"}; !slices.Equal(cfg.AllowedOrigins, want) {
		t.Errorf("got %v, want %v", cfg.AllowedOrigins, want)
	}
}

func TestPullRequestStacksAreEphemeralUnlessConfiguredOtherwise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		stack     string
		ephemeral string
		want      bool
	}{
		{"pr-42", "", true},
		{"pr-42", "false", false},
		{"dev", "", false},
		{"dev", "true", true},
		{"prod", "", false},
		{"pr-feature", "", false},
	} {
		overrides := map[string]string{}
		if tc.ephemeral != "" {
			overrides["transcoder:ephemeral"] = tc.ephemeral
		}
		cfg, err := parse(tc.stack, overrides)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Ephemeral != tc.want {
			t.Errorf("stack %s with ephemeral %q: got ephemeral %v, want %v", tc.stack, tc.ephemeral, cfg.Ephemeral, tc.want)
		}
	}
}

func TestABadValueNamesTheKeyAndTheAllowedValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key, value string
		// want are fragments the message must hold besides the key.
		want []string
	}{
		{"transcoder:engine", "ffmpeg", []string{`"ffmpeg"`, "mediaconvert", "elastictranscoder"}},
		{"transcoder:engine", "MediaConvert", []string{"mediaconvert", "elastictranscoder"}},
		{"transcoder:ephemeral", "yes please", []string{"true, false"}},
		{"transcoder:inputRetentionDays", "0", []string{"from 1 to 3650"}},
		{"transcoder:inputRetentionDays", "seven", []string{"from 1 to 3650"}},
		{"transcoder:inputRetentionDays", "4000", []string{"from 1 to 3650"}},
		{"transcoder:jobRetentionDays", "-1", []string{"from 0 (keep jobs and outputs for ever) to 36500", "default, 90"}},
		{"transcoder:jobRetentionDays", "ninety", []string{"whole number"}},
		{"transcoder:jobRetentionDays", "36501", []string{"to 36500"}},
		{"transcoder:jobRetentionDays", "7.5", []string{"whole number"}},
		{"transcoder:allowedOrigins", "*", []string{"wildcard", "https://host[:port]"}},
		{"transcoder:allowedOrigins", "https://*.example.com", []string{"wildcard"}},
		{"transcoder:allowedOrigins", "http://app.example.com", []string{"plain http", "localhost"}},
		{"transcoder:allowedOrigins", "https://app.example.com/", []string{"trailing slash"}},
		{"transcoder:allowedOrigins", "app.example.com", []string{"not an origin"}},
		{"transcoder:allowedOrigins", `["https://a.example.com"`, []string{"not a list"}},
		{"transcoder:alarmEmail", "ops at example.com", []string{"e-mail address", "ops@example.com"}},
		{"transcoder:alarmEmail", "Ops <ops@example.com>", []string{"bare address"}},
		{"transcoder:encryption", "aes", []string{"managed", "kms"}},
		{"transcoder:lambdaArchive", "bootstrap", []string{".zip", "make build-lambda"}},
		{"transcoder:logLevel", "verbose", []string{"debug, info, warn, error"}},
		{"transcoder:signIn", "open", []string{`"open"`, "invite", "anonymous"}},
		{"transcoder:signIn", "Invite", []string{"invite", "anonymous"}},
		{"transcoder:maxUploadSize", "5 parsecs", []string{"not a size", "KiB", "500MB"}},
		{"transcoder:maxUploadSize", "1.5GB", []string{"whole number of bytes"}},
		{"transcoder:maxUploadSize", "-1", []string{"not a size"}},
		{"transcoder:maxUploadSize", "9000000TiB", []string{"not a size"}},
		{"transcoder:maxInputDuration", "long", []string{"Go duration", "30m"}},
		{"transcoder:maxInputDuration", "30", []string{"Go duration"}},
		{"transcoder:maxInputDuration", "-5m", []string{"non-negative"}},
		{"transcoder:jobsPerDay", "-1", []string{"from 0 (no limit) to 1000000", "default, 20"}},
		{"transcoder:jobsPerDay", "many", []string{"whole number"}},
		{"transcoder:jobsRunning", "1000001", []string{"to 1000000", "default, 2"}},
		{"transcoder:jobsPerUpload", "1.5", []string{"whole number", "default, 3"}},
		{"transcoder:maxConcurrentJobs", "0", []string{"from 1 to 1000", "default 5", "quota"}},
		{"transcoder:maxConcurrentJobs", "1001", []string{"from 1 to 1000"}},
		{"transcoder:maxConcurrentJobs", "five", []string{"whole number"}},
		{"transcoder:monthlyBudgetUsd", "0", []string{"positive number of US dollars"}},
		{"transcoder:monthlyBudgetUsd", "$50", []string{"like 50"}},
		{"transcoder:monthlyBudgetUsd", "12.345", []string{"at most two decimals"}},
		{"transcoder:monthlyBudgetUsd", "1e3", []string{"US dollars"}},
		{"transcoder:reservedConcurrency", "0", []string{"whole number from 1", "unreserved", "reserve none"}},
		{"transcoder:reservedConcurrency", "-1", []string{"whole number from 1"}},
		{"transcoder:reservedConcurrency", "ten", []string{"whole number from 1"}},
		{"aws:region", "Europe", []string{"us-east-1"}},
		{"aws:region", "", []string{"required"}},
		{"transcoder:apiToken", "", []string{"required", "--secret"}},
		{"transcoder:apiToken", "short", []string{"at least 16"}},
		{"transcoder:sessionSecret", "", []string{"required", "--secret"}},
		{"transcoder:sessionSecret", strings.Repeat("x", 31), []string{"at least 32"}},
		{"transcoder:webhookSecret", strings.Repeat("x", 15), []string{"at least 16"}},
		{"transcoder:apiKeys", "alice", []string{"pair 1 is not owner:key", "owner:key pairs"}},
		{"transcoder:apiKeys", "alice:0123456789abcdef,Bob:0123456789abcdeg", []string{"pair 2 has a malformed owner", "a-z 0-9 _ -"}},
		{"transcoder:apiKeys", "-bot:0123456789abcdef", []string{"malformed owner", "starting with a letter or digit"}},
		{"transcoder:apiKeys", "s-bot:0123456789abcdef", []string{"owner starting with s-", "browser sessions"}},
		{"transcoder:apiKeys", "alice:0123456789abcde", []string{"key shorter than 16", "at least 16"}},
		{"transcoder:apiKeys", "alice:0123456789abcdef,alice:0123456789abcdeg", []string{"pairs 1 and 2 have the same owner"}},
		{"transcoder:apiKeys", "alice:0123456789abcdef,bob:0123456789abcdef", []string{"pairs 1 and 2 have the same key"}},
		{"transcoder:apiKeys", "alice:" + testToken, []string{"transcoder:apiToken"}},
	} {
		_, err := parse("dev", map[string]string{tc.key: tc.value})
		if err == nil {
			t.Errorf("%s=%q: accepted", tc.key, tc.value)
			continue
		}
		var cerr *stack.ConfigError
		if !errors.As(err, &cerr) || cerr.Key != tc.key {
			t.Errorf("%s=%q: error %v does not name the key", tc.key, tc.value, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s=%q: error %q does not say %q", tc.key, tc.value, err, w)
			}
		}
	}
}

func TestEveryBadKeyIsReportedAtOnce(t *testing.T) {
	t.Parallel()
	_, err := parse("dev", map[string]string{
		"transcoder:engine":             "x",
		"transcoder:encryption":         "y",
		"transcoder:inputRetentionDays": "z",
	})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, key := range []string{"transcoder:engine", "transcoder:encryption", "transcoder:inputRetentionDays"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not mention %s:\n%v", key, err)
		}
	}
}

func TestSecretsMustBeStoredEncryptedAndAreNeverPrinted(t *testing.T) {
	t.Parallel()
	for key, value := range map[string]string{
		"transcoder:apiToken":      testToken,
		"transcoder:sessionSecret": testSessionSecret,
		"transcoder:webhookSecret": testWebhookSecret,
		"transcoder:apiKeys":       testAPIKeys,
	} {
		values := baseConfig()
		values[key] = value
		plain := slices.DeleteFunc(slices.Clone(secretKeys), func(k string) bool { return k == key })
		_, err := stack.ParseConfig("transcoder", "dev", mapSource{values, plain})
		if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "--secret") {
			t.Errorf("plain-text %s: got %v, want an error asking for --secret", key, err)
			continue
		}
		if strings.Contains(err.Error(), value) {
			t.Errorf("plain-text %s: the error prints it: %v", key, err)
		}
	}
	for key, value := range map[string]string{
		"transcoder:apiToken":      "short-secret",
		"transcoder:sessionSecret": "a-secret-of-31-characters-xxxxx",
		"transcoder:webhookSecret": "15-characters-x",
		"transcoder:apiKeys":       "alice:short-key-1,carol-key-0123456789,s-x:key-of-s-x-0123456789",
	} {
		_, err := parse("dev", map[string]string{key: value})
		if err == nil {
			t.Errorf("%s=%q: accepted", key, value)
			continue
		}
		for _, part := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ':' }) {
			if len(part) > 5 && strings.Contains(err.Error(), part) {
				t.Errorf("%s: the error prints %q: %v", key, part, err)
			}
		}
	}
}

func TestOptionalSecretsMayBeUnsetAndAcceptWhatTheAppAccepts(t *testing.T) {
	t.Parallel()
	for name, overrides := range map[string]map[string]string{
		"unset":                   nil,
		"set":                     {"transcoder:webhookSecret": testWebhookSecret, "transcoder:apiKeys": testAPIKeys},
		"one pair, blanks around": {"transcoder:apiKeys": " , carol_3:" + strings.Repeat("k", 16) + " ,"},
		"a key holding colons":    {"transcoder:apiKeys": "dave:abc:def:0123456789abcdef"},
	} {
		if _, err := parse("dev", overrides); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStackNamesTooLongForAWSNamesAreRefused(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 40)
	_, err := parse(long, nil)
	if err == nil || !strings.Contains(err.Error(), "stack name") {
		t.Errorf("got %v, want an error naming the stack name", err)
	}
	// Elastic Transcoder pipeline names are shorter still.
	_, err = parse("staging-eu-west-1-blue", map[string]string{"transcoder:engine": "elastictranscoder"})
	if err == nil || !strings.Contains(err.Error(), "40 characters") {
		t.Errorf("got %v, want an error about the pipeline name", err)
	}
}

func TestTheLegacyEngineIsWarnedAbout(t *testing.T) {
	t.Parallel()
	cfg, err := parse("dev", map[string]string{"transcoder:engine": "elastictranscoder"})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(cfg.Warnings(), "\n")
	for _, want := range []string{"2025-11-13", "discontinued", "mediaconvert"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q does not say %q", w, want)
		}
	}
	cfg, err = parse("dev", map[string]string{"transcoder:alarmEmail": "ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("mediaconvert stack with an alarm e-mail warns: %v", w)
	}
}

func TestWarningsSayWhatDeservesAHumansAttention(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		overrides map[string]string
		// want are fragments one warning must hold; none means no warning.
		want []string
	}{
		{"no alarm e-mail: the budget tells nobody", map[string]string{"transcoder:monthlyBudgetUsd": "75"},
			[]string{"transcoder:alarmEmail is not set", "nobody", "$75", "transcoder:monthlyBudgetUsd", "pulumi config set transcoder:alarmEmail"}},
		{"anonymous sign-in on a deployed stack", map[string]string{"transcoder:alarmEmail": "ops@example.com", "transcoder:signIn": "anonymous"},
			[]string{"transcoder:signIn is anonymous", "anyone", "invite"}},
		{"a queue cap with the legacy engine", map[string]string{"transcoder:alarmEmail": "ops@example.com", "transcoder:engine": "elastictranscoder",
			"transcoder:maxConcurrentJobs": "3"}, []string{"transcoder:maxConcurrentJobs", "no effect", "elastictranscoder"}},
		{"invite sign-in said outright", map[string]string{"transcoder:alarmEmail": "ops@example.com", "transcoder:signIn": "invite"}, nil},
		{"a queue cap with MediaConvert", map[string]string{"transcoder:alarmEmail": "ops@example.com", "transcoder:maxConcurrentJobs": "3"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parse("dev", tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			warnings := slices.DeleteFunc(cfg.Warnings(), func(w string) bool { return strings.Contains(w, "discontinued") })
			if tc.want == nil {
				if len(warnings) != 0 {
					t.Errorf("warns %q", warnings)
				}
				return
			}
			found := slices.ContainsFunc(warnings, func(w string) bool {
				return !slices.ContainsFunc(tc.want, func(f string) bool { return !strings.Contains(w, f) })
			})
			if !found {
				t.Errorf("no warning says all of %q: %q", tc.want, warnings)
			}
		})
	}
}

func TestTheQueueCapAndTheBudgetHaveDefaultsAndTakeTheirKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		overrides     map[string]string
		wantJobs      int
		wantBudgetUSD float64
	}{
		{"unset: five jobs at once and fifty dollars a month", nil, 5, 50},
		{"set: as configured", map[string]string{"transcoder:maxConcurrentJobs": "20", "transcoder:monthlyBudgetUsd": "200"}, 20, 200},
		{"the smallest values", map[string]string{"transcoder:maxConcurrentJobs": "1", "transcoder:monthlyBudgetUsd": "0.01"}, 1, 0.01},
	} {
		cfg, err := parse("dev", tc.overrides)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.MaxConcurrentJobs != tc.wantJobs || cfg.MonthlyBudgetUSD != tc.wantBudgetUSD {
			t.Errorf("%s: %d jobs and $%v, want %d and $%v", tc.name, cfg.MaxConcurrentJobs, cfg.MonthlyBudgetUSD, tc.wantJobs, tc.wantBudgetUSD)
		}
	}
}

func TestQuotasAcceptWhatTheAppAcceptsAndStayUnsetOtherwise(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key, value string
		want       stack.Quotas
	}{
		{"transcoder:maxUploadSize", "1048576", stack.Quotas{MaxUploadSize: "1048576"}},
		{"transcoder:maxUploadSize", "64 KiB", stack.Quotas{MaxUploadSize: "64 KiB"}},
		{"transcoder:maxUploadSize", "1tb", stack.Quotas{MaxUploadSize: "1tb"}},
		{"transcoder:maxUploadSize", "0", stack.Quotas{MaxUploadSize: "0"}},
		{"transcoder:maxInputDuration", "0", stack.Quotas{MaxInputDuration: "0"}},
		{"transcoder:maxInputDuration", "45s", stack.Quotas{MaxInputDuration: "45s"}},
		{"transcoder:jobsRunning", "0", stack.Quotas{JobsRunning: "0"}},
		{"transcoder:jobsPerUpload", "1000000", stack.Quotas{JobsPerUpload: "1000000"}},
		{"transcoder:jobsPerDay", " ", stack.Quotas{}},
	} {
		cfg, err := parse("dev", map[string]string{tc.key: tc.value})
		if err != nil {
			t.Errorf("%s=%q: %v", tc.key, tc.value, err)
			continue
		}
		if cfg.Quotas != tc.want {
			t.Errorf("%s=%q: quotas %+v, want %+v", tc.key, tc.value, cfg.Quotas, tc.want)
		}
	}
}

func TestABadValueFailsTheWholeProgramBeforeAnyResource(t *testing.T) {
	t.Parallel()
	r, err := tryRun("dev", map[string]string{"transcoder:engine": "ffmpeg"})
	if err == nil || !strings.Contains(err.Error(), "transcoder:engine") || !strings.Contains(err.Error(), "mediaconvert") {
		t.Fatalf("got %v, want the engine error", err)
	}
	for _, res := range r.Resources {
		if res.Custom {
			t.Errorf("declared %s %s despite the bad configuration", res.Type, res.Name)
		}
	}
}

func TestSlugMakesNamesAWSWouldAccept(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"dev":        "transcoder-dev",
		"pr-12":      "transcoder-pr-12",
		"Feature_X":  "transcoder-feature-x",
		"team.blue.": "transcoder-team-blue",
	} {
		if got := stack.Slug("transcoder", in); got != want {
			t.Errorf("Slug(transcoder, %q) = %q, want %q", in, got, want)
		}
	}
}
