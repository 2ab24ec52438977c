//go:build !transcoder_lambda

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"transcoder/app/config"
	"transcoder/app/internal/ids"
	"transcoder/app/redrive"
)

// redriveCommand is the redrive command: it hands the dead-letter queue's messages
// to the same service the endpoint runs, configured by the same variables,
// and deletes each once delivered (see package redrive). The one rule it
// relaxes is the message's age (SNS_MAX_AGE): a message from our own queue
// is old by nature, and its age is not held against it.
func redriveCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(stdout)
	queueURL := fs.String("queue-url", "", "the dead-letter queue's URL (the stack output deadLetterQueueUrl)")
	dryRun := fs.Bool("dry-run", false, "list what would be done: apply nothing, delete nothing")
	wait := fs.Duration("wait", redrive.DefaultWait, "how long each receive waits for messages (1s-20s); the run ends at the first that brings none")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: server "+redriveUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("redrive: %w (usage: %s)", err, redriveUsage)
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("redrive: unexpected argument %q (usage: %s)", fs.Arg(0), redriveUsage)
	case *queueURL == "":
		return fmt.Errorf("redrive: --queue-url is required: the stack output deadLetterQueueUrl (usage: %s)", redriveUsage)
	case *wait < 0:
		return fmt.Errorf("redrive: --wait %s is negative", *wait)
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	cfg.MaxAge = 0 // the one rule relaxed: see above
	// Nothing is served: the operator's token and the session key are
	// throwaway, and nothing of theirs is kept in DATA_DIR.
	cfg.APITokenGenerated = false
	if len(cfg.SessionSecret) == 0 {
		cfg.SessionSecret = ids.Bytes(32)
	}
	// Progress lines are the output; the service's log says only what
	// went wrong.
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: max(cfg.LogLevel, slog.LevelWarn)}))
	dataDir, err := holdDataDir(cfg, logger)
	if err != nil {
		return err
	}
	defer dataDir.Close()
	// A subscription check is the endpoint's business, not the redrive's.
	cfg.Subscription = config.SubscriptionConfig{}
	// ADDR is not listened on; the local pipeline is only told of it.
	svc, err := newService(ctx, cfg, logger, "http://"+cfg.Addr)
	if err != nil {
		return err
	}
	defer svc.close(logger)

	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("redrive: loading AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = queueRegion(*queueURL)
	}
	if *dryRun {
		fmt.Fprintln(stdout, "dry run: nothing is applied or deleted")
	}
	sum, err := redrive.Run(ctx, redrive.Options{
		Queue:     awssqs.NewFromConfig(awsCfg),
		QueueURL:  *queueURL,
		Processor: svc.srv,
		DryRun:    *dryRun,
		Wait:      *wait,
		Out:       stdout,
	})
	if err != nil {
		return fmt.Errorf("redrive: %w", err)
	}
	if n := sum.Refused + sum.Failed; n > 0 {
		return fmt.Errorf("redrive: %d message(s) could not be delivered and are left in the queue (refused %d, failed %d): see the lines above; a refused one will never verify, a failed one may be tried again",
			n, sum.Refused, sum.Failed)
	}
	return nil
}

// queueRegion reads the region from an SQS queue URL
// (https://sqs.<region>.amazonaws.com/<account>/<name>), for when the AWS
// configuration names none; empty when the URL says none.
func queueRegion(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) >= 3 && parts[0] == "sqs" {
		return parts[1]
	}
	return ""
}
