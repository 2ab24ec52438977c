package localengine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"transcoder/app/failures"
	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
)

// jobError is why a job failed, in the terms of its ERROR event.
type jobError struct {
	Code    mediaconvert.ErrorCode
	Message string
}

func (e *jobError) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// ErrorInputTooLong is the code of the ERROR event of a job whose input is
// longer than Options.MaxInputDuration. MediaConvert itself has no such
// limit (it is the service's quota, which the local engine enforces), so the
// code is none of MediaConvert's documented ones, which are 1000-1999 and
// 3000-3999; it is a number because an ERROR event's errorCode is one.
const ErrorInputTooLong mediaconvert.ErrorCode = 4010

// errorUnsupportedCodec is MediaConvert's 1030 ("Unsupported Codec"): the
// input's codec or container is not one the engine decodes.
const errorUnsupportedCodec mediaconvert.ErrorCode = 1030

// ffmpegCode is the code of the ERROR event of a job whose ffmpeg gave up on
// an input that probed well: the one MediaConvert reports for what ffmpeg's
// standard error describes (a file that is not media, a codec nobody
// decodes, no sound, a file cut short), and its "Unknown Error" for the
// rest. The message keeps what ffmpeg said; package failures words it for
// the job's owner from this code and that message.
func ffmpegCode(stderr string) mediaconvert.ErrorCode {
	switch failures.Classify(stderr) {
	case failures.Unreadable:
		return mediaconvert.ErrorInput
	case failures.Unsupported:
		return errorUnsupportedCodec
	case failures.NoAudio:
		return mediaconvert.ErrorAudio
	case failures.Truncated:
		return mediaconvert.ErrorSourceRead
	}
	return mediaconvert.ErrorUnknown
}

// limitSlack is how far past Options.MaxInputDuration ffmpeg reads an
// input. A file can say it is shorter than it plays (an MP3 without a VBR
// header is timed from its first frames' bitrate; some containers do not
// say at all), so the limit is held to what ffmpeg decodes too: it stops
// reading at the limit and this slack, and an output that long means the
// input was over the limit. The slack is far beyond what encoders pad an
// output with.
const limitSlack = time.Second

// inputLimit is the longest input j may have, 0 for none: the operator's
// jobs are bound by no quota.
func (e *Engine) inputLimit(j *job) time.Duration {
	if j.req.Owner == "" {
		return 0
	}
	return e.opts.MaxInputDuration
}

// tooLong is the failure of a job whose input lasts longer than limit: what
// is wrong and what to do, in words the file's owner can act on.
func tooLong(length, limit time.Duration) *jobError {
	file, most := durationsApart(length, limit)
	return &jobError{ErrorInputTooLong, fmt.Sprintf("This file is %s long; this service takes files up to %s. Trim it or split it, then upload again.", file, most)}
}

// longerThanItSays is the failure of a job whose input said it was within
// limit but played on past it.
func longerThanItSays(limit time.Duration) *jobError {
	return &jobError{ErrorInputTooLong, fmt.Sprintf("This file plays for longer than it says, and longer than the %s this service takes. Trim it or split it, then upload again.", humanDuration(limit))}
}

// durationsApart writes a file's length and the limit it is over as people
// read them (1h12m, 30m, 2.5s), as coarsely as shows both exactly enough:
// the limit as it is, and the length cut down, never rounded up, yet still
// visibly over the limit.
func durationsApart(length, limit time.Duration) (string, string) {
	for _, unit := range []time.Duration{time.Minute, time.Second, 100 * time.Millisecond, 10 * time.Millisecond, time.Millisecond, time.Microsecond, 1} {
		if limit.Truncate(unit) == limit && length.Truncate(unit) > limit {
			return humanDuration(length.Truncate(unit)), humanDuration(limit)
		}
	}
	return humanDuration(length), humanDuration(limit)
}

// humanDuration is d as time.Duration writes it, without the zero minutes
// and seconds it ends with: 1h12m, not 1h12m0s.
func humanDuration(d time.Duration) string {
	s := d.String()
	if rest, ok := strings.CutSuffix(s, "m0s"); ok {
		s = rest + "m"
	}
	if rest, ok := strings.CutSuffix(s, "h0m"); ok {
		s = rest + "h"
	}
	return s
}

// classify turns whatever stopped a job into its ERROR event's code and
// message. Failures the engine did not foresee are MediaConvert's "Unknown
// Error".
func classify(err error) (mediaconvert.ErrorCode, string) {
	var je *jobError
	if errors.As(err, &je) {
		return je.Code, je.Message
	}
	var te *toolError
	if errors.As(err, &te) {
		return mediaconvert.ErrorUnknown, te.Reason
	}
	return mediaconvert.ErrorUnknown, err.Error()
}

