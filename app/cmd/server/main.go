// Command server runs the transcoder service: the SNS completion endpoint and
// the jobs API. It serves HTTP on ADDR, or, when started by AWS Lambda, the
// same handler behind a Function URL.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"transcoder/app/config"
	"transcoder/app/dynamodb"
	"transcoder/app/elastictranscoder"
	"transcoder/app/events"
	"transcoder/app/internal/logwriter"
	"transcoder/app/internal/metrics"
	"transcoder/app/jobs"
	"transcoder/app/quotas"
	"transcoder/app/server"
	"transcoder/app/sns"
	"transcoder/app/subscription"
	"transcoder/app/web"
	"transcoder/app/webhooks"
)

// redriveUsage is the redrive command's synopsis, in both builds.
const redriveUsage = "redrive [--dry-run] [--wait 5s] --queue-url URL"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	privateFiles()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "transcoder:", err)
		os.Exit(1)
	}
}

// run is the whole program: it reads the configuration, wires the service
// together and serves until ctx is done, then shuts down gracefully: it stops
// accepting, finishes in-flight requests and closes the store.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 1 {
		switch args[1] {
		case "redrive":
			return redriveCommand(ctx, args[2:], getenv, stdout)
		default:
			return fmt.Errorf("unknown command %q: run with no arguments to serve, or %q", args[1], redriveUsage)
		}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	debug.SetGCPercent(cfg.GCPercent)
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	forPeople := cfg.LogFormat == config.LogText || cfg.LogFormat == config.LogAuto && terminal(stdout)
	logOut := stdout
	if f, ok := stdout.(*os.File); ok && !cfg.Lambda && !forPeople {
		// Off the request path (see package logwriter), written out last.
		// Not for people, whose banner must come after the lines before it.
		w := logwriter.New(f)
		defer w.Close()
		logOut = w
	}
	logger := newLogger(logOut, cfg.LogLevel, forPeople)
	dataDir, err := holdDataDir(cfg, logger)
	if err != nil {
		return err
	}
	defer dataDir.Close() // last: after everything in it is closed
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return fmt.Errorf("CPU_PROFILE: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("CPU_PROFILE: %w", err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if cfg.APITokenGenerated {
		// Kept in a file only its owner reads, never in the log.
		path := filepath.Join(cfg.DataDir, "api-token")
		token, err := keptSecret(path, "API_TOKEN")
		if err != nil {
			return err
		}
		cfg.APIToken = string(token)
		logger.Warn("API_TOKEN is not set: the operator's token is kept in "+path, "file", path)
	}
	if len(cfg.TopicARNs) == 0 && cfg.Engine != config.Local {
		logger.Warn("SNS_TOPIC_ARNS is empty: every SNS delivery will be refused with 403")
	}

	if cfg.Lambda {
		svc, err := newService(ctx, cfg, logger, "")
		if err != nil {
			return err
		}
		defer svc.close(logger)
		svc.srv.SetReady(true)
		logger.Info("serving on AWS Lambda", "store", cfg.Store, "engine", cfg.Engine, "topics", cfg.TopicARNs)
		checkAtStart(ctx, svc.subscription)
		lambda.StartWithOptions(lambdaHandler(svc.srv, svc.webhooks, svc.subscription), lambda.WithContext(ctx))
		return nil
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ADDR: cannot listen on %s: %w", cfg.Addr, err)
	}
	if err := dataDir.Serving(baseURL(ln.Addr())); err != nil {
		ln.Close()
		return err
	}
	svc, err := newService(ctx, cfg, logger, baseURL(ln.Addr()))
	if err != nil {
		ln.Close()
		return err
	}
	defer svc.close(logger)
	var banner io.Writer
	if forPeople {
		banner = stdout
	}
	return serve(ctx, cfg, logger, svc, ln, banner)
}

