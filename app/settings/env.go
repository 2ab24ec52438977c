package settings

import "strconv"

// Names of the environment variables the service reads. The Pulumi program
// writes the function's environment with these constants, and a test of its
// checks that every name it sets is one of Vars.
const (
	EnvAddr                    = "ADDR"
	EnvDataDir                 = "DATA_DIR"
	EnvStore                   = "STORE"
	EnvDynamoDBTable           = "DYNAMODB_TABLE"
	EnvDynamoDBEndpoint        = "AWS_ENDPOINT_URL_DYNAMODB"
	EnvJobRetentionDays        = "JOB_RETENTION_DAYS"
	EnvSNSTopicARNs            = "SNS_TOPIC_ARNS"
	EnvSNSMaxAge               = "SNS_MAX_AGE"
	EnvSNSCertDir              = "SNS_CERT_DIR"
	EnvSNSSubscriptionEndpoint = "SNS_SUBSCRIPTION_ENDPOINT"
	EnvSNSSubscriptionTopicARN = "SNS_SUBSCRIPTION_TOPIC_ARN"
	EnvSNSSubscriptionARN      = "SNS_SUBSCRIPTION_ARN"
	EnvAPIToken                = "API_TOKEN"
	EnvAPIKeys                 = "API_KEYS"
	EnvSessionSecret           = "SESSION_SECRET"
	EnvWebhookSecret           = "WEBHOOK_SECRET"
	EnvEngine                  = "ENGINE"
	EnvInputBucket             = "INPUT_BUCKET"
	EnvOutputBucket            = "OUTPUT_BUCKET"
	EnvMediaConvertRoleARN     = "MEDIACONVERT_ROLE_ARN"
	EnvMediaConvertQueueARN    = "MEDIACONVERT_QUEUE_ARN"
	EnvPipelineID              = "ELASTICTRANSCODER_PIPELINE_ID"
	EnvLocalS3Addr             = "LOCAL_S3_ADDR"
	EnvFFmpeg                  = "FFMPEG"
	EnvFFprobe                 = "FFPROBE"
	EnvLocalConcurrency        = "LOCAL_CONCURRENCY"
	EnvLocalSNSDuplicates      = "LOCAL_SNS_DUPLICATES"
	EnvLocalSNSReorder         = "LOCAL_SNS_REORDER"
	EnvSignIn                  = "SIGN_IN"
	EnvMaxUploadSize           = "MAX_UPLOAD_SIZE"
	EnvMaxInputDuration        = "MAX_INPUT_DURATION"
	EnvJobsPerDay              = "JOBS_PER_DAY"
	EnvJobsRunning             = "JOBS_RUNNING"
	EnvJobsPerUpload           = "JOBS_PER_UPLOAD"
	EnvLogLevel                = "LOG_LEVEL"
	EnvLogFormat               = "LOG_FORMAT"
	EnvShutdownTimeout         = "SHUTDOWN_TIMEOUT"
	EnvCPUProfile              = "CPU_PROFILE"
	EnvGOGC                    = "GOGC"
	EnvGOMEMLIMIT              = "GOMEMLIMIT"
)

// EnvLambdaRuntimeAPI is set by AWS Lambda's runtime, never by an operator:
// the service reads it only to learn that it runs on Lambda, so it is not
// one of Vars.
const EnvLambdaRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"

// EnvLambdaMemory is set by AWS Lambda's runtime to the function's memory in
// MB; the service reads it for its default soft memory limit there.
const EnvLambdaMemory = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"

// DefaultGOGC is the garbage collector's default heap growth: the service's
// live heap is small and its CPU is what a delivery costs, so it lets the
// heap grow to five times the live data between collections rather than
// Go's own two.
const DefaultGOGC = "400"

// The service's defaults that the Pulumi program names in its messages
// ("unset for the app's default, 500MB").
const (
	DefaultMaxUploadSize    = "500MB"
	DefaultMaxInputDuration = "30m"
	DefaultJobsPerDay       = "20"
	DefaultJobsRunning      = "2"
	DefaultJobsPerUpload    = "3"
	// DefaultJobRetentionDays is how many days a job, and its outputs, are
	// kept when JOB_RETENTION_DAYS is unset.
	DefaultJobRetentionDays = 90
)

