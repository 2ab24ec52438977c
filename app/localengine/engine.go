// Package localengine is a transcoding engine that runs on one machine: it
// transcodes with ffmpeg and reports each job with exactly the events AWS
// Elemental MediaConvert would send, through a local stand-in for SNS. The
// whole pipeline (upload, transcode, events, job view) can so run without an
// AWS account, and the service cannot tell the local engine from the real
// one: it decodes both with package mediaconvert.
//
// A job reads its input from Storage (the S3 API), probes it with ffprobe,
// transcodes it with one ffmpeg run that writes every preset's output, and
// writes the outputs back to Storage at jobs.OutputURI. Jobs run in the
// background, a bounded number at a time; the others wait in a queue that
// takes turns between owners, so that no owner's backlog holds up another's
// job. A journal on disk lets the next process report the jobs a stopped one
// left unfinished.
package localengine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"transcoder/app/internal/ids"
	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
	"transcoder/app/presets"
)

// Storage is where inputs are read and outputs written, by s3:// URI. The S3
// client implements it.
type Storage interface {
	// Get writes the object at uri to w.
	Get(ctx context.Context, uri string, w io.Writer) error
	// Put stores size bytes from r at uri with the given content type.
	Put(ctx context.Context, uri string, r io.Reader, size int64, contentType string) error
}

// Publisher sends a message to the SNS topic that carries MediaConvert's
// events to the service. The local SNS implements it.
type Publisher interface {
	// Publish sends message; an error means the topic did not take it.
	Publish(ctx context.Context, message string) error
}

// Options configures an Engine. Storage, Publisher and Dir are required; the
// rest have defaults.
type Options struct {
	// Storage is where inputs are read and outputs written.
	Storage Storage
	// Publisher carries the jobs' events to the service.
	Publisher Publisher
	// FFmpeg and FFprobe are the programs run; empty looks them up on PATH.
	FFmpeg, FFprobe string
	// Concurrency is how many jobs run at once; default runtime.NumCPU().
	// Others wait, SUBMITTED, in the queue, which serves owners
	// (jobs.StartRequest.Owner) in turn: when a job ends, the next to run
	// is the oldest queued job of the owner after the one served last.
	Concurrency int
	// MaxInputDuration is the longest input an owner's job may have (it is
	// one of the service's per-owner quotas; the operator's jobs, Owner "",
	// are not bound by it). A longer one ends the job in ERROR
	// (ErrorInputTooLong) once the input is probed, before any transcoding,
	// with a message that names the limit. An input that says it is shorter
	// than it plays, or does not say, is read no further than just past the
	// limit, and fails the same way if it goes on. Zero takes inputs of any
	// length.
	MaxInputDuration time.Duration
	// Dir holds the jobs' work files and the journal; it survives restarts.
	Dir string
	// Queue is the queue ARN events name; default the account's Default
	// queue, e.g. arn:aws:mediaconvert:us-east-1:000000000000:queues/Default.
	Queue string
	// Account and Region are those events name; default 000000000000 and
	// us-east-1.
	Account, Region string
	// Logger receives what the engine does; default discards.
	Logger *slog.Logger
	// ProgressInterval is the least time between two STATUS_UPDATE events
	// of a job; default 1s.
	ProgressInterval time.Duration
}

// ErrClosed is returned by Start once the engine is closed.
var ErrClosed = errors.New("localengine: the engine is closed")

// ErrInvalidRequest is wrapped by every error Start returns for a request it
// refuses; the message says which field is wrong and how.
var ErrInvalidRequest = errors.New("localengine: invalid request")

// ErrNoSuchJob is wrapped by Cancel's error for a job that is not queued or
// running here: finished, or never started by this engine.
var ErrNoSuchJob = errors.New("localengine: no such queued or running job")

// Recovered is the message of the ERROR event Recover publishes for a job a
// previous process accepted but did not finish.
const Recovered = "interrupted by a restart of the local engine; submit the job again"

// Engine runs transcode jobs with ffmpeg. It implements jobs.Transcoder. Its
// methods are safe for concurrent use.
type Engine struct {
	opts     Options
	log      *slog.Logger
	ffmpeg   tool
	ffprobe  tool
	journal  *journal
	workDir  string
	instance string

	// ctx ends when the engine closes, which stops every job.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	active map[string]*job
	// queue holds the jobs waiting for one of the Concurrency slots, of
	// which running are taken.
	queue   *fairQueue
	running int

	// Set by tests before the first Start.
	now        func() time.Time
	retryDelay time.Duration
	hooks      hooks
}

// hooks let tests watch the ffmpeg processes jobs run.
type hooks struct {
	ffmpegStarted func(jobID string, p *os.Process)
	ffmpegExited  func(jobID string, err error)
}

