// Package redrive hands the messages SNS gave up on back to the endpoint.
//
// An HTTPS subscription's dead-letter queue (SQS) receives each delivery SNS
// could not make: the message body is the JSON document SNS would have
// POSTed, signature and all. Run reads the queue, verifies and applies each
// message exactly as POST /transcode-complete would (the Processor is the
// server), and deletes a message only once it has been delivered: a message
// that fails verification, or whose work failed, stays in the queue and is
// reported.
package redrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"transcoder/app/server"
	"transcoder/app/sns"
)

// Queue is the part of the SQS API Run calls; *sqs.Client is the real one.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Processor verifies a message and acts on it as the endpoint does;
// *server.Server is the one.
type Processor interface {
	Process(ctx context.Context, m *sns.Message) server.Result
	Preview(ctx context.Context, m *sns.Message) server.Result
}

// Defaults for the zero values of Options.
const (
	// DefaultWait is how long one ReceiveMessage waits for messages (SQS
	// long polling); the run ends at the first that brings none.
	DefaultWait = 5 * time.Second
	// DefaultVisibilityTimeout hides a received message from other readers
	// while the run lasts; the ones left are made visible again at its end.
	DefaultVisibilityTimeout = 5 * time.Minute
)

// batch is the most messages SQS hands out per ReceiveMessage.
const batch = 10

// Options configures a Run.
type Options struct {
	Queue    Queue
	QueueURL string
	// Processor verifies and applies each message.
	Processor Processor
	// DryRun lists what would be done: messages are verified and decoded,
	// nothing is applied and nothing deleted.
	DryRun bool
	// Wait is each receive's long poll, in whole seconds up to 20; zero
	// means DefaultWait.
	Wait time.Duration
	// VisibilityTimeout is how long a received message stays hidden;
	// zero means DefaultVisibilityTimeout.
	VisibilityTimeout time.Duration
	// Out receives a line per message and the summary.
	Out io.Writer
}

// Summary counts what a run did.
type Summary struct {
	// Received counts distinct messages read.
	Received int
	// Applied changed a job; Duplicates changed nothing, as a
	// redelivery must; Other were delivered otherwise (confirmed,
	// unsubscribed, or not a transcoder event, ignored). All three are
	// deleted (unless DryRun).
	Applied, Duplicates, Other int
	// Refused failed verification or were malformed; Failed could not be
	// done now (a certificate fetch or the job store failed). Both are
	// left in the queue.
	Refused, Failed int
	// Deleted were removed from the queue; Left are still in it.
	Deleted, Left int
}

func (s Summary) String() string {
	return fmt.Sprintf("received %d: applied %d, duplicates %d, other %d, refused %d, failed %d; deleted %d, left %d in the queue",
		s.Received, s.Applied, s.Duplicates, s.Other, s.Refused, s.Failed, s.Deleted, s.Left)
}

// Run drains the queue once: it receives until a receive brings nothing
// new, handles every message, then makes the messages it left visible
// again, so a later run (or a person) sees them at once. It returns the
// summary, and an error when the queue could not be read or a message that
// was delivered could not be deleted.
func Run(ctx context.Context, opts Options) (Summary, error) {
	var sum Summary
	switch {
	case opts.Queue == nil || opts.Processor == nil:
		return sum, errors.New("redrive: Options.Queue and Options.Processor are required")
	case opts.QueueURL == "":
		return sum, errors.New("redrive: no queue URL: pass --queue-url (the stack output deadLetterQueueUrl)")
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	wait := opts.Wait
	if wait == 0 {
		wait = DefaultWait
	}
	waitSeconds := int32(min(max(wait.Round(time.Second)/time.Second, 1), 20))
	visibility := opts.VisibilityTimeout
	if visibility == 0 {
		visibility = DefaultVisibilityTimeout
	}

	seen := map[string]bool{} // SQS message ids handled in this run
	var left []string         // receipt handles of the messages left
	defer func() { release(opts, left) }()
	var errs []error
	for ctx.Err() == nil {
		out, err := opts.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            &opts.QueueURL,
			MaxNumberOfMessages: batch,
			WaitTimeSeconds:     waitSeconds,
			VisibilityTimeout:   int32(visibility / time.Second),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s (sqs:ReceiveMessage): %w", opts.QueueURL, err))
			break
		}
		fresh := 0
		for _, msg := range out.Messages {
			id := aws.ToString(msg.MessageId)
			if seen[id] {
				continue // handled already, seen again after its visibility ran out
			}
			seen[id] = true
			fresh++
			sum.Received++
			keep, err := handle(ctx, opts, &sum, id, aws.ToString(msg.Body), aws.ToString(msg.ReceiptHandle))
			if err != nil {
				errs = append(errs, err)
			}
			if keep {
				left = append(left, aws.ToString(msg.ReceiptHandle))
			}
		}
		if fresh == 0 {
			break
		}
	}
	sum.Left = len(left)
	fmt.Fprintln(opts.Out, "summary:", sum)
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return sum, errors.Join(errs...)
}