// Var documents one environment variable the service reads.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable the service reads, an operator may set, and the
// README documents (its configuration table is generated from this list).
var Vars = []Var{
	{EnvAddr, "127.0.0.1:8080", "host:port the HTTP server listens on"},
	{EnvDataDir, "./data", "directory of the embedded SQLite store"},
	{EnvStore, "sqlite", "job store: sqlite or dynamodb"},
	{EnvDynamoDBTable, "", "table of the DynamoDB store (required with STORE=dynamodb)"},
	{EnvDynamoDBEndpoint, "", "DynamoDB endpoint override (the AWS SDK's own variable), e.g. a local dynalite"},
	{EnvJobRetentionDays, strconv.Itoa(DefaultJobRetentionDays), "days a job is kept after it ends (an open job: after its last change), then deleted; 0 keeps jobs for ever; the output bucket should expire outputs after as many days"},
	{EnvSNSTopicARNs, "", "comma-separated allow-list of SNS topic ARNs; deliveries from any other topic get 403"},
	{EnvSNSMaxAge, "1h", "oldest accepted message Timestamp (Go duration; 0 turns the check off)"},
	{EnvSNSCertDir, "", "directory of pinned SNS signing certificates, named as their URL's last segment"},
	{EnvSNSSubscriptionEndpoint, "", "this endpoint's URL as subscribed to the topic (the Function URL + /transcode-complete); set, the service re-requests confirmation while its subscription is pending; unset turns that off"},
	{EnvSNSSubscriptionTopicARN, "the first of SNS_TOPIC_ARNS", "topic of the subscription SNS_SUBSCRIPTION_ENDPOINT names"},
	{EnvSNSSubscriptionARN, "", "that subscription's ARN, if known; unset (or \"pending confirmation\") finds it by listing the topic's subscriptions"},
	{EnvAPIToken, "made and kept in DATA_DIR/api-token", "the operator's bearer token: sees every owner's jobs, and /metrics"},
	{EnvAPIKeys, "", "API clients' bearer keys as owner:key pairs, comma-separated; each key sees only its owner's jobs"},
	{EnvSessionSecret, "kept in DATA_DIR", "at least 32 characters that sign browser session cookies (required on Lambda)"},
	{EnvWebhookSecret, "", "at least 16 characters that sign webhook calls (Transcoder-Signature); unset turns callbackUrl off"},
	{EnvEngine, "local", "where jobs run: local (ffmpeg, with a local S3 and SNS), mediaconvert, or elastictranscoder (legacy)"},
	{EnvInputBucket, "transcoder-input (local)", "bucket uploads go to (required with the AWS engines)"},
	{EnvOutputBucket, "transcoder-output (local)", "bucket outputs go to (required with the AWS engines)"},
	{EnvMediaConvertRoleARN, "", "IAM role MediaConvert jobs run as (required with ENGINE=mediaconvert)"},
	{EnvMediaConvertQueueARN, "", "MediaConvert queue jobs are submitted to (required with ENGINE=mediaconvert)"},
	{EnvPipelineID, "", "legacy Elastic Transcoder pipeline (required with ENGINE=elastictranscoder)"},
	{EnvLocalS3Addr, "127.0.0.1:8081", "host:port of the local S3 server (ENGINE=local)"},
	{EnvFFmpeg, "ffmpeg", "ffmpeg binary of the local engine"},
	{EnvFFprobe, "ffprobe", "ffprobe binary of the local engine"},
	{EnvLocalConcurrency, "number of CPUs", "jobs the local engine runs at once"},
	{EnvLocalSNSDuplicates, "0", "probability (0-1) that the local SNS delivers a message twice (testing)"},
	{EnvLocalSNSReorder, "0", "how long the local SNS holds deliveries to reorder them, a Go duration (testing)"},
	{EnvSignIn, "anonymous (local), invite (AWS engines)", "who gets a browser session: anonymous (every new browser gets an owner) or invite (only a browser that opens an invite link from POST /invites)"},
	{EnvMaxUploadSize, DefaultMaxUploadSize, "largest upload per file, in bytes or with a unit (500MB, 2GiB); S3 refuses a larger body; 0 turns it off"},
	{EnvMaxInputDuration, DefaultMaxInputDuration, "longest input a job may have (Go duration); a longer one ends ERROR; 0 turns it off"},
	{EnvJobsPerDay, DefaultJobsPerDay, "jobs one owner may submit per UTC day; 0 turns it off"},
	{EnvJobsRunning, DefaultJobsRunning, "jobs of one owner that may be unfinished at once; 0 turns it off"},
	{EnvJobsPerUpload, DefaultJobsPerUpload, "jobs that may be run on one upload; 0 turns it off"},
	{EnvLogLevel, "info", "debug, info, warn or error"},
	{EnvLogFormat, "auto", "text (for people), json (for log collectors), or auto: text on a terminal, JSON otherwise"},
	{EnvShutdownTimeout, "10s", "how long SIGTERM waits for in-flight requests"},
	{EnvCPUProfile, "", "file to write a Go CPU profile to, from start to shutdown (profiling)"},
	{EnvGOGC, DefaultGOGC, "the Go garbage collector's heap growth between collections, in percent of the live heap, or off: 400 takes about a tenth less CPU per delivery than Go's own 100 for a larger heap; lower it where memory is short"},
	{EnvGOMEMLIMIT, "", "a soft memory limit for the Go runtime, in its syntax (for example 400MiB); unset: none, and 80% of the function's memory on Lambda"},
}

// Read reports whether the service reads the environment variable name:
// one of Vars, or one of the variables Lambda's runtime sets.
func Read(name string) bool {
	if name == EnvLambdaRuntimeAPI || name == EnvLambdaMemory {
		return true
	}
	for _, v := range Vars {
		if v.Name == name {
			return true
		}
	}
	return false
}