var _ jobs.Transcoder = (*Engine)(nil)

// errCanceled and errClosed tell why a job's context ended.
var (
	errCanceled = errors.New("canceled")
	errClosed   = errors.New("the engine is closing")
)

// job is a queued or running job.
type job struct {
	emit    mediaconvert.Emitter
	req     jobs.StartRequest
	entry   *entry
	ctx     context.Context
	cancel  context.CancelCauseFunc
	workDir string
	// ready is closed when the job is given a slot.
	ready chan struct{}

	// Guarded by Engine.mu: canceled is set by Cancel; finishing once the
	// job's end is decided, after which Cancel is too late; queued while
	// the job waits in Engine.queue.
	canceled  bool
	finishing bool
	queued    bool
}

// New builds an engine from opts, creating Dir's journal and work folders.
// A missing ffmpeg or ffprobe is not an error here: it is logged, and each
// job then fails at once with an ERROR that says how to install it.
func New(opts Options) (*Engine, error) {
	switch {
	case opts.Storage == nil:
		return nil, errors.New("localengine: Options.Storage is nil: pass the S3 client that inputs are read from and outputs written to")
	case opts.Publisher == nil:
		return nil, errors.New("localengine: Options.Publisher is nil: pass the SNS topic that carries job events to the service")
	case opts.Dir == "":
		return nil, errors.New("localengine: Options.Dir is empty: name a folder that survives restarts, for work files and the journal")
	case opts.Concurrency < 0:
		return nil, fmt.Errorf("localengine: Options.Concurrency %d is negative: use 0 for one job per CPU, or a positive number", opts.Concurrency)
	case opts.ProgressInterval < 0:
		return nil, fmt.Errorf("localengine: Options.ProgressInterval %v is negative: use 0 for 1s, or a positive interval", opts.ProgressInterval)
	case opts.MaxInputDuration < 0:
		return nil, fmt.Errorf("localengine: Options.MaxInputDuration %v is negative: use 0 for no limit, or a positive duration", opts.MaxInputDuration)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = runtime.NumCPU()
	}
	if opts.ProgressInterval == 0 {
		opts.ProgressInterval = time.Second
	}
	if opts.Account == "" {
		opts.Account = "000000000000"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Queue == "" {
		opts.Queue = "arn:aws:mediaconvert:" + opts.Region + ":" + opts.Account + ":queues/Default"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		opts:       opts,
		log:        log.With("engine", "local"),
		ffmpeg:     newTool("ffmpeg", opts.FFmpeg),
		ffprobe:    newTool("ffprobe", opts.FFprobe),
		journal:    &journal{dir: filepath.Join(opts.Dir, "journal")},
		workDir:    filepath.Join(opts.Dir, "work"),
		instance:   ids.Hex(16),
		active:     make(map[string]*job),
		queue:      newFairQueue(),
		now:        time.Now,
		retryDelay: 200 * time.Millisecond,
	}
	for _, dir := range []string{e.journal.dir, e.workDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("localengine: cannot create %s: %w (Options.Dir must be writable)", dir, err)
		}
	}
	for _, t := range []tool{e.ffmpeg, e.ffprobe} {
		if _, err := t.resolve(); err != nil {
			e.log.Warn("every job will fail until this is fixed", "error", err)
		}
	}
	e.ctx, e.cancel = context.WithCancelCause(context.Background())
	return e, nil
}

func newTool(name, configured string) tool {
	if configured == "" {
		return tool{name: name, path: name}
	}
	return tool{name: name, path: configured, configured: configured}
}

// Start accepts the job, records it in the journal and queues it; it returns
// the job's MediaConvert-style id at once, and the job runs in the
// background, reported by its events. It refuses (with ErrInvalidRequest) a
// request that breaks the rules of jobs.StartRequest.Validate, or asks for a
// preset the engine cannot render.
func (e *Engine) Start(ctx context.Context, req jobs.StartRequest) (string, error) {
	if err := e.validate(req); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return "", ErrClosed
	}
	now := e.now()
	id := mediaconvert.NewJobID(now)
	for e.active[id] != nil {
		id = mediaconvert.NewJobID(now)
	}
	emit := mediaconvert.Emitter{
		JobID: id, Account: e.opts.Account, Region: e.opts.Region, Queue: e.opts.Queue,
		UserMetadata: maps.Clone(req.Metadata),
	}
	if err := e.enqueue(req, emit, now, 0); err != nil {
		return "", err
	}
	e.log.Info("job accepted", "job", id, "transcoderJob", req.Metadata[jobs.MetadataJobID], "input", req.Input)
	return id, nil
}