// handle verifies and applies one message, deletes it once delivered, and
// says whether it was left in the queue.
func handle(ctx context.Context, opts Options, sum *Summary, id, body, receipt string) (left bool, err error) {
	m, wrapped, perr := Decode([]byte(body))
	if perr != nil {
		sum.Refused++
		fmt.Fprintf(opts.Out, "message %s: refused: %v; left in the queue\n", id, perr)
		return true, nil
	}
	var r server.Result
	if opts.DryRun {
		r = opts.Processor.Preview(ctx, m)
	} else {
		r = opts.Processor.Process(ctx, m)
	}
	line := fmt.Sprintf("message %s: sns %s, type %s", id, m.MessageID, m.Type)
	if wrapped {
		line += " (unwrapped)"
	}
	if r.JobID != "" {
		line += ", job " + r.JobID + ", state " + r.State
	}
	line += ": " + r.Outcome
	if r.Err != nil {
		line += " (" + r.Err.Error() + ")"
	}
	switch {
	case r.Refused():
		sum.Refused++
		fmt.Fprintln(opts.Out, line+"; left in the queue")
		return true, nil
	case !r.Delivered():
		sum.Failed++
		fmt.Fprintln(opts.Out, line+"; left in the queue, to be tried again")
		return true, nil
	case r.Outcome == "applied" || r.Outcome == "would_apply":
		sum.Applied++
	case r.Outcome == "duplicate":
		sum.Duplicates++
	default:
		sum.Other++
	}
	if opts.DryRun {
		fmt.Fprintln(opts.Out, line+"; would be deleted (dry run)")
		return true, nil
	}
	if _, err := opts.Queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &opts.QueueURL, ReceiptHandle: &receipt}); err != nil {
		fmt.Fprintln(opts.Out, line+"; NOT deleted: "+err.Error())
		return true, fmt.Errorf("message %s was delivered but not deleted (sqs:DeleteMessage): %w; a later run finds it a duplicate", id, err)
	}
	sum.Deleted++
	fmt.Fprintln(opts.Out, line+"; deleted")
	return false, nil
}

// release makes the messages left visible again at once, on a context of
// its own: it runs when the run's may be done. A failure only means they
// show again when their visibility timeout runs out.
func release(opts Options, receipts []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range receipts {
		if _, err := opts.Queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: &opts.QueueURL, ReceiptHandle: &r, VisibilityTimeout: 0,
		}); err != nil {
			fmt.Fprintf(opts.Out, "a message left in the queue stays hidden until its visibility timeout (sqs:ChangeMessageVisibility): %v\n", err)
			return
		}
	}
}

// Decode reads a dead-letter message's body: the SNS message as SNS would
// have POSTed it. A body that is itself an SNS notification carrying such a
// document (a dead letter passed on through another topic) is unwrapped,
// and wrapped says so; only the inner message, which is signed by our
// topic, is used.
func Decode(body []byte) (m *sns.Message, wrapped bool, err error) {
	m, err = sns.Parse(body)
	if err != nil {
		return nil, false, err
	}
	if m.Type == sns.TypeNotification {
		if inner, err := sns.Parse([]byte(m.Message)); err == nil && inner.Signature != "" {
			return inner, true, nil
		}
	}
	return m, false, nil
}
