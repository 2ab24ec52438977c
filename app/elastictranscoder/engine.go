package elastictranscoder

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awselastictranscoder "github.com/aws/aws-sdk-go-v2/service/elastictranscoder"
	"github.com/aws/aws-sdk-go-v2/service/elastictranscoder/types"

	"transcoder/app/internal/awsengine"
	"transcoder/app/jobs"
	"transcoder/app/presets"
	"transcoder/app/s3"
	"transcoder/app/settings"
)

// Engine starts transcode jobs on a pipeline of the legacy Amazon Elastic
// Transcoder. AWS discontinued the service on 2025-11-13; the engine stays
// for the pipelines that still exist. What happens to a job afterwards
// reaches the service as the pipeline's notifications, which a Decoder reads.
//
// A pipeline reads inputs from one bucket and writes outputs to one bucket,
// both fixed when it was created: jobs name keys only. The engine therefore
// trusts that the request's input is in the pipeline's input bucket and its
// output prefix in the pipeline's output bucket.
type Engine struct {
	client *awselastictranscoder.Client
	cfg    EngineConfig
}

var _ jobs.Transcoder = (*Engine)(nil)

// EngineConfig is what an Engine needs besides its client.
type EngineConfig struct {
	// PipelineID is the pipeline jobs are submitted to, as Elastic
	// Transcoder writes it: 13 digits, a hyphen, 6 letters or digits.
	PipelineID string
}

// service names Elastic Transcoder in awsengine's errors.
type service struct{}

// Names returns this package's name, its errors' prefix, and the service's.
func (service) Names() (pkg, name string) { return "elastictranscoder", "Elastic Transcoder" }

// ConfigError reports a pipeline id that is not one, so that a
// misconfigured service stops at start-up and not at its first job.
type ConfigError = awsengine.ConfigError[service]

// RequestError reports a StartRequest that Start refuses before calling AWS:
// one the pipeline would reject (a key S3 refuses, a preset no system
// preset makes), or whose job its notifications could not find.
type RequestError = awsengine.RequestError[service]

// maxUserMetadata is how many key/value pairs Elastic Transcoder takes as a
// job's user metadata.
const maxUserMetadata = 10

// NewEngine returns an Engine that submits jobs to the configured pipeline
// through client, or a *ConfigError if the pipeline id is not one, so that a
// typo fails at start-up with its fix.
func NewEngine(client *awselastictranscoder.Client, cfg EngineConfig) (*Engine, error) {
	if client == nil {
		return nil, errors.New("elastictranscoder: NewEngine needs an Elastic Transcoder client")
	}
	if !settings.IsPipelineID(cfg.PipelineID) {
		return nil, &ConfigError{Field: "PipelineID", Value: cfg.PipelineID,
			Want: "an Elastic Transcoder pipeline id, 13 digits, a hyphen and 6 letters or digits (e.g. 1717406102417-k3x9qa)"}
	}
	return &Engine{client: client, cfg: cfg}, nil
}

// Start submits req as one Elastic Transcoder job with one output per
// preset, each made by the matching system preset and keyed so that it lands
// at jobs.OutputURI in the pipeline's output bucket, and returns Elastic
// Transcoder's id for the job. A request the pipeline could not run is
// refused with a *RequestError before anything is sent.
func (e *Engine) Start(ctx context.Context, req jobs.StartRequest) (string, error) {
	return awsengine.Start[service](ctx, req, e.createJobInput,
		func(ctx context.Context, in *awselastictranscoder.CreateJobInput) (string, error) {
			out, err := e.client.CreateJob(ctx, in)
			if err != nil || out.Job == nil {
				return "", err
			}
			return aws.ToString(out.Job.Id), nil
		})
}