// terminal reports whether w is a terminal: where a person reads the log.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newLogger writes text lines for people, or JSON lines for log collectors.
func newLogger(w io.Writer, level slog.Level, forPeople bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if forPeople {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// printBanner tells the person who started the service, in plain words,
// where to open it and where the operator's token is.
func printBanner(w io.Writer, cfg *config.Config, url string) {
	fmt.Fprintf(w, "\ntranscoder is ready: open %s\n", url)
	switch {
	case cfg.APITokenGenerated:
		fmt.Fprintf(w, "  the operator's token (every job, /metrics, invites) is in %s\n", filepath.Join(cfg.DataDir, "api-token"))
	default:
		fmt.Fprintln(w, "  the operator's token is API_TOKEN, as set")
	}
	if cfg.SignIn == config.Invite {
		fmt.Fprintf(w, "  sign-in is by invitation: make a link with\n    curl -H \"Authorization: Bearer $TOKEN\" -d '{}' %s/invites\n", url)
	}
	fmt.Fprintf(w, "  state is kept in %s; Ctrl-C stops everything\n\n", cfg.DataDir)
}

// baseURL is where this process reaches its own listener, and what the log
// tells a person to open: an unspecified address (":8080") is reached on
// loopback.
func baseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}

// service is the handler and everything behind it.
type service struct {
	srv      *server.Server
	store    jobs.Store
	pipeline *pipeline
	// webhooks delivers job callbacks; nil when WEBHOOK_SECRET is unset.
	webhooks *webhooks.Dispatcher
	// subscription keeps the endpoint's SNS subscription confirmed; nil
	// when SNS_SUBSCRIPTION_ENDPOINT is unset.
	subscription *subscription.Checker
}

// kicker hands the server the dispatcher, or nothing (not a typed nil). On
// Lambda nothing runs between requests, so there a kick delivers what is due
// (this call's and any earlier retries) before the request ends.
func kicker(d *webhooks.Dispatcher, lambda bool) interface{ Kick() } {
	switch {
	case d == nil:
		return nil
	case lambda:
		return inlineDelivery{d}
	}
	return d
}

// inlineDelivery delivers due webhook calls within the request that owed
// them, bounded well inside SNS's 15-second timeout.
type inlineDelivery struct{ d *webhooks.Dispatcher }

func (i inlineDelivery) Kick() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	i.d.DeliverDue(ctx)
}

