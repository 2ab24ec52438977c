package mediaconvert

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmediaconvert "github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert/types"

	"transcoder/app/internal/awsengine"
	"transcoder/app/jobs"
	"transcoder/app/presets"
	"transcoder/app/settings"
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

// service names MediaConvert in awsengine's errors.
type service struct{}

// Names returns this package's name, its errors' prefix, and the service's.
func (service) Names() (pkg, name string) { return "mediaconvert", "MediaConvert" }

// ConfigError reports an EngineConfig field that cannot work (a role or
// queue ARN of the wrong shape, a queue in another region), so that a
// misconfigured service stops at start-up and not at its first job.
type ConfigError = awsengine.ConfigError[service]

// RequestError reports a StartRequest that Start refuses before calling AWS:
// one MediaConvert would reject, or whose job its events could not find.
type RequestError = awsengine.RequestError[service]

// NewEngine returns an Engine that submits jobs through client, or an error
// naming every EngineConfig field that is not of the right shape, so that a
// typo in the configuration fails at start-up with its fix.
func NewEngine(client *awsmediaconvert.Client, cfg EngineConfig) (*Engine, error) {
	if client == nil {
		return nil, errors.New("mediaconvert: NewEngine needs a MediaConvert client")
	}
	var errs []error
	if !settings.IsRoleARN(cfg.RoleARN) {
		errs = append(errs, &ConfigError{Field: "RoleARN", Value: cfg.RoleARN,
			Want: "an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>"})
	}
	if queueRegion, ok := settings.QueueRegion(cfg.QueueARN); !ok {
		errs = append(errs, &ConfigError{Field: "QueueARN", Value: cfg.QueueARN,
			Want: "a MediaConvert queue ARN, arn:aws:mediaconvert:<region>:<12-digit account>:queues/<name>"})
	} else if region := client.Options().Region; region != "" && queueRegion != region {
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
	return awsengine.Start[service](ctx, req, e.createJobInput,
		func(ctx context.Context, in *awsmediaconvert.CreateJobInput) (string, error) {
			out, err := e.client.CreateJob(ctx, in)
			if err != nil || out.Job == nil {
				return "", err
			}
			return aws.ToString(out.Job.Id), nil
		})
}

// audioSelector is the name of the input's one audio selector, the one every
// output takes its audio from.
const audioSelector = "Audio Selector 1"

// createJobInput turns req, which awsengine.Start has validated, into a
// CreateJob request, or returns the rule of MediaConvert's that it breaks.
func (e *Engine) createJobInput(req jobs.StartRequest) (*awsmediaconvert.CreateJobInput, error) {
	groups := make([]types.OutputGroup, len(req.Presets))
	for i, p := range req.Presets {
		out, err := audioOutput(p)
		if err != nil {
			return nil, err
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
	return awsengine.Cancel[service](ctx, engineJobID, func(ctx context.Context, id string) error {
		_, err := e.client.CancelJob(ctx, &awsmediaconvert.CancelJobInput{Id: aws.String(id)})
		return err
	})
}