// createJobInput turns req, which awsengine.Start has validated, into a
// CreateJob request, or returns the rule of Elastic Transcoder's or S3's
// that it breaks.
func (e *Engine) createJobInput(req jobs.StartRequest) (*awselastictranscoder.CreateJobInput, error) {
	if n := len(req.Metadata); n > maxUserMetadata {
		return nil, fmt.Errorf("metadata has %d entries: Elastic Transcoder takes at most %d", n, maxUserMetadata)
	}
	// The pipeline fixes both buckets: the job names keys only.
	_, inputKey, err := s3.ParseURI(req.Input)
	if err != nil {
		return nil, err
	}
	_, keyPrefix, err := s3.ParsePrefix(req.OutputPrefix)
	if err != nil {
		return nil, err
	}
	outputs := make([]types.CreateJobOutput, len(req.Presets))
	for i, p := range req.Presets {
		id, err := systemPreset(p)
		if err != nil {
			return nil, err
		}
		outputs[i] = types.CreateJobOutput{
			// The key under OutputKeyPrefix: <preset>/<input base><ext>.
			Key:      aws.String(strings.TrimPrefix(jobs.OutputURI(req.OutputPrefix, req.Input, p), req.OutputPrefix)),
			PresetId: aws.String(id),
		}
	}
	in := &awselastictranscoder.CreateJobInput{
		PipelineId:   aws.String(e.cfg.PipelineID),
		Input:        &types.JobInput{Key: aws.String(inputKey)},
		Outputs:      outputs,
		UserMetadata: req.Metadata,
	}
	if keyPrefix != "" {
		in.OutputKeyPrefix = aws.String(keyPrefix)
	}
	return in, nil
}

// systemPresets are the Elastic Transcoder system presets that make the
// presets' outputs, by preset name, each with what its name promises. The ids
// are those of the Amazon Elastic Transcoder Developer Guide, "System
// Presets"; the comments give each preset's Name as ListPresets returns it. A
// system preset's settings are fixed, so a preset is only made by one whose
// settings are its own: systemPreset checks them.
var systemPresets = map[string]struct {
	id    string
	codec presets.Codec
	// sampleRate is 0 where the system preset's name does not state it.
	sampleRate, bitDepth, bitrate int
}{
	"wav":  {"1351620000001-300300", presets.PCM, 44100, 16, 0},  // System preset: Audio WAV 44100 Hz, 16 bit - CD Quality
	"flac": {"1351620000001-300110", presets.FLAC, 44100, 16, 0}, // System preset: Audio FLAC - CD (CD: 44.1 kHz, 16 bit)
	"aac":  {"1351620000001-100110", presets.AAC, 0, 0, 256000},  // System preset: Audio AAC - 256k
	"mp3":  {"1351620000001-300020", presets.MP3, 0, 0, 192000},  // System preset: Audio MP3 - 192k
}

// systemPreset returns the id of the system preset that makes p's outputs,
// or an error if none does.
func systemPreset(p presets.Preset) (string, error) {
	s, ok := systemPresets[p.Name]
	if !ok {
		return "", fmt.Errorf("preset %q has no Elastic Transcoder system preset", p.Name)
	}
	if p.Codec != s.codec || p.BitDepth != s.bitDepth || p.Bitrate != s.bitrate || (s.sampleRate != 0 && p.SampleRate != s.sampleRate) {
		return "", fmt.Errorf("preset %q (%s) is not what system preset %s makes", p.Name, p.Description, s.id)
	}
	return s.id, nil
}

var _ jobs.Canceler = (*Engine)(nil)

// Cancel asks Elastic Transcoder to cancel the job with its id for it. The
// legacy engine cancels only jobs still Submitted; one already Progressing
// answers an error, which is returned.
func (e *Engine) Cancel(ctx context.Context, engineJobID string) error {
	return awsengine.Cancel[service](ctx, engineJobID, func(ctx context.Context, id string) error {
		_, err := e.client.CancelJob(ctx, &awselastictranscoder.CancelJobInput{Id: aws.String(id)})
		return err
	})
}
