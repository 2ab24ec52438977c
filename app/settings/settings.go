// Package settings holds the rules of the service's configuration that the
// Pulumi program must follow too: the names of the environment variables the
// service reads, the engines it runs jobs on, the shape of API_KEYS, of sizes
// and durations, and of the AWS identifiers it is given. The service's config
// package reads the environment with them; the Pulumi program checks a
// stack's configuration and writes the function's environment with them, so
// that a value the service would refuse at start-up fails the preview
// instead, and a rule changed here is changed for both.
//
// It imports nothing but the standard library, so that the Pulumi program
// can import it without the service's dependencies.
package settings

// Engine names the service that transcodes uploaded media.
type Engine string

// The engines the service can start jobs on.
const (
	// Local runs ffmpeg on the service's own machine, with a local S3 and
	// SNS: the one-machine engine, and the service's default.
	Local Engine = "local"
	// MediaConvert is AWS Elemental MediaConvert, the Pulumi program's
	// default engine.
	MediaConvert Engine = "mediaconvert"
	// ElasticTranscoder is the legacy Amazon Elastic Transcoder pipeline:
	// AWS discontinued the service on 2025-11-13 and no new pipeline can be
	// created, so it stays only for the pipelines that exist.
	ElasticTranscoder Engine = "elastictranscoder"
)

// Store names where the service keeps jobs (STORE).
type Store string

// The job stores.
const (
	// SQLite is a file in DATA_DIR: the one-machine store, and the
	// service's default.
	SQLite Store = "sqlite"
	// DynamoDB is a table of the stack's: the store of every deployed
	// function, which share it.
	DynamoDB Store = "dynamodb"
)

// SignIn says who may get a browser session (SIGN_IN).
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

// Shortest secrets the service accepts: shorter ones are too easy to guess.
const (
	// MinAPITokenLength bounds API_TOKEN, the operator's bearer token.
	MinAPITokenLength = 16
	// MinAPIKeyLength bounds each key of API_KEYS.
	MinAPIKeyLength = 16
	// MinSessionSecretLength bounds SESSION_SECRET, which signs browser
	// sessions.
	MinSessionSecretLength = 32
	// MinWebhookSecretLength bounds WEBHOOK_SECRET, which signs webhook
	// calls.
	MinWebhookSecretLength = 16
)