// storageCode is the documented code for a storage failure: a missing object
// or bucket, a refusal, a full disk, or the code of whatever the file was
// being used for.
func storageCode(err error, otherwise mediaconvert.ErrorCode) mediaconvert.ErrorCode {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return mediaconvert.ErrorNotFound
	case errors.Is(err, fs.ErrPermission):
		return mediaconvert.ErrorPermission
	case errors.Is(err, syscall.ENOSPC):
		return mediaconvert.ErrorDiskFull
	}
	return otherwise
}

// process does the job's work once it has left the queue: PROGRESSING, fetch
// and probe the input (INPUT_INFORMATION), transcode every output in one
// ffmpeg run (STATUS_UPDATE as it goes), then upload each output. The input
// is probed once; the outputs are not, since ffmpeg says how much it wrote.
// It returns the outputs for the COMPLETE event, or why the job failed.
func (e *Engine) process(j *job) ([]mediaconvert.OutputDetail, error) {
	e.progress(j, j.emit.Progressing)
	if err := e.prepare(j); err != nil {
		return nil, err
	}
	input, m, err := e.readInput(j)
	if err != nil {
		return nil, err
	}
	duration := m.Duration()
	limit := e.inputLimit(j)
	if err := admit(j.req.Input, m, limit); err != nil {
		return nil, err
	}
	files, written, err := e.transcode(j, input, duration, limit)
	if err != nil {
		return nil, err
	}
	// Every output is the same audio stream, so what ffmpeg says it wrote
	// is each output's length: no output needs probing again (one ffprobe
	// run costs about what transcoding a second of audio to every preset
	// does, most of it ffprobe's start-up).
	if limit > 0 && written > limit+limitSlack/2 {
		return nil, longerThanItSays(limit)
	}
	outputs, err := outputDetails(j, files, written)
	if err != nil {
		return nil, err
	}
	if err := e.uploadOutputs(j, files, outputs); err != nil {
		return nil, err
	}
	return outputs, nil
}