// newService builds the service; baseURL is where it listens (empty on
// Lambda, where only the AWS engines run).
func newService(ctx context.Context, cfg *config.Config, logger *slog.Logger, baseURL string) (*service, error) {
	store, err := openStore(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	svc := &service{store: store}
	if svc.pipeline, err = newPipeline(ctx, cfg, logger, baseURL); err != nil {
		svc.close(logger)
		return nil, err
	}
	topics, local := svc.pipeline.trust()
	registry := metrics.NewRegistry()
	instruments := server.NewMetrics(registry)
	if svc.subscription, err = subscriptionChecker(ctx, cfg, logger, registry); err != nil {
		svc.close(logger)
		return nil, err
	}
	verifier, err := sns.NewVerifier(sns.Options{
		TopicARNs: append(slices.Clone(cfg.TopicARNs), topics...),
		MaxAge:    cfg.MaxAge,
		CertDir:   cfg.CertDir,
		OnFetch:   instruments.CertFetched,
		Local:     local,
	})
	if err != nil {
		svc.close(logger)
		return nil, err
	}
	decoder := &events.Decoder{}
	if cfg.Engine == config.ElasticTranscoder {
		if decoder.ElasticTranscoder, err = elastictranscoder.NewDecoder(cfg.OutputBucket); err != nil {
			svc.close(logger)
			return nil, err
		}
	}
	secret, err := sessionSecret(cfg.SessionSecret, cfg.DataDir)
	if err != nil {
		svc.close(logger)
		return nil, err
	}
	localMode := cfg.Engine == config.Local
	var checkCallback func(string) error
	var callbackSecret func(string) []byte
	if len(cfg.WebhookSecret) > 0 {
		svc.webhooks, err = webhooks.New(webhooks.Options{
			Store:             store,
			Secret:            cfg.WebhookSecret,
			Logger:            logger.With("component", "webhooks"),
			MaxAttempts:       webhooks.DefaultMaxAttempts, // about a day of back-off (webhooks.RetryWindow)
			AllowURL:          webhooks.URLPolicy(localMode),
			AllowLoopbackHTTP: localMode,
			View:              func(j *jobs.Job) any { return svc.srv.View(j) },
		})
		if err != nil {
			svc.close(logger)
			return nil, err
		}
		checkCallback = func(raw string) error { return webhooks.CheckCallbackURL(raw, localMode) }
		callbackSecret = func(owner string) []byte { return webhooks.OwnerSecret(cfg.WebhookSecret, owner) }
	}
	invites, tallies, err := accessStores(store)
	if err != nil {
		svc.close(logger)
		return nil, err
	}
	var streamLifetime time.Duration // the server's default
	if cfg.Lambda {
		// An invocation lasts at most the function's timeout (15 s as
		// deployed): end streams before it; EventSource reconnects.
		streamLifetime = 10 * time.Second
	}
	svc.srv = server.New(server.Deps{
		Logger:         logger,
		Store:          store,
		Verifier:       verifier,
		Events:         decoder,
		Storage:        svc.pipeline.storage,
		Transcoder:     svc.pipeline.transcoder,
		Engine:         svc.pipeline.engine,
		LocalSNS:       svc.pipeline.handler(),
		APIToken:       cfg.APIToken,
		APIKeys:        cfg.APIKeys,
		SessionSecret:  secret,
		CheckCallback:  checkCallback,
		CallbackSecret: callbackSecret,
		Webhooks:       kicker(svc.webhooks, cfg.Lambda),
		Assets:         web.Assets(),
		StreamLifetime: streamLifetime,
		Metrics:        instruments,
		SignIn:         server.SignIn(cfg.SignIn),
		Invites:        invites,
		Quotas: &quotas.Keeper{Tallies: tallies, Jobs: store, Limits: quotas.Limits{
			MaxUploadSize:    cfg.Quotas.MaxUploadSize,
			MaxInputDuration: cfg.Quotas.MaxInputDuration,
			JobsPerDay:       cfg.Quotas.JobsPerDay,
			JobsRunning:      cfg.Quotas.JobsRunning,
			JobsPerUpload:    cfg.Quotas.JobsPerUpload,
		}},
		// On Lambda an open event stream holds an execution; pages poll.
		Poll: cfg.Lambda,
	})
	return svc, nil
}

// accessStores returns the store's invites and tallies: both stores keep
// them beside the jobs.
func accessStores(store jobs.Store) (jobs.InviteStore, jobs.Tallies, error) {
	invites, ok := store.(jobs.InviteStore)
	if !ok {
		return nil, nil, fmt.Errorf("the %T job store keeps no invites", store)
	}
	tallies, ok := store.(jobs.Tallies)
	if !ok {
		return nil, nil, fmt.Errorf("the %T job store keeps no quota counts", store)
	}
	return invites, tallies, nil
}

// close stops the pipeline (the engine first, so no event is left half
// published), then the store.
func (s *service) close(logger *slog.Logger) {
	if s.pipeline != nil {
		if err := s.pipeline.close(); err != nil {
			logger.Error("stopping the pipeline", "err", err)
		}
	}
	if err := s.store.Close(); err != nil {
		logger.Error("closing the store", "err", err)
	}
	logStoreStats(s.store, logger)
}

// serve runs the HTTP server on ln until ctx is done.
func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger, svc *service, ln net.Listener, banner io.Writer) error {
	hs := &http.Server{
		Handler:           svc.srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	dispatched := make(chan struct{})
	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(dispatched)
		if svc.webhooks != nil {
			svc.webhooks.Run(dctx)
		}
	}()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watchSubscription(dctx, svc.subscription, checkEvery)
	}()
	defer func() { stopDispatch(); <-dispatched; <-watched }()
	svc.srv.SetReady(true)
	url := baseURL(ln.Addr())
	logger.Info("listening", "addr", ln.Addr().String(), "url", url, "store", cfg.Store, "engine", cfg.Engine)
	if err := svc.pipeline.started(ctx, url+"/transcode-complete"); err != nil {
		logger.Error("starting the local pipeline", "err", err)
	}
	if banner != nil {
		printBanner(banner, cfg, url)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	svc.srv.SetReady(false)
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: in-flight requests did not finish within SHUTDOWN_TIMEOUT=%s: %w", cfg.ShutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// openStore opens the job store the configuration names, keeping jobs for
// JOB_RETENTION_DAYS.
func openStore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (jobs.Store, error) {
	switch cfg.Store {
	case config.DynamoDB:
		awsCfg, err := awsConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("STORE=dynamodb: loading AWS configuration: %w", err)
		}
		return dynamodb.New(awsdynamodb.NewFromConfig(awsCfg), cfg.DynamoDBTable, dynamodb.WithRetention(cfg.JobRetention)), nil
	default:
		return openSQLite(cfg, logger)
	}
}
