package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awselastictranscoder "github.com/aws/aws-sdk-go-v2/service/elastictranscoder"
	awsmediaconvert "github.com/aws/aws-sdk-go-v2/service/mediaconvert"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"transcoder/app/config"
	"transcoder/app/elastictranscoder"
	"transcoder/app/jobs"
	"transcoder/app/localengine"
	"transcoder/app/localsns"
	"transcoder/app/mediaconvert"
	"transcoder/app/s3"
	s3local "transcoder/app/s3/local"
	"transcoder/app/sns"
)

// pipeline is what starts jobs and keeps their files, as ENGINE says: the AWS
// services, or on one machine the local S3, SNS and ffmpeg engine.
type pipeline struct {
	storage    *s3.Storage
	transcoder jobs.Transcoder
	engine     jobs.Engine

	// The local pipeline only: its SNS topic (whose handler the server
	// mounts at /local-sns, and whose signer the verifier is told to
	// trust) and what to do once the endpoint listens.
	topic   *localsns.Topic
	local   *localengine.Engine
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
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
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

func (p *pipeline) openLocal(ctx context.Context, cfg *config.Config, logger *slog.Logger, baseURL string) error {
	p.engine = jobs.Local
	s3srv, err := s3local.Start(ctx, s3local.Options{
		Dir:            filepath.Join(cfg.DataDir, "s3"),
		Addr:           cfg.Local.S3Addr,
		Buckets:        []string{cfg.InputBucket, cfg.OutputBucket},
		AllowedOrigins: pageOrigins(baseURL),
	})
	if err != nil {
		return fmt.Errorf("LOCAL_S3_ADDR: starting the local S3 server on %s: %w", cfg.Local.S3Addr, err)
	}
	p.closers = append(p.closers, s3srv.Close)
	client, err := s3srv.Client(ctx)
	if err != nil {
		return err
	}
	p.storage = s3.New(client, cfg.InputBucket, cfg.OutputBucket)

	p.topic, err = localsns.Open(ctx, localsns.Options{
		Dir:        filepath.Join(cfg.DataDir, "sns"),
		BaseURL:    baseURL + localSNSPath,
		Logger:     logger.With("component", "local-sns"),
		Duplicates: cfg.Local.Duplicates,
		Reorder:    cfg.Local.Reorder,
	})
	if err != nil {
		return fmt.Errorf("DATA_DIR: opening the local SNS topic: %w", err)
	}
	p.closers = append(p.closers, func() error { p.topic.Close(); return nil })

	p.local, err = localengine.New(localengine.Options{
		Storage:     p.storage,
		Publisher:   publisher{p.topic},
		FFmpeg:      cfg.Local.FFmpeg,
		FFprobe:     cfg.Local.FFprobe,
		Concurrency: cfg.Local.Concurrency,
		Dir:         filepath.Join(cfg.DataDir, "engine"),
		Logger:      logger.With("component", "local-engine"),
		// The operator's jobs (Owner "") are exempt, as from every quota.
		MaxInputDuration: cfg.Quotas.MaxInputDuration,
	})
	if err != nil {
		return err
	}
	p.closers = append(p.closers, p.local.Close)
	p.transcoder = p.local
	logger.Info("local pipeline", "s3", s3srv.URL(), "topic", p.topic.TopicARN(), "ffmpeg", cfg.Local.FFmpeg)
	return nil
}

// pageOrigins are the origins a browser may show the page under, which the
// local S3 server must accept uploads from: a loopback service is as
// reachable at localhost as at its address.
func pageOrigins(baseURL string) []string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return []string{baseURL}
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return []string{baseURL}
	}
	port := u.Port()
	return []string{"http://127.0.0.1:" + port, "http://localhost:" + port, "http://[::1]:" + port}
}

// trust is what the verifier must accept besides Amazon SNS: the local
// topic, named explicitly, or nothing.
func (p *pipeline) trust() (topics []string, local *sns.LocalSigner) {
	if p.topic == nil {
		return nil, nil
	}
	return []string{p.topic.TopicARN()}, p.topic.LocalSigner()
}

// started finishes the local pipeline once the endpoint accepts requests:
// the topic subscribes it (the endpoint confirms through the handshake),
// dropping the endpoint of an earlier run on another address, and the
// engine reports the jobs a previous run left unfinished.
func (p *pipeline) started(ctx context.Context, endpoint string) error {
	if p.topic == nil {
		return nil
	}
	if _, err := p.topic.SubscribeOnly(ctx, endpoint); err != nil {
		return fmt.Errorf("subscribing %s to the local SNS topic: %w", endpoint, err)
	}
	return p.local.Recover(ctx)
}

// handler is the local topic's HTTP handler, or nil.
func (p *pipeline) handler() http.Handler {
	if p.topic == nil {
		return nil
	}
	return http.StripPrefix(localSNSPath, p.topic.Handler())
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

// publisher adapts the local topic to the engine's Publisher.
type publisher struct{ t *localsns.Topic }

func (p publisher) Publish(ctx context.Context, message string) error {
	_, err := p.t.Publish(ctx, message)
	return err
}