// prepare fails the job at once, before any work, if a tool is missing, and
// makes its work folder.
func (e *Engine) prepare(j *job) error {
	for _, t := range []tool{e.ffmpeg, e.ffprobe} {
		if _, err := t.resolve(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(j.workDir, 0o755); err != nil {
		return &jobError{storageCode(err, mediaconvert.ErrorUnknown), fmt.Sprintf("cannot create the work folder %s: %v", j.workDir, err)}
	}
	return nil
}

// readInput fetches the job's input into its work folder, probes it and
// reports what it found (INPUT_INFORMATION). It returns the work copy's path
// and the probe's findings.
func (e *Engine) readInput(j *job) (string, *media, error) {
	uri := j.req.Input
	input := filepath.Join(j.workDir, "input"+safeExt(uri))
	if err := e.fetch(j.ctx, uri, input); err != nil {
		return "", nil, &jobError{storageCode(err, mediaconvert.ErrorInput), fmt.Sprintf("Unable to open input file [%s]: [cannot read it from storage: %v]", uri, err)}
	}
	m, err := probe(j.ctx, e.ffprobe, input)
	if err != nil {
		if te := (*toolError)(nil); errors.As(err, &te) && !te.Missing && !te.TimedOut {
			return "", nil, &jobError{mediaconvert.ErrorInput, fmt.Sprintf("Unable to open input file [%s]: [Failed probe/open: [%s]]", uri, strings.ReplaceAll(te.Reason, input, uri))}
		}
		return "", nil, err
	}
	e.progress(j, func(at time.Time) ([]byte, error) { return j.emit.InputInformation(at, m.InputDetail(uri)) })
	return input, m, nil
}

// admit refuses the input at uri, as probed in m, if it is longer than
// limit (when there is one) or has no sound for the presets to encode.
func admit(uri string, m *media, limit time.Duration) error {
	if duration := m.Duration(); limit > 0 && duration > limit {
		return tooLong(duration, limit)
	}
	if !m.HasAudio() {
		return &jobError{mediaconvert.ErrorAudio, fmt.Sprintf("input file [%s] has no audio stream: every preset is audio; submit a file with sound", uri)}
	}
	return nil
}

// outputDetails checks that ffmpeg wrote every one of files, in the order of
// the job's presets, and returns what the COMPLETE event says of each: where
// it is stored and how long it plays (written, for every one).
func outputDetails(j *job, files []string, written time.Duration) ([]mediaconvert.OutputDetail, error) {
	outputs := make([]mediaconvert.OutputDetail, len(files))
	for i, p := range j.req.Presets {
		if st, err := os.Stat(files[i]); err != nil || st.Size() == 0 {
			return nil, &jobError{mediaconvert.ErrorUnknown, fmt.Sprintf("ffmpeg finished [%s] but wrote no %s output: %v", j.req.Input, p.Name, emptyOr(err))}
		}
		dest := jobs.OutputURI(j.req.OutputPrefix, j.req.Input, p)
		outputs[i] = mediaconvert.OutputDetail{OutputFilePaths: []string{dest}, DurationInMs: written.Milliseconds()}
	}
	return outputs, nil
}

// uploadOutputs stores each of files where outputs says. The uploads go at
// once: each is mostly waiting on storage, and the job's slot is held until
// the last is stored.
func (e *Engine) uploadOutputs(j *job, files []string, outputs []mediaconvert.OutputDetail) error {
	failed := make([]error, len(files))
	var wg sync.WaitGroup
	for i, p := range j.req.Presets {
		dest := outputs[i].OutputFilePaths[0]
		wg.Go(func() {
			if err := e.upload(j.ctx, files[i], dest, p.ContentType); err != nil {
				failed[i] = &jobError{storageCode(err, mediaconvert.ErrorFileOpen), fmt.Sprintf("Unable to write output file [%s]: [%v]", dest, err)}
			}
		})
	}
	wg.Wait()
	return cmp.Or(failed...)
}

// emptyOr is err, or the words for a file that is there but empty.
func emptyOr(err error) error {
	if err != nil {
		return err
	}
	return errors.New("the file is empty")
}

// safeExt keeps the input's extension on the work copy (it helps ffprobe
// tell raw formats apart) when it is a plain one.
func safeExt(uri string) string {
	ext := path.Ext(uri)
	if len(ext) < 2 || len(ext) > 8 || strings.ContainsFunc(ext[1:], func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) {
		return ""
	}
	return ext
}

func (e *Engine) fetch(ctx context.Context, uri, file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	err = e.opts.Storage.Get(ctx, uri, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (e *Engine) upload(ctx context.Context, file, uri, contentType string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return e.opts.Storage.Put(ctx, uri, io.Reader(f), st.Size(), contentType)
}

// transcode runs ffmpeg once, writing every preset's output, and reports its
// progress through the input as STATUS_UPDATE events, at most one per
// ProgressInterval and only when the percentage has grown. The job's percent
// is the transcode's, short of 100 until the outputs are uploaded. With a
// limit, ffmpeg reads no more of the input than the limit and limitSlack.
//
// It returns the output files, in the order of the job's presets, and how
// much audio ffmpeg wrote to each: its last reported position.
func (e *Engine) transcode(j *job, input string, duration, limit time.Duration) ([]string, time.Duration, error) {
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y",
		"-progress", "pipe:1", "-stats_period", statsPeriod(e.opts.ProgressInterval),
		"-format_whitelist", inputFormats, "-protocol_whitelist", "file,pipe"}
	if limit > 0 {
		args = append(args, "-t", strconv.FormatFloat((limit+limitSlack).Seconds(), 'f', -1, 64))
	}
	args = append(args, "-i", input)
	files := make([]string, len(j.req.Presets))
	for i, p := range j.req.Presets {
		out, err := OutputArgs(p)
		if err != nil {
			return nil, 0, &jobError{mediaconvert.ErrorUnknown, err.Error()}
		}
		files[i] = filepath.Join(j.workDir, p.Name+p.Extension)
		args = append(append(args, out...), files[i])
	}

	ctx, cancel := context.WithTimeout(j.ctx, transcodeTimeout(duration))
	defer cancel()
	lastAt, lastPercent := e.now(), 0
	var written time.Duration
	report := func(position time.Duration) {
		written = position
		percent := percentOf(position, duration)
		if percent <= lastPercent || e.now().Sub(lastAt) < e.opts.ProgressInterval {
			return
		}
		lastAt, lastPercent = e.now(), percent
		e.progress(j, func(at time.Time) ([]byte, error) {
			return j.emit.StatusUpdate(at, mediaconvert.Progress{
				Phase: mediaconvert.Transcoding, PhasePercent: percent, JobPercent: min(percent, 99),
			})
		})
	}
	started := func(p *os.Process) {
		if e.hooks.ffmpegStarted != nil {
			e.hooks.ffmpegStarted(j.emit.JobID, p)
		}
	}
	_, err := e.ffmpeg.run(ctx, args, func(r io.Reader) { readProgress(r, report) }, started)
	if e.hooks.ffmpegExited != nil {
		e.hooks.ffmpegExited(j.emit.JobID, err)
	}
	var te *toolError
	switch {
	case err == nil:
		return files, written, nil
	case errors.As(err, &te) && te.TimedOut:
		return nil, 0, &jobError{mediaconvert.ErrorUnknown, fmt.Sprintf("ffmpeg did not finish [%s] within %v, for %v of input: it is stuck or the machine is overloaded; submit the job again", j.req.Input, transcodeTimeout(duration).Round(time.Second), duration.Round(time.Millisecond))}
	case errors.As(err, &te) && !te.Missing && j.ctx.Err() == nil:
		reason := strings.ReplaceAll(te.Reason, input, j.req.Input)
		for i, p := range j.req.Presets {
			reason = strings.ReplaceAll(reason, files[i], jobs.OutputURI(j.req.OutputPrefix, j.req.Input, p))
		}
		return nil, 0, &jobError{ffmpegCode(te.Reason), fmt.Sprintf("Unable to transcode input file [%s]: [%s]", j.req.Input, reason)}
	}
	return nil, 0, err
}
