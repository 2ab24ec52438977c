package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/events"
	"transcoder/app/jobs"
	"transcoder/app/sns"
)

// MaxBody is the largest delivery accepted; SNS messages are at most 256 KiB.
const MaxBody = 1 << 20

// deliveryBudget bounds the work on one delivery well inside SNS's 15-second
// timeout, so that a stuck dependency ends in a 5xx SNS retries rather than a
// timeout.
const deliveryBudget = 10 * time.Second

// outcome is what became of one delivery: its metric label, HTTP status and,
// for refusals, the rule that failed.
type outcome struct {
	label  string
	status int
	err    error
	// cause is logged but not answered: details of our own failures are no
	// business of the caller's.
	cause error
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// handleSNSDelivery serves SNS HTTP(S) deliveries: it verifies every one, then
// confirms subscriptions, records unsubscriptions and applies notifications.
// It answers 5xx only when the work was not done, since SNS retries only
// those (and timeouts) and treats every 2xx-4xx as delivered.
func (s *Server) handleSNSDelivery() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), deliveryBudget)
		defer cancel()

		buf := bodyPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer bodyPool.Put(buf)

		attrs := make([]slog.Attr, 0, 8)
		o := s.receiveSNS(ctx, c.Request, buf, &attrs)

		s.deps.Metrics.deliveries.WithLabelValues(o.label).Inc()
		attrs = append(attrs, slog.String("outcome", o.label), slog.Int("status", o.status))
		level := slog.LevelInfo
		switch {
		case o.status >= 500:
			level = slog.LevelError
		case o.status >= 400:
			level = slog.LevelWarn
		}
		if o.err != nil {
			attrs = append(attrs, slog.String("reason", o.err.Error()))
		}
		if o.cause != nil {
			attrs = append(attrs, slog.String("cause", o.cause.Error()))
		}
		s.deps.Logger.LogAttrs(ctx, level, "sns delivery", attrs...)

		if o.err != nil && o.status != http.StatusOK {
			c.PureJSON(o.status, gin.H{"error": o.err.Error()})
			return
		}
		// Labels are plain words: no JSON escaping is needed.
		c.Data(o.status, "application/json; charset=utf-8", []byte(`{"outcome":"`+o.label+`"}`))
	}
}

// receiveSNS reads and checks one SNS delivery: its body, bounded, parsed
// as an SNS message whose x-amz-sns-* headers agree; then process acts on it.
func (s *Server) receiveSNS(ctx context.Context, r *http.Request, buf *bytes.Buffer, attrs *[]slog.Attr) outcome {
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, MaxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return outcome{label: "too_large", status: http.StatusRequestEntityTooLarge, err: errors.New("body is larger than 1 MiB")}
		}
		return outcome{"malformed", http.StatusBadRequest, errors.New("reading the body: " + err.Error()), nil}
	}
	m, err := sns.Parse(buf.Bytes())
	if err != nil {
		return outcome{"malformed", http.StatusBadRequest, err, nil}
	}
	// Logged before verification, so bounded: anyone can send anything.
	*attrs = append(*attrs, slog.String("message_id", clip(m.MessageID)), slog.String("topic", clip(m.TopicARN)), slog.String("type", clip(m.Type)))
	if err := m.CheckHeaders(r.Header.Get("x-amz-sns-topic-arn"), r.Header.Get("x-amz-sns-message-type")); err != nil {
		return outcome{"malformed", http.StatusBadRequest, err, nil}
	}
	return s.process(ctx, m, attrs, false)
}

// process does what a parsed message asks once it is verified: it confirms,
// records or applies it. It is the one path of both the endpoint and the
// dead-letter redrive (Process, Preview); preview stops short of acting.
func (s *Server) process(ctx context.Context, m *sns.Message, attrs *[]slog.Attr, preview bool) outcome {
	start := time.Now()
	err := s.deps.Verifier.Verify(ctx, m)
	s.deps.Metrics.verify.Observe(time.Since(start).Seconds())
	if err != nil {
		return refusal(err)
	}

	switch m.Type {
	case sns.TypeSubscriptionConfirmation:
		if preview {
			return outcome{"would_confirm", http.StatusOK, nil, nil}
		}
		if err := s.deps.Verifier.Confirm(ctx, m); err != nil {
			o := refusal(err)
			if o.status == http.StatusBadGateway {
				o.label = "confirm_failed"
			}
			return o
		}
		return outcome{"confirmed", http.StatusOK, nil, nil}
	case sns.TypeUnsubscribeConfirmation:
		// Recorded by the log line; re-subscribing is an operator's decision.
		return outcome{"unsubscribed", http.StatusOK, nil, nil}
	}

	u, err := s.deps.Events.Decode(m.Message, m.Time())
	switch {
	case errors.Is(err, events.ErrNotTranscoderEvent):
		return outcome{"ignored", http.StatusOK, nil, nil}
	case err != nil:
		// A malformed event stays malformed however often SNS retries it.
		return outcome{"ignored_invalid", http.StatusOK, err, nil}
	}
	*attrs = append(*attrs, slog.String("job_id", u.JobID), slog.String("state", string(u.State)))
	if preview {
		return outcome{"would_apply", http.StatusOK, nil, nil}
	}
	ch, err := s.deps.Store.Apply(ctx, u)
	if err != nil {
		return outcome{"store_failed", http.StatusServiceUnavailable, errors.New("the job store failed; SNS will retry"), err}
	}
	// Run on duplicates too: a retried delivery is how a failed step here
	// gets done.
	if err := s.jobs.Applied(ctx, ch); err != nil {
		return outcome{"enforce_failed", http.StatusServiceUnavailable, errors.New("applying the service's limits to the job failed; SNS will retry"), err}
	}
	if !ch.Changed {
		return outcome{"duplicate", http.StatusOK, nil, nil}
	}
	for _, t := range ch.Recorded {
		s.deps.Metrics.transitions.WithLabelValues(string(t.State)).Inc()
		if t.State == jobs.Failed {
			s.logFailure(ctx, ch.Job)
		}
	}
	return outcome{"applied", http.StatusOK, nil, nil}
}

// clip bounds an unverified value for a log line.
func clip(s string) string {
	const max = 256
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// refusal maps a verifier error to its answer by its class.
func refusal(err error) outcome {
	switch {
	case errors.Is(err, sns.ErrMalformed):
		return outcome{"malformed", http.StatusBadRequest, err, nil}
	case errors.Is(err, sns.ErrUnavailable):
		return outcome{"cert_unavailable", http.StatusBadGateway, err, nil}
	default:
		return outcome{"rejected", http.StatusForbidden, err, nil}
	}
}

func methodNotAllowed(allow string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Allow", allow)
		c.PureJSON(http.StatusMethodNotAllowed, gin.H{"error": "use " + allow})
	}
}
