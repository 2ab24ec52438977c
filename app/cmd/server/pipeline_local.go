//go:build !transcoder_lambda

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"

	"transcoder/app/config"
	"transcoder/app/jobs"
	"transcoder/app/localengine"
	"transcoder/app/localsns"
	"transcoder/app/s3"
	s3local "transcoder/app/s3/local"
	"transcoder/app/sns"
)

// The one-machine pipeline: a local S3 server, a local SNS topic and the
// ffmpeg engine, in the process. The Lambda build (tag transcoder_lambda)
// leaves this file, and everything it imports, out.

// local is the one-machine pipeline's topic and engine.
type local struct {
	topic  *localsns.Topic
	engine *localengine.Engine
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

	l := &local{}
	l.topic, err = localsns.Open(ctx, localsns.Options{
		Dir:        filepath.Join(cfg.DataDir, "sns"),
		BaseURL:    baseURL + localSNSPath,
		Logger:     logger.With("component", "local-sns"),
		Duplicates: cfg.Local.Duplicates,
		Reorder:    cfg.Local.Reorder,
	})
	if err != nil {
		return fmt.Errorf("DATA_DIR: opening the local SNS topic: %w", err)
	}
	p.closers = append(p.closers, func() error { l.topic.Close(); return nil })

	l.engine, err = localengine.New(localengine.Options{
		Storage:     p.storage,
		Publisher:   publisher{l.topic},
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
	p.closers = append(p.closers, l.engine.Close)
	p.transcoder = l.engine
	p.local = l
	logger.Info("local pipeline", "s3", s3srv.URL(), "topic", l.topic.TopicARN(), "ffmpeg", cfg.Local.FFmpeg)
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

// trust names the local topic and its signer, which the verifier accepts
// besides Amazon SNS.
func (l *local) trust() ([]string, *sns.LocalSigner) {
	return []string{l.topic.TopicARN()}, l.topic.LocalSigner()
}

// started subscribes the endpoint (which confirms through the handshake),
// dropping the endpoint of an earlier run on another address, and lets the
// engine finish the jobs a previous run left unfinished.
func (l *local) started(ctx context.Context, endpoint string) error {
	if _, err := l.topic.SubscribeOnly(ctx, endpoint); err != nil {
		return fmt.Errorf("subscribing %s to the local SNS topic: %w", endpoint, err)
	}
	return l.engine.Recover(ctx)
}

func (l *local) handler() http.Handler {
	return http.StripPrefix(localSNSPath, l.topic.Handler())
}

// publisher adapts the local topic to the engine's Publisher.
type publisher struct{ t *localsns.Topic }

func (p publisher) Publish(ctx context.Context, message string) error {
	_, err := p.t.Publish(ctx, message)
	return err
}