// enqueue records the job in the journal as this instance's and queues it;
// attempts counts the runs processes have begun. e.mu is held.
func (e *Engine) enqueue(req jobs.StartRequest, emit mediaconvert.Emitter, acceptedAt time.Time, attempts int) error {
	id := emit.JobID
	j := &job{
		emit:    emit,
		req:     req,
		workDir: filepath.Join(e.workDir, id),
		ready:   make(chan struct{}),
	}
	j.entry = &entry{
		Instance: e.instance, AcceptedAt: acceptedAt, Job: j.emit, Owner: req.Owner,
		Input: req.Input, OutputPrefix: req.OutputPrefix, Attempts: attempts,
	}
	for _, p := range req.Presets {
		j.entry.Presets = append(j.entry.Presets, p.Name)
	}
	if err := e.journal.write(j.entry); err != nil {
		return err
	}
	j.ctx, j.cancel = context.WithCancelCause(e.ctx)
	e.active[id] = j
	j.queued = true
	e.queue.push(j)
	e.wg.Add(1)
	go e.run(j)
	e.dispatch()
	return nil
}

// validate refuses, wrapping ErrInvalidRequest, a request that breaks the
// rules every engine holds a request to (jobs.StartRequest.Validate) or asks
// for a preset ffmpeg is not told how to make here.
func (e *Engine) validate(req jobs.StartRequest) error {
	if err := req.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	for _, p := range req.Presets {
		if _, err := OutputArgs(p); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
		}
	}
	return nil
}

// Cancel stops a queued or running job (killing its ffmpeg); the job then
// ends CANCELED. It returns once the job is told; the CANCELED event follows.
// A job that is not queued or running here gives an error wrapping
// ErrNoSuchJob.
func (e *Engine) Cancel(ctx context.Context, engineJobID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	j := e.active[engineJobID]
	if j == nil || j.finishing {
		return fmt.Errorf("%w: job %s has finished or was never started by this engine", ErrNoSuchJob, engineJobID)
	}
	j.canceled = true
	j.cancel(errCanceled)
	e.log.Info("job cancel requested", "job", engineJobID)
	return nil
}

// Close stops accepting jobs, stops the running and queued ones without
// reporting them (their journal entries stay, so that Recover reports them
// at the next start) and waits for the engine's goroutines. It always returns
// nil; it has the shape of io.Closer.
func (e *Engine) Close() error {
	e.mu.Lock()
	already := e.closed
	e.closed = true
	e.mu.Unlock()
	if !already {
		e.cancel(errClosed)
	}
	e.wg.Wait()
	return nil
}

// Recover finishes what a previous process accepted and did not: a job whose
// end was decided gets the terminal event it could not publish; any other
// (queued, or interrupted while it ran) is queued again under the same id
// and runs from the start, in its owner's turn; a job interrupted again
// after that ends ERROR, saying it was interrupted, so
// that no job stays open for ever and none is retried for ever. Call it at
// start-up. A job whose event could not be published is reported in the
// error and tried again at the next Recover.
func (e *Engine) Recover(ctx context.Context) error {
	entries, errs := e.journal.list()
	for _, en := range entries {
		if en.Instance == e.instance {
			continue // this process's own job, running or finishing
		}
		if en.Terminal == "" && en.Attempts < maxRuns {
			err := e.resume(en)
			if err == nil {
				e.log.Info("interrupted job queued again", "job", en.Job.JobID, "runs_begun", en.Attempts)
				continue
			}
			e.log.Warn("cannot run an interrupted job again; reporting it", "job", en.Job.JobID, "err", err)
		}
		message := []byte(en.Terminal)
		if en.Terminal == "" {
			var err error
			if message, err = en.Job.Error(e.now(), mediaconvert.ErrorUnknown, Recovered); err != nil {
				errs = append(errs, fmt.Errorf("localengine: cannot report interrupted job %s: %w", en.Job.JobID, err))
				continue
			}
		}
		if err := e.publish(ctx, en.Job.JobID, message); err != nil {
			errs = append(errs, fmt.Errorf("localengine: cannot report interrupted job %s (it stays in the journal for the next Recover): %w", en.Job.JobID, err))
			continue
		}
		if err := e.journal.remove(en.Job.JobID); err != nil {
			errs = append(errs, err)
		}
		os.RemoveAll(filepath.Join(e.workDir, en.Job.JobID))
		e.log.Info("interrupted job reported", "job", en.Job.JobID, "terminal", en.Terminal != "")
	}
	return errors.Join(errs...)
}

// maxRuns is how many processes may begin running one job: a job that had
// not begun, or was interrupted once, runs again after a restart; one
// interrupted twice may be what stops its process, and ends ERROR.
const maxRuns = 2

