//go:build !transcoder_lambda

package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"transcoder/app/internal/fauxqs"
	"transcoder/app/internal/snstest"
	"transcoder/app/jobs"
	"transcoder/app/sqlite"
)

// deadLetters is a dead-letter queue on a real SQS-API server (fauxqs),
// which the redrive reaches through the AWS SDK's own endpoint variable.
type deadLetters struct {
	sqs *awssqs.Client
	url string
}

func newDeadLetters(t *testing.T) *deadLetters {
	t.Helper()
	endpoint, stop, err := fauxqs.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	// The redrive loads the AWS configuration from the environment, as it
	// does in production; nothing of this machine's own may leak in.
	home := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SQS": endpoint, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
	} {
		t.Setenv(k, v)
	}
	client := awssqs.New(awssqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	out, err := client.CreateQueue(context.Background(), &awssqs.CreateQueueInput{QueueName: aws.String("transcoder-dev-job-events-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	return &deadLetters{sqs: client, url: aws.ToString(out.QueueUrl)}
}

// put puts a body in the queue, as SNS does with a delivery it gave up on.
func (d *deadLetters) put(t *testing.T, body []byte) {
	t.Helper()
	if _, err := d.sqs.SendMessage(context.Background(), &awssqs.SendMessageInput{QueueUrl: &d.url, MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
}

// bodies returns the bodies of every message in the queue, which must all
// be visible (none left hidden by a run), and makes them visible again.
func (d *deadLetters) bodies(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	attrs, err := d.sqs.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &d.url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if hidden := attrs.Attributes["ApproximateNumberOfMessagesNotVisible"]; hidden != "0" {
		t.Errorf("%s messages were left hidden in the queue", hidden)
	}
	var bodies, receipts []string
	defer func() {
		for _, r := range receipts {
			d.sqs.ChangeMessageVisibility(ctx, &awssqs.ChangeMessageVisibilityInput{QueueUrl: &d.url, ReceiptHandle: &r})
		}
	}()
	for {
		out, err := d.sqs.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &d.url, MaxNumberOfMessages: 10, VisibilityTimeout: 60})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			receipts = append(receipts, aws.ToString(m.ReceiptHandle))
		}
	}
}

// redriveRun runs the program as `server redrive args...` and returns its
// error and output.
func redriveRun(t *testing.T, env map[string]string, args ...string) (error, string) {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, append([]string{"server", "redrive"}, args...), func(k string) string { return env[k] }, &out)
	return err, out.String()
}

// stateOf opens the service's store (the redrive has closed it) and returns
// the job's state, or "" if there is no such job.
func stateOf(t *testing.T, dataDir, id string) jobs.State {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(dataDir, "transcoder.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	j, err := st.Get(context.Background(), id)
	if errors.Is(err, jobs.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return j.State
}

func TestTheRedriveAppliesTheDeadLettersItVerifiesAndDeletesOnlyThose(t *testing.T) {
	dlq := newDeadLetters(t)
	signer, err := snstest.NewSigner(topic)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	env := testEnv(t, signer, dataDir)
	// Older than SNS_MAX_AGE (1h): dead letters are old by nature.
	at := time.Now().Add(-3 * time.Hour)
	j1 := snstest.Body(signer.Notification(completeEvent("j1", at), at))
	// A dead letter passed on through another topic arrives wrapped in
	// that topic's notification; the inner one is ours and is signed.
	other, err := snstest.NewSigner("arn:aws:sns:us-east-1:123456789012:operators")
	if err != nil {
		t.Fatal(err)
	}
	j2 := snstest.Body(other.Notification(string(snstest.Body(signer.Notification(completeEvent("j2", at), at))), at))
	forged := signer.Notification(completeEvent("j3", at), at)
	forged.Message = strings.Replace(forged.Message, `"status":"COMPLETE"`, `"status":"ERROR"`, 1)
	j3 := snstest.Body(forged)
	for _, b := range [][]byte{j1, j2, j3} {
		dlq.put(t, b)
	}
	queue := []string{"--queue-url", dlq.url, "--wait", "1s"}

	t.Run("a dry run lists what it would do and changes nothing", func(t *testing.T) {
		err, out := redriveRun(t, env, append([]string{"--dry-run"}, queue...)...)
		if err == nil || !strings.Contains(err.Error(), "refused 1") {
			t.Errorf("run = %v, want an error counting the one refused", err)
		}
		for _, want := range []string{
			"job j1, state COMPLETE: would_apply; would be deleted (dry run)",
			"(unwrapped), job j2, state COMPLETE: would_apply",
			"type Notification: rejected",
			"applied 2, duplicates 0, other 0, refused 1, failed 0; deleted 0, left 3",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output lacks %q:\n%s", want, out)
			}
		}
		if got := dlq.bodies(t); len(got) != 3 {
			t.Errorf("the queue holds %d messages after a dry run, want all 3", len(got))
		}
		for _, id := range []string{"j1", "j2", "j3"} {
			if s := stateOf(t, dataDir, id); s != "" {
				t.Errorf("a dry run applied %s: %s", id, s)
			}
		}
	})

	t.Run("a run applies the verified ones, deletes them, and leaves the forged one", func(t *testing.T) {
		err, out := redriveRun(t, env, queue...)
		if err == nil || !strings.Contains(err.Error(), "left in the queue") {
			t.Errorf("run = %v, want an error saying one was left", err)
		}
		for _, want := range []string{
			"job j1, state COMPLETE: applied; deleted",
			"job j2, state COMPLETE: applied; deleted",
			"left in the queue",
			"applied 2, duplicates 0, other 0, refused 1, failed 0; deleted 2, left 1",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output lacks %q:\n%s", want, out)
			}
		}
		for id, want := range map[string]jobs.State{"j1": jobs.Complete, "j2": jobs.Complete, "j3": ""} {
			if got := stateOf(t, dataDir, id); got != want {
				t.Errorf("job %s is %q, want %q", id, got, want)
			}
		}
		if got := dlq.bodies(t); len(got) != 1 || got[0] != string(j3) {
			t.Errorf("the queue holds %d messages, want only the forged one", len(got))
		}
	})

	t.Run("a redelivered dead letter is a harmless duplicate, and is deleted", func(t *testing.T) {
		dlq.put(t, j1)
		err, out := redriveRun(t, env, queue...)
		if err == nil {
			t.Error("run = nil, want the forged one still reported")
		}
		if !strings.Contains(out, "job j1, state COMPLETE: duplicate; deleted") ||
			!strings.Contains(out, "applied 0, duplicates 1, other 0, refused 1, failed 0; deleted 1, left 1") {
			t.Errorf("the output does not show a deleted duplicate:\n%s", out)
		}
		if got := stateOf(t, dataDir, "j1"); got != jobs.Complete {
			t.Errorf("job j1 is %q after the duplicate", got)
		}
		if got := dlq.bodies(t); len(got) != 1 || got[0] != string(j3) {
			t.Errorf("the queue holds %d messages, want only the forged one", len(got))
		}
	})
}

func TestTheRedriveRefusesToRunWithoutAQueue(t *testing.T) {
	signer, err := snstest.NewSigner(topic)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, signer, t.TempDir())
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"without --queue-url", []string{"redrive"}, "--queue-url is required"},
		{"with an unknown flag", []string{"redrive", "--queue", "x"}, "usage"},
		{"with a stray argument", []string{"redrive", "--queue-url", "x", "now"}, `unexpected argument "now"`},
		{"with an unknown command", []string{"redrivee"}, `unknown command "redrivee"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"server"}, tt.args...), func(k string) string { return env[k] }, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
