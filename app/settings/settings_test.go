package settings_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/settings"
)

func TestSizesAreReadInBytesOrWithAUnit(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"500MB", 500e6}, {"2GiB", 2 << 30}, {"64 KiB", 64 << 10}, {"7b", 7}, {"1tb", 1e12},
		{" 0 ", 0}, {"4611686018427387904", 1 << 62},
	}
	for _, tt := range tests {
		if got, err := settings.ParseSize(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestASizeThatIsNoneSaysWhy(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", `"" is not a size`},
		{"MB", `"MB" is not a size`},
		{"-5MB", `"-5MB" is not a size`},
		{"1.5GB", `"1.5GB" has an unknown unit ".5GB"`},
		{"5 parsecs", `"5 parsecs" has an unknown unit`},
		{"9999999999999TiB", `"9999999999999TiB" is too large`},
		{"4611686018427387905", "is too large"},
	}
	for _, tt := range tests {
		if _, err := settings.ParseSize(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSize(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestDurationsAreReadWithinTheirBounds(t *testing.T) {
	tests := []struct {
		in          string
		least, most time.Duration
		want        time.Duration
		ok          bool
	}{
		{"30m", 0, settings.MaxDuration, 30 * time.Minute, true},
		{"0", 0, settings.MaxDuration, 0, true},
		{"1m", 0, time.Minute, time.Minute, true},
		{"-1m", 0, settings.MaxDuration, 0, false},
		{"0s", 1, settings.MaxDuration, 0, false},
		{"61s", 0, time.Minute, 0, false},
		{"soon", 0, settings.MaxDuration, 0, false},
		{"", 0, settings.MaxDuration, 0, false},
	}
	for _, tt := range tests {
		got, err := settings.ParseDuration(tt.in, tt.least, tt.most)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q, %v, %v) = %v, %v; want %v, ok %v", tt.in, tt.least, tt.most, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), `"`+tt.in+`"`) {
			t.Errorf("ParseDuration(%q) error %q does not quote the value", tt.in, err)
		}
	}
}

func TestWholeNumbersAreReadWithinTheirBounds(t *testing.T) {
	tests := []struct {
		in          string
		least, most int
		want        int
		ok          bool
	}{
		{"20", 0, settings.MaxQuota, 20, true},
		{"0", 0, settings.MaxQuota, 0, true},
		{"1000000", 0, settings.MaxQuota, 1_000_000, true},
		{"1000001", 0, settings.MaxQuota, 0, false},
		{"-1", 0, settings.MaxQuota, 0, false},
		{"1.5", 0, settings.MaxQuota, 0, false},
		{"90d", 0, settings.MaxJobRetentionDays, 0, false},
		{"36500", 0, settings.MaxJobRetentionDays, 36500, true},
		{"0", 1, 64, 0, false},
	}
	for _, tt := range tests {
		got, err := settings.ParseWholeNumber(tt.in, tt.least, tt.most)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseWholeNumber(%q, %d, %d) = %d, %v; want %d, ok %v", tt.in, tt.least, tt.most, got, err, tt.want, tt.ok)
		}
	}
}

func TestAWSIdentifiersAreRecognisedByShape(t *testing.T) {
	tests := []struct {
		name string
		is   func(string) bool
		in   string
		want bool
	}{
		{"a role", settings.IsRoleARN, "arn:aws:iam::123456789012:role/service-role/transcoder-mediaconvert", true},
		{"a role in China", settings.IsRoleARN, "arn:aws-cn:iam::123456789012:role/mc", true},
		{"a role in GovCloud", settings.IsRoleARN, "arn:aws-us-gov:iam::123456789012:role/a/b/mc", true},
		{"a role's bare name", settings.IsRoleARN, "transcoder-mediaconvert", false},
		{"a user for a role", settings.IsRoleARN, "arn:aws:iam::123456789012:user/alice", false},
		{"a role of a short account", settings.IsRoleARN, "arn:aws:iam::12345:role/mc", false},
		{"a queue", settings.IsQueueARN, "arn:aws:mediaconvert:eu-west-1:123456789012:queues/Default", true},
		{"a queue in GovCloud", settings.IsQueueARN, "arn:aws-us-gov:mediaconvert:us-gov-west-1:123456789012:queues/q_1", true},
		{"a queue's bare name", settings.IsQueueARN, "Default", false},
		{"a preset for a queue", settings.IsQueueARN, "arn:aws:mediaconvert:eu-west-1:123456789012:presets/p", false},
		{"a pipeline", settings.IsPipelineID, "1717406102417-k3x9qa", true},
		{"a pipeline with a short suffix", settings.IsPipelineID, "1717406102417-k3x9q", false},
		{"a pipeline's name", settings.IsPipelineID, "transcoder-pipeline", false},
		{"a topic", settings.IsTopicARN, "arn:aws:sns:us-east-1:123456789012:a", true},
		{"a FIFO topic", settings.IsTopicARN, "arn:aws:sns:us-east-1:123456789012:a.fifo", true},
		{"a queue for a topic", settings.IsTopicARN, "arn:aws:sqs:us-east-1:123456789012:q", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.is(tt.in); got != tt.want {
				t.Fatalf("%q: got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestAQueueARNNamesItsRegion(t *testing.T) {
	region, ok := settings.QueueRegion("arn:aws:mediaconvert:eu-west-1:123456789012:queues/Default")
	if !ok || region != "eu-west-1" {
		t.Fatalf("QueueRegion = %q, %v; want eu-west-1, true", region, ok)
	}
	if region, ok := settings.QueueRegion("Default"); ok || region != "" {
		t.Fatalf("QueueRegion of a bare name = %q, %v; want none", region, ok)
	}
}

// jobs.CheckOwnerName guards invites with the same rule API_KEYS follows.
func TestOwnerNamesFollowTheRuleInvitesFollow(t *testing.T) {
	for _, name := range []string{"alice", "carol_3", "a", strings.Repeat("a", 63), strings.Repeat("a", 64),
		"Bob", "-bot", "s-bot", "s", "", "al ice", "bob:key"} {
		got, want := settings.CheckOwnerName(name), jobs.CheckOwnerName(name)
		if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
			t.Errorf("CheckOwnerName(%q) = %v, jobs.CheckOwnerName = %v", name, got, want)
		}
	}
}

func TestAPIKeysAreReadAsOwnerKeyPairs(t *testing.T) {
	keys, errs := settings.ParseAPIKeys(" alice:0123456789abcdefalice, ,bob:0123456789abcdef-bob-,dave:abc:def:0123456789abcdef ", "operator-token-0123")
	if len(errs) != 0 {
		t.Fatalf("errors = %v", errs)
	}
	want := map[string]string{"0123456789abcdefalice": "alice", "0123456789abcdef-bob-": "bob", "abc:def:0123456789abcdef": "dave"}
	if len(keys) != len(want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
	for k, owner := range want {
		if keys[k] != owner {
			t.Errorf("key %q belongs to %q, want %q", k, keys[k], owner)
		}
	}
}

func TestEveryBadAPIKeyPairIsNamedByPosition(t *testing.T) {
	const token = "operator-token-0123"
	tests := []struct {
		name, keys string
		want       settings.APIKeyError
		message    string
	}{
		{"a pair without a colon", "alice:0123456789abcdef, ,carol-key-0123456789",
			settings.APIKeyError{Pair: 2, Problem: settings.NotAPair, Shown: "caro…"}, "pair 2 is not owner:key"},
		{"a capital in the owner", "Bob:0123456789abcdef",
			settings.APIKeyError{Pair: 1, Problem: settings.MalformedOwner, Owner: "Bob"}, "pair 1 has a malformed owner"},
		{"a session's owner", "s-x:0123456789abcdef",
			settings.APIKeyError{Pair: 1, Problem: settings.SessionOwner, Owner: "s-x"}, "pair 1 has an owner starting with s-"},
		{"a short key", "alice:short",
			settings.APIKeyError{Pair: 1, Problem: settings.ShortKey, Owner: "alice", KeyLength: 5}, "pair 1 has a key shorter than 16 characters"},
		{"an owner twice", "alice:0123456789abcdef,alice:fedcba9876543210",
			settings.APIKeyError{Pair: 2, Earlier: 1, Problem: settings.SameOwner, Owner: "alice"}, "pairs 1 and 2 have the same owner"},
		{"a key twice", "alice:0123456789abcdef,bob:0123456789abcdef",
			settings.APIKeyError{Pair: 2, Earlier: 1, Problem: settings.SameKey, Owner: "bob"}, "pairs 1 and 2 have the same key"},
		{"the operator's token", "alice:" + token,
			settings.APIKeyError{Pair: 1, Problem: settings.OperatorKey, Owner: "alice"}, "pair 1 reuses API_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := settings.ParseAPIKeys(tt.keys, token)
			if len(errs) != 1 || *errs[0] != tt.want {
				t.Fatalf("errors = %+v, want one %+v", errs, tt.want)
			}
			if msg := errs[0].Error(); !strings.Contains(msg, tt.message) || strings.Contains(msg, "0123456789") {
				t.Fatalf("message %q, want it to contain %q and no key", msg, tt.message)
			}
		})
	}
}

func TestARefusedAPIKeyPairIsLeftOut(t *testing.T) {
	keys, errs := settings.ParseAPIKeys("alice:short,alice:0123456789abcdef", "")
	if len(errs) != 1 || keys["0123456789abcdef"] != "alice" || len(keys) != 1 {
		t.Fatalf("keys = %v, errors = %v; want alice's second pair kept", keys, errs)
	}
}

func TestEveryVariableIsListedOnceAndRead(t *testing.T) {
	var names []string
	for _, v := range settings.Vars {
		if slices.Contains(names, v.Name) {
			t.Errorf("%s is listed twice", v.Name)
		}
		if !settings.Read(v.Name) {
			t.Errorf("%s is listed but Read says the service does not read it", v.Name)
		}
		if v.Meaning == "" {
			t.Errorf("%s has no meaning", v.Name)
		}
		names = append(names, v.Name)
	}
	for _, name := range []string{settings.EnvLambdaRuntimeAPI, settings.EnvEngine, settings.EnvAPIKeys} {
		if !settings.Read(name) {
			t.Errorf("Read(%s) = false, want true", name)
		}
	}
	for _, name := range []string{"", "ENGINES", "api_keys", "AWS_REGION"} {
		if settings.Read(name) {
			t.Errorf("Read(%q) = true, want false", name)
		}
	}
}

func TestTheDocumentedDefaultsAreTheDefaultConstants(t *testing.T) {
	want := map[string]string{
		settings.EnvMaxUploadSize: settings.DefaultMaxUploadSize, settings.EnvMaxInputDuration: settings.DefaultMaxInputDuration,
		settings.EnvJobsPerDay: settings.DefaultJobsPerDay, settings.EnvJobsRunning: settings.DefaultJobsRunning,
		settings.EnvJobsPerUpload: settings.DefaultJobsPerUpload, settings.EnvJobRetentionDays: "90",
	}
	for _, v := range settings.Vars {
		if d, ok := want[v.Name]; ok && v.Default != d {
			t.Errorf("%s is documented with default %q, want %q", v.Name, v.Default, d)
		}
	}
}

func TestIsRegionTakesRegionNamesOnly(t *testing.T) {
	for s, want := range map[string]bool{
		"us-east-1": true, "eu-west-1": true, "us-gov-west-1": true, "cn-north-1": true, "ap-southeast-2": true,
		"": false, "us-east": false, "US-EAST-1": false, "us-east-1a": false, "useast1": false, "us-east-1 ": false,
	} {
		if got := settings.IsRegion(s); got != want {
			t.Errorf("IsRegion(%q) = %v, want %v", s, got, want)
		}
	}
}
