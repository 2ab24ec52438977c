package config

import (
	"fmt"
	"time"

	"transcoder/app/internal/ids"
	"transcoder/app/settings"
)

// loadToken reads the operator's token, or makes one up for this run when
// it is unset off Lambda.
func (c *Config) loadToken(r *reader) {
	switch {
	case c.APIToken == "" && c.Lambda:
		r.bad(settings.EnvAPIToken, "is required on Lambda: a generated token would differ on every instance")
	case c.APIToken == "":
		c.APIToken, c.APITokenGenerated = ids.Hex(16), true
	case len(c.APIToken) < settings.MinAPITokenLength:
		r.bad(settings.EnvAPIToken, "is %d characters long; use at least %d random characters (for example: openssl rand -hex 16)",
			len(c.APIToken), settings.MinAPITokenLength)
	}
}

// loadSecrets reads the API clients' keys and the secrets that sign
// sessions and webhook calls.
func (c *Config) loadSecrets(r *reader) {
	keys, errs := settings.ParseAPIKeys(r.get(settings.EnvAPIKeys, ""), c.APIToken)
	c.APIKeys = keys
	for _, e := range errs {
		r.bad(settings.EnvAPIKeys, "%s", apiKeyReason(e))
	}
	if v := r.get(settings.EnvSessionSecret, ""); v != "" {
		if len(v) < settings.MinSessionSecretLength {
			r.bad(settings.EnvSessionSecret, "is %d characters long; use at least %d random characters (for example: openssl rand -hex 32)",
				len(v), settings.MinSessionSecretLength)
		}
		c.SessionSecret = []byte(v)
	} else if c.Lambda {
		r.bad(settings.EnvSessionSecret, "is required on Lambda: instances share no data directory to keep one in")
	}
	if v := r.get(settings.EnvWebhookSecret, ""); v != "" {
		if len(v) < settings.MinWebhookSecretLength {
			r.bad(settings.EnvWebhookSecret, "is %d characters long; use at least %d random characters", len(v), settings.MinWebhookSecretLength)
		}
		c.WebhookSecret = []byte(v)
	}
}

// apiKeyReason says what is wrong with one pair of API_KEYS, naming its
// owner but never its key.
func apiKeyReason(e *settings.APIKeyError) string {
	switch e.Problem {
	case settings.NotAPair:
		return fmt.Sprintf("%q is not owner:key with an owner of a-z 0-9 _ - (for example alice:3f9c...)", e.Shown)
	case settings.MalformedOwner, settings.SessionOwner:
		return fmt.Sprintf("%v (for example alice:3f9c...)", settings.CheckOwnerName(e.Owner))
	case settings.ShortKey:
		return fmt.Sprintf("the key of %q is %d characters long; use at least %d random characters", e.Owner, e.KeyLength, settings.MinAPIKeyLength)
	case settings.SameOwner, settings.SameKey:
		return fmt.Sprintf("owner %q or its key appears twice", e.Owner)
	case settings.OperatorKey:
		return fmt.Sprintf("the key of %q is API_TOKEN, the operator's", e.Owner)
	}
	return e.Error()
}

// loadAccess reads who may sign in and each owner's quotas.
func (c *Config) loadAccess(r *reader) {
	def := Invite
	if c.Engine == Local {
		def = Anonymous
	}
	switch c.SignIn = SignIn(r.get(settings.EnvSignIn, string(def))); c.SignIn {
	case Anonymous, Invite:
	default:
		r.bad(settings.EnvSignIn, "%q is not a sign-in mode: use anonymous or invite", c.SignIn)
	}
	if v := r.get(settings.EnvMaxUploadSize, settings.DefaultMaxUploadSize); v != "" {
		n, err := settings.ParseSize(v)
		if err != nil {
			r.bad(settings.EnvMaxUploadSize, "%v", err)
		}
		c.Quotas.MaxUploadSize = n
	}
	if v := r.get(settings.EnvMaxInputDuration, settings.DefaultMaxInputDuration); v != "" {
		d, err := settings.ParseDuration(v, 0, settings.MaxDuration)
		if err != nil {
			r.bad(settings.EnvMaxInputDuration, "%q is not a non-negative Go duration (for example 30m, 2h, or 0 to turn the limit off)", v)
		}
		c.Quotas.MaxInputDuration = d
	}
	for _, q := range []struct {
		name, def string
		to        *int
	}{
		{settings.EnvJobsPerDay, settings.DefaultJobsPerDay, &c.Quotas.JobsPerDay},
		{settings.EnvJobsRunning, settings.DefaultJobsRunning, &c.Quotas.JobsRunning},
		{settings.EnvJobsPerUpload, settings.DefaultJobsPerUpload, &c.Quotas.JobsPerUpload},
	} {
		v := r.get(q.name, q.def)
		n, err := settings.ParseWholeNumber(v, 0, settings.MaxQuota)
		if err != nil {
			r.bad(q.name, "%q is not a whole number from 0 (no limit) to %d", v, settings.MaxQuota)
		}
		*q.to = n
	}
}

// loadRetention reads how long jobs are kept.
func (c *Config) loadRetention(r *reader) {
	v := r.get(settings.EnvJobRetentionDays, fmt.Sprint(settings.DefaultJobRetentionDays))
	n, err := settings.ParseWholeNumber(v, 0, settings.MaxJobRetentionDays)
	if err != nil {
		r.bad(settings.EnvJobRetentionDays, "%q is not a whole number of days from 0 (keep jobs for ever) to %d", v, settings.MaxJobRetentionDays)
		return
	}
	c.JobRetention = time.Duration(n) * 24 * time.Hour
}