// resume queues an interrupted job again, as the request it was.
func (e *Engine) resume(en *entry) error {
	req := jobs.StartRequest{
		JobID: en.Job.UserMetadata[jobs.MetadataJobID], Owner: en.Owner, Input: en.Input,
		OutputPrefix: en.OutputPrefix, Metadata: maps.Clone(en.Job.UserMetadata),
	}
	for _, name := range en.Presets {
		p, ok := presets.Lookup(name)
		if !ok {
			return fmt.Errorf("preset %q is no longer known", name)
		}
		req.Presets = append(req.Presets, p)
	}
	if err := e.validate(req); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	return e.enqueue(req, en.Job, en.AcceptedAt, en.Attempts)
}

// run takes the job from the queue to its end: it waits for the job's turn
// (or for the job to be canceled, or the engine closed, while it waits),
// then does the job and reports its end before giving up its slot.
func (e *Engine) run(j *job) {
	defer e.wg.Done()
	defer os.RemoveAll(j.workDir)
	select {
	case <-j.ready:
	case <-j.ctx.Done():
		e.mu.Lock()
		if j.queued {
			e.queue.remove(j)
			j.queued = false
			e.mu.Unlock()
			e.finish(j, nil, nil)
			return
		}
		e.mu.Unlock() // given a slot meanwhile: ready is closed
	}
	defer e.release()
	if j.ctx.Err() != nil {
		e.finish(j, nil, nil)
		return
	}
	// Counted before it runs, so that a job that stops its process is
	// known for one at the next start.
	j.entry.Attempts++
	if err := e.journal.write(j.entry); err != nil {
		e.log.Warn("cannot count the job's run in the journal", "job", j.emit.JobID, "err", err)
	}
	outputs, err := e.process(j)
	e.finish(j, outputs, err)
}

// dispatch gives free slots to the next jobs of the queue, in the owners'
// turns. The caller holds e.mu.
func (e *Engine) dispatch() {
	for e.running < e.opts.Concurrency {
		j := e.queue.pop()
		if j == nil {
			return
		}
		j.queued = false
		e.running++
		close(j.ready)
	}
}

// release gives back a finished job's slot to the queue.
func (e *Engine) release() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running--
	e.dispatch()
}

// finish decides how the job ends and reports it: CANCELED if Cancel was
// called, nothing if the engine is closing (the journal keeps the job for
// Recover), else COMPLETE or ERROR. The terminal event is published before
// the job leaves the journal; if it cannot be, the journal keeps the event
// itself for Recover to publish.
func (e *Engine) finish(j *job, outputs []mediaconvert.OutputDetail, failure error) {
	e.mu.Lock()
	j.finishing = true
	canceled := j.canceled
	delete(e.active, j.emit.JobID)
	e.mu.Unlock()
	j.cancel(nil)

	id := j.emit.JobID
	at := e.now()
	var message []byte
	var err error
	switch {
	case canceled:
		message, err = j.emit.Canceled(at)
	case errors.Is(context.Cause(j.ctx), errClosed) && outputs == nil:
		e.log.Info("job interrupted by Close; Recover will report it", "job", id)
		return
	case failure != nil:
		code, text := classify(failure)
		message, err = j.emit.Error(at, code, text)
	default:
		message, err = j.emit.Complete(at, outputs, nil)
	}
	if err != nil {
		// Only a bug can get here: every event the engine renders is valid.
		e.log.Error("cannot render the job's terminal event; Recover will report the job", "job", id, "error", err)
		return
	}
	if err := e.publish(e.ctx, id, message); err != nil {
		j.entry.Terminal = string(message)
		if werr := e.journal.write(j.entry); werr != nil {
			e.log.Error("the job's terminal event is lost", "job", id, "publish", err, "journal", werr)
		}
		return
	}
	if err := e.journal.remove(id); err != nil {
		e.log.Error("a finished job stays in the journal; Recover will report it again", "job", id, "error", err)
	}
}

// publish sends one event, trying a few times with growing pauses: Publish
// fails only when the topic is unavailable, which may not last. It logs each
// failure and returns the last.
func (e *Engine) publish(ctx context.Context, jobID string, message []byte) error {
	const attempts = 5
	delay := e.retryDelay
	var err error
	for attempt := 1; ; attempt++ {
		if err = e.opts.Publisher.Publish(ctx, string(message)); err == nil {
			return nil
		}
		e.log.Warn("cannot publish a job event", "job", jobID, "attempt", attempt, "error", err)
		if attempt == attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (then gave up: %v)", err, context.Cause(ctx))
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// progress publishes a non-terminal event; a failure is logged (by publish)
// and the job goes on.
func (e *Engine) progress(j *job, render func(at time.Time) ([]byte, error)) {
	message, err := render(e.now())
	if err != nil {
		e.log.Error("cannot render a job event", "job", j.emit.JobID, "error", err)
		return
	}
	e.publish(j.ctx, j.emit.JobID, message)
}
