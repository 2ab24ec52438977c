package localsns

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"transcoder/app/sns"
)

// The headers SNS sets on every HTTP(S) delivery.
const (
	contentType = "text/plain; charset=UTF-8"
	userAgent   = "Amazon Simple Notification Service Agent"
)

// maxResponse bounds how much of an endpoint's answer is read (and
// discarded) so that the connection can be reused.
const maxResponse = 64 << 10

// start runs sub's worker until Close or Unsubscribe. Topic.mu must be
// held, or the topic not yet shared.
func (t *Topic) start(sub *subscription) {
	ctx, stop := context.WithCancel(t.ctx)
	sub.wake = make(chan struct{}, 1)
	sub.stop = stop
	t.wg.Add(1)
	go t.run(ctx, sub)
}

// run delivers sub's queue one delivery at a time, earliest due first, so
// that without failures and without Options.Reorder an endpoint receives
// messages in the order they were published. A delivery waiting for a
// retry does not hold up the ones behind it, as with SNS.
func (t *Topic) run(ctx context.Context, sub *subscription) {
	defer t.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		t.mu.Lock()
		var d *delivery
		wait := time.Duration(-1)
		if len(sub.queue) > 0 {
			if w := time.Until(sub.queue[0].due); w > 0 {
				wait = w
			} else {
				d = sub.queue[0]
				sub.queue = sub.queue[1:]
				sub.inflight = d
			}
		}
		t.mu.Unlock()

		if d == nil {
			var due <-chan time.Time
			if wait >= 0 {
				timer.Reset(wait)
				due = timer.C
			}
			select {
			case <-ctx.Done():
				return
			case <-sub.wake:
			case <-due:
			}
			timer.Stop()
			continue
		}

		status, err := t.attempt(ctx, sub, d)
		if ctx.Err() != nil {
			return // closing or unsubscribed: the delivery stays on disk, or was removed with its subscription
		}
		t.finish(d, status, err)
	}
}

// attempt POSTs d to its endpoint once and returns the status.
func (t *Topic) attempt(ctx context.Context, sub *subscription, d *delivery) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, t.policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	h := req.Header
	h.Set("Content-Type", contentType)
	h.Set("User-Agent", userAgent)
	h.Set("x-amz-sns-message-type", d.msg.Type)
	h.Set("x-amz-sns-message-id", d.msg.MessageID)
	h.Set("x-amz-sns-topic-arn", d.msg.TopicARN)
	if d.msg.Type == sns.TypeNotification {
		// Not on confirmations: the subscription does not exist for the
		// endpoint until it confirms (SNS's examples omit it there too).
		h.Set("x-amz-sns-subscription-arn", sub.ARN)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse)); err != nil && resp.StatusCode >= 500 {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

// delivered reports whether SNS would count an attempt as delivered: any
// answer from 200 to 499. Only 5xx, timeouts and connection errors are
// retried.
func delivered(status int, err error) bool {
	return err == nil && status >= 200 && status < 500
}

// finish records the outcome of an attempt: done, scheduled again, or
// given up on.
func (t *Topic) finish(d *delivery, status int, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sub := d.sub
	sub.inflight = nil
	if sub.removed {
		return // Unsubscribe removed its file
	}
	attrs := []slog.Attr{
		slog.String("message_id", d.msg.MessageID),
		slog.String("type", d.msg.Type),
		slog.String("subscription", sub.ARN),
		slog.String("endpoint", sub.Endpoint),
		slog.Int("attempt", d.retries+1),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if err == nil && !delivered(status, nil) {
		err = fmt.Errorf("HTTP status %d", status)
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	if d.duplicate {
		attrs = append(attrs, slog.Bool("duplicate", true))
	}

	switch {
	case delivered(status, err):
		t.delivered.Add(1)
		t.forget(d)
		t.log.LogAttrs(t.ctx, slog.LevelDebug, "localsns: delivered", attrs...)
	case d.retries < t.policy.NumRetries:
		d.retries++
		wait := t.policy.delay(d.retries)
		d.due = time.Now().Add(wait)
		sub.insert(d)
		t.retried.Add(1)
		t.log.LogAttrs(t.ctx, slog.LevelInfo, "localsns: delivery failed; will retry",
			append(attrs, slog.Duration("retry_in", wait))...)
	default:
		t.givenUp.Add(1)
		t.forget(d)
		t.log.LogAttrs(t.ctx, slog.LevelError, "localsns: gave up on a delivery: the retry policy is exhausted", attrs...)
	}
}

// forget removes a finished delivery's file. Topic.mu must be held.
func (t *Topic) forget(d *delivery) {
	if err := t.store.removeDelivery(d.seq); err != nil {
		t.log.Error("localsns: a finished delivery stays on disk and will be made again after a restart",
			slog.String("error", err.Error()))
	}
}
