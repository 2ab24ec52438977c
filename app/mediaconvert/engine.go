package mediaconvert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmediaconvert "github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert/types"

	"transcoder/app/jobs"
	"transcoder/app/presets"
)

// Engine starts transcode jobs on AWS Elemental MediaConvert. What happens to
// a job afterwards reaches the service as MediaConvert's EventBridge events,
// which Decode reads.
type Engine struct {
	client *awsmediaconvert.Client
	cfg    EngineConfig
}

var _ jobs.Transcoder = (*Engine)(nil)

// EngineConfig is what an Engine needs besides its client: whose permissions
// MediaConvert works with and where jobs wait their turn.
type EngineConfig struct {
	// RoleARN is the IAM role MediaConvert assumes to read inputs and write
	// outputs: arn:aws:iam::<account>:role/<name>.
	RoleARN string
	// QueueARN is the queue jobs are submitted to, in the client's region:
	// arn:aws:mediaconvert:<region>:<account>:queues/<name>.
	QueueARN string
}

// ConfigError reports an EngineConfig field that cannot work, so that a
// misconfigured service stops at start-up and not at its first job.
type ConfigError struct {
	// Field is the EngineConfig field at fault, e.g. "RoleARN".
	Field string
	// Value is what the field held.
	Value string
	// Want says what the field should look like.
	Want string
}

// Error names the field, its value and what it should be.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("mediaconvert: EngineConfig.%s %q is not usable: want %s", e.Field, e.Value, e.Want)
}

// RequestError reports a StartRequest that Start refuses before calling AWS:
// one MediaConvert would reject, or whose job its events could not find.
// Retrying the same request cannot help.
type RequestError struct {
	// JobID is the request's job, as far as it names one.
	JobID string
	// Reason says which rule the request breaks.
	Reason string
	// Err is the broken rule's error: a *jobs.StartRequestError for the
	// rules every engine holds a request to.
	Err error
}

// Error names the job and why it cannot start.
func (e *RequestError) Error() string {
	return fmt.Sprintf("mediaconvert: cannot start job %q: %s", e.JobID, e.Reason)
}

// Unwrap returns the broken rule's error.
func (e *RequestError) Unwrap() error { return e.Err }

// refuse returns the RequestError for req, which breaks the rule err states.
func refuse(req jobs.StartRequest, err error) *RequestError {
	return &RequestError{JobID: cmp.Or(req.Metadata[jobs.MetadataJobID], req.JobID), Reason: err.Error(), Err: err}
}

var (
	roleARN  = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::\d{12}:role/[\w+=,.@/-]+$`)
	queueARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:mediaconvert:([a-z]{2}(-[a-z]+)+-\d):\d{12}:queues/[^/\s:]+$`)
)

