package config

import (
	"net"
	"runtime"
	"strconv"
	"time"

	"transcoder/app/settings"
)

// loadEngine reads where jobs run and what that engine needs.
func (c *Config) loadEngine(r *reader) {
	switch c.Engine {
	case Local:
		if c.Lambda {
			r.bad(settings.EnvEngine, "local runs ffmpeg and a local S3 and SNS in the process, which Lambda cannot keep: use mediaconvert")
		}
		c.loadLocal(r)
	case MediaConvert:
		c.requireBuckets(r)
		if !settings.IsRoleARN(c.MediaConvertRoleARN) {
			r.bad(settings.EnvMediaConvertRoleARN, "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); ENGINE=mediaconvert needs it", c.MediaConvertRoleARN)
		}
		if !settings.IsQueueARN(c.MediaConvertQueueARN) {
			r.bad(settings.EnvMediaConvertQueueARN, "%q is not a MediaConvert queue ARN (arn:aws:mediaconvert:<region>:<account>:queues/<name>); ENGINE=mediaconvert needs it", c.MediaConvertQueueARN)
		}
	case ElasticTranscoder:
		c.requireBuckets(r)
		if !settings.IsPipelineID(c.PipelineID) {
			r.bad(settings.EnvPipelineID, "%q is not a pipeline id (13 digits, a dash, 6 characters); ENGINE=elastictranscoder needs it", c.PipelineID)
		}
	default:
		r.bad(settings.EnvEngine, "%q is not an engine: use local, mediaconvert or elastictranscoder", c.Engine)
	}
}

// requireBuckets checks the buckets every engine reads from and writes to.
func (c *Config) requireBuckets(r *reader) {
	for _, b := range []struct{ name, value string }{{settings.EnvInputBucket, c.InputBucket}, {settings.EnvOutputBucket, c.OutputBucket}} {
		if !bucketName.MatchString(b.value) {
			r.bad(b.name, "%q is not an S3 bucket name (3-63 of a-z 0-9 . -); ENGINE=%s needs it", b.value, c.Engine)
		}
	}
}

// loadLocal reads the local engine's buckets, S3 server, binaries and the
// local SNS's testing switches.
func (c *Config) loadLocal(r *reader) {
	if c.InputBucket == "" {
		c.InputBucket = "transcoder-input"
	}
	if c.OutputBucket == "" {
		c.OutputBucket = "transcoder-output"
	}
	c.requireBuckets(r)
	c.Local.S3Addr = r.get(settings.EnvLocalS3Addr, "127.0.0.1:8081")
	if _, port, err := net.SplitHostPort(c.Local.S3Addr); err != nil || port == "" {
		r.bad(settings.EnvLocalS3Addr, "%q is not host:port (for example 127.0.0.1:8081)", c.Local.S3Addr)
	}
	c.Local.FFmpeg = r.get(settings.EnvFFmpeg, "ffmpeg")
	c.Local.FFprobe = r.get(settings.EnvFFprobe, "ffprobe")
	c.Local.Concurrency = runtime.NumCPU()
	if v := r.get(settings.EnvLocalConcurrency, ""); v != "" {
		n, err := settings.ParseWholeNumber(v, 1, 64)
		if err != nil {
			r.bad(settings.EnvLocalConcurrency, "%q is not a number from 1 to 64", v)
		}
		c.Local.Concurrency = n
	}
	if v := r.get(settings.EnvLocalSNSDuplicates, "0"); v != "" {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			r.bad(settings.EnvLocalSNSDuplicates, "%q is not a probability from 0 to 1", v)
		}
		c.Local.Duplicates = p
	}
	d, err := settings.ParseDuration(r.get(settings.EnvLocalSNSReorder, "0"), 0, time.Minute)
	if err != nil {
		r.bad(settings.EnvLocalSNSReorder, "%q is not a Go duration from 0 to 1m (for example 200ms)", r.get(settings.EnvLocalSNSReorder, ""))
	}
	c.Local.Reorder = d
}
