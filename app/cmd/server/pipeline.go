package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	awselastictranscoder "github.com/aws/aws-sdk-go-v2/service/elastictranscoder"
	awsmediaconvert "github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"transcoder/app/config"
	"transcoder/app/elastictranscoder"
	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
	"transcoder/app/s3"
	"transcoder/app/sns"
)

// pipeline is what starts jobs and keeps their files, as ENGINE says: the AWS
// services, or on one machine the local S3, SNS and ffmpeg engine.
type pipeline struct {
	storage    *s3.Storage
	transcoder jobs.Transcoder
	engine     jobs.Engine

	// local is the one-machine pipeline's SNS topic and engine; nil with
	// the AWS engines (and not in the Lambda build at all).
	local   localParts
	closers []func() error
}

// localSNSPath is where the local SNS topic's handler is mounted.
const localSNSPath = "/local-sns"

// newPipeline builds the pipeline; baseURL is where the service listens.
func newPipeline(ctx context.Context, cfg *config.Config, logger *slog.Logger, baseURL string) (*pipeline, error) {
	p := &pipeline{}
	var err error
	if cfg.Engine == config.Local {
		err = p.openLocal(ctx, cfg, logger, baseURL)
	} else {
		err = p.openAWS(ctx, cfg)
	}
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *pipeline) openAWS(ctx context.Context, cfg *config.Config) error {
	awsCfg, err := awsConfig(ctx)
	if err != nil {
		return fmt.Errorf("ENGINE=%s: loading AWS configuration: %w", cfg.Engine, err)
	}
	p.storage = s3.New(awss3.NewFromConfig(awsCfg), cfg.InputBucket, cfg.OutputBucket)
	switch cfg.Engine {
	case config.MediaConvert:
		p.engine = jobs.MediaConvert
		p.transcoder, err = mediaconvert.NewEngine(awsmediaconvert.NewFromConfig(awsCfg),
			mediaconvert.EngineConfig{RoleARN: cfg.MediaConvertRoleARN, QueueARN: cfg.MediaConvertQueueARN})
	case config.ElasticTranscoder:
		p.engine = jobs.ElasticTranscoder
		p.transcoder, err = elastictranscoder.NewEngine(awselastictranscoder.NewFromConfig(awsCfg),
			elastictranscoder.EngineConfig{PipelineID: cfg.PipelineID})
	}
	return err
}

// localParts is what the one-machine pipeline adds to the service: its SNS
// topic, whose handler the server mounts at /local-sns and whose signer the
// verifier is told to trust, and what to do once the endpoint listens.
type localParts interface {
	trust() (topics []string, local *sns.LocalSigner)
	started(ctx context.Context, endpoint string) error
	handler() http.Handler
}

// trust is what the verifier must accept besides Amazon SNS: the local
// topic, named explicitly, or nothing.
func (p *pipeline) trust() ([]string, *sns.LocalSigner) {
	if p.local == nil {
		return nil, nil
	}
	return p.local.trust()
}

// started finishes the local pipeline once the endpoint accepts requests.
func (p *pipeline) started(ctx context.Context, endpoint string) error {
	if p.local == nil {
		return nil
	}
	return p.local.started(ctx, endpoint)
}

// handler is the local topic's HTTP handler, or nil.
func (p *pipeline) handler() http.Handler {
	if p.local == nil {
		return nil
	}
	return p.local.handler()
}

// close stops what the pipeline started, the engine first.
func (p *pipeline) close() error {
	var errs []error
	for i := len(p.closers) - 1; i >= 0; i-- {
		errs = append(errs, p.closers[i]())
	}
	p.closers = nil
	return errors.Join(errs...)
}