// NewEngine returns an Engine that submits jobs through client, or an error
// naming every EngineConfig field that is not of the right shape, so that a
// typo in the configuration fails at start-up with its fix.
func NewEngine(client *awsmediaconvert.Client, cfg EngineConfig) (*Engine, error) {
	if client == nil {
		return nil, errors.New("mediaconvert: NewEngine needs a MediaConvert client")
	}
	var errs []error
	if !roleARN.MatchString(cfg.RoleARN) {
		errs = append(errs, &ConfigError{Field: "RoleARN", Value: cfg.RoleARN,
			Want: "an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>"})
	}
	if m := queueARN.FindStringSubmatch(cfg.QueueARN); m == nil {
		errs = append(errs, &ConfigError{Field: "QueueARN", Value: cfg.QueueARN,
			Want: "a MediaConvert queue ARN, arn:aws:mediaconvert:<region>:<12-digit account>:queues/<name>"})
	} else if region := client.Options().Region; region != "" && m[2] != region {
		errs = append(errs, &ConfigError{Field: "QueueARN", Value: cfg.QueueARN,
			Want: fmt.Sprintf("a queue in the client's region %s (a job cannot be submitted to another region's queue)", region)})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Engine{client: client, cfg: cfg}, nil
}

// Start submits req as one MediaConvert job and returns MediaConvert's id for
// it. Each preset gets an output group of its own whose destination is the
// preset's folder, so that MediaConvert, which names a file after its input,
// writes it exactly at jobs.OutputURI. A request MediaConvert could not run
// is refused with a *RequestError before anything is sent.
func (e *Engine) Start(ctx context.Context, req jobs.StartRequest) (string, error) {
	in, err := e.createJobInput(req)
	if err != nil {
		return "", err
	}
	jobID := req.Metadata[jobs.MetadataJobID]
	out, err := e.client.CreateJob(ctx, in)
	if err != nil {
		return "", fmt.Errorf("mediaconvert: creating the MediaConvert job for job %q: %w", jobID, err)
	}
	if out.Job == nil || aws.ToString(out.Job.Id) == "" {
		return "", fmt.Errorf("mediaconvert: creating the MediaConvert job for job %q: CreateJob answered without a job id", jobID)
	}
	return *out.Job.Id, nil
}

// audioSelector is the name of the input's one audio selector, the one every
// output takes its audio from.
const audioSelector = "Audio Selector 1"

// createJobInput validates req and turns it into a CreateJob request.
func (e *Engine) createJobInput(req jobs.StartRequest) (*awsmediaconvert.CreateJobInput, error) {
	if err := req.Validate(); err != nil {
		return nil, refuse(req, err)
	}
	groups := make([]types.OutputGroup, len(req.Presets))
	for i, p := range req.Presets {
		out, err := audioOutput(p)
		if err != nil {
			return nil, refuse(req, err)
		}
		uri := jobs.OutputURI(req.OutputPrefix, req.Input, p)
		groups[i] = types.OutputGroup{
			Name: aws.String(p.Name),
			OutputGroupSettings: &types.OutputGroupSettings{
				Type: types.OutputGroupTypeFileGroupSettings,
				FileGroupSettings: &types.FileGroupSettings{
					// A folder, ending in "/": MediaConvert adds the
					// input's base name and the output's extension.
					Destination: aws.String(uri[:strings.LastIndexByte(uri, '/')+1]),
				},
			},
			Outputs: []types.Output{out},
		}
	}
	return &awsmediaconvert.CreateJobInput{
		Role:                 aws.String(e.cfg.RoleARN),
		Queue:                aws.String(e.cfg.QueueARN),
		UserMetadata:         req.Metadata,
		StatusUpdateInterval: types.StatusUpdateIntervalSeconds10,
		// The job's minutes are billed under the queue's tags, which the
		// stack's cost budget filters on.
		BillingTagsSource: types.BillingTagsSourceQueue,
		Settings: &types.JobSettings{
			Inputs: []types.Input{{
				FileInput: aws.String(req.Input),
				AudioSelectors: map[string]types.AudioSelector{
					audioSelector: {DefaultSelection: types.AudioDefaultSelectionDefault},
				},
			}},
			OutputGroups: groups,
		},
	}, nil
}

// audioOutputs says, for each codec of the presets, which container
// MediaConvert writes it in and how it encodes it. WAV, FLAC and MP3 are
// written without a container (RAW): their own file formats are the codec's,
// and MediaConvert offers no WAV, FLAC or MP3 output container. AAC goes in
// MP4, the .m4a file. See the MediaConvert User Guide, "Supported output
// formats for audio-only workflows".
var audioOutputs = map[presets.Codec]struct {
	container types.ContainerType
	settings  func(p presets.Preset) (*types.AudioCodecSettings, error)
}{
	presets.PCM: {types.ContainerTypeRaw, func(p presets.Preset) (*types.AudioCodecSettings, error) {
		return &types.AudioCodecSettings{Codec: types.AudioCodecWav, WavSettings: &types.WavSettings{
			BitDepth:   aws.Int32(int32(p.BitDepth)),
			SampleRate: aws.Int32(int32(p.SampleRate)),
			Channels:   aws.Int32(int32(p.Channels)),
			Format:     types.WavFormatRiff,
		}}, nil
	}},
	presets.FLAC: {types.ContainerTypeRaw, func(p presets.Preset) (*types.AudioCodecSettings, error) {
		return &types.AudioCodecSettings{Codec: types.AudioCodecFlac, FlacSettings: &types.FlacSettings{
			BitDepth:   aws.Int32(int32(p.BitDepth)),
			SampleRate: aws.Int32(int32(p.SampleRate)),
			Channels:   aws.Int32(int32(p.Channels)),
		}}, nil
	}},
	presets.AAC: {types.ContainerTypeMp4, func(p presets.Preset) (*types.AudioCodecSettings, error) {
		// AAC has no channel count: its coding mode sets the layout.
		mode, ok := map[int]types.AacCodingMode{1: types.AacCodingModeCodingMode10, 2: types.AacCodingModeCodingMode20}[p.Channels]
		if !ok {
			return nil, fmt.Errorf("preset %q has %d channels: AAC outputs are mono or stereo", p.Name, p.Channels)
		}
		return &types.AudioCodecSettings{Codec: types.AudioCodecAac, AacSettings: &types.AacSettings{
			Bitrate:         aws.Int32(int32(p.Bitrate)),
			SampleRate:      aws.Int32(int32(p.SampleRate)),
			CodingMode:      mode,
			CodecProfile:    types.AacCodecProfileLc,
			RateControlMode: types.AacRateControlModeCbr,
			Specification:   types.AacSpecificationMpeg4,
			RawFormat:       types.AacRawFormatNone,
		}}, nil
	}},
	presets.MP3: {types.ContainerTypeRaw, func(p presets.Preset) (*types.AudioCodecSettings, error) {
		return &types.AudioCodecSettings{Codec: types.AudioCodecMp3, Mp3Settings: &types.Mp3Settings{
			Bitrate:         aws.Int32(int32(p.Bitrate)),
			RateControlMode: types.Mp3RateControlModeCbr,
			SampleRate:      aws.Int32(int32(p.SampleRate)),
			Channels:        aws.Int32(int32(p.Channels)),
		}}, nil
	}},
}

// audioOutput translates p into one audio-only MediaConvert output: its
// container, its one audio track, and the preset's extension, which
// MediaConvert puts after the input's base name.
func audioOutput(p presets.Preset) (types.Output, error) {
	t, ok := audioOutputs[p.Codec]
	if !ok {
		return types.Output{}, fmt.Errorf("preset %q uses codec %q, which this engine cannot write", p.Name, p.Codec)
	}
	settings, err := t.settings(p)
	if err != nil {
		return types.Output{}, err
	}
	return types.Output{
		ContainerSettings: &types.ContainerSettings{Container: t.container},
		Extension:         aws.String(strings.TrimPrefix(p.Extension, ".")),
		AudioDescriptions: []types.AudioDescription{{
			AudioSourceName: aws.String(audioSelector),
			CodecSettings:   settings,
		}},
	}, nil
}

var _ jobs.Canceler = (*Engine)(nil)

// Cancel asks MediaConvert to cancel the job with MediaConvert's id for it;
// the CANCELED event then reaches the service like any other.
func (e *Engine) Cancel(ctx context.Context, engineJobID string) error {
	if engineJobID == "" {
		return errors.New("mediaconvert: cancel: the job has no MediaConvert id yet")
	}
	if _, err := e.client.CancelJob(ctx, &awsmediaconvert.CancelJobInput{Id: aws.String(engineJobID)}); err != nil {
		return fmt.Errorf("mediaconvert: cancel job %s: %w", engineJobID, err)
	}
	return nil
}
