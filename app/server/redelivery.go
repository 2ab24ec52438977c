package server

import (
	"context"
	"fmt"
	"log/slog"

	"transcoder/app/sns"
)

// Result is what became of one SNS message handed to Process or Preview,
// in the endpoint's own terms.
type Result struct {
	// Outcome is the label POST /transcode-complete would log and count:
	// applied, duplicate, confirmed, unsubscribed, ignored, ignored_invalid,
	// rejected, malformed, cert_unavailable, confirm_failed, store_failed,
	// enforce_failed; Preview answers would_apply or would_confirm instead
	// of acting.
	Outcome string
	// Status is what the endpoint would have answered SNS.
	Status int
	// Err says which rule failed or what went wrong; nil when all went well.
	Err error
	// JobID and State are the decoded event's, when it was one.
	JobID, State string
}

// Delivered reports whether the message needs no further delivery: what
// SNS itself would take as delivered (any answer below 500).
func (r Result) Delivered() bool { return r.Status < 500 }

// Refused reports whether the message failed verification or was malformed
// (a 4xx): it is not acted upon, however often it is delivered.
func (r Result) Refused() bool { return r.Status >= 400 && r.Status < 500 }

// Process verifies a message that did not arrive over HTTP (the dead-letter
// queue's) and does exactly what POST /transcode-complete does with it:
// confirms, records, or applies it to the job store with the same limits and
// notifications. There are no x-amz-sns-* headers to check.
func (s *Server) Process(ctx context.Context, m *sns.Message) Result {
	return s.result(ctx, m, false)
}

// Preview verifies and decodes a message as Process does, and says what
// Process would do, without doing it.
func (s *Server) Preview(ctx context.Context, m *sns.Message) Result {
	return s.result(ctx, m, true)
}

func (s *Server) result(ctx context.Context, m *sns.Message, preview bool) Result {
	attrs := make([]slog.Attr, 0, 2)
	o := s.process(ctx, m, &attrs, preview)
	if !preview {
		s.deps.Metrics.deliveries.WithLabelValues(o.label).Inc()
	}
	r := Result{Outcome: o.label, Status: o.status, Err: o.err}
	switch {
	case o.cause != nil && o.err != nil:
		// The operator running a redrive may see our own failure's detail.
		r.Err = fmt.Errorf("%v: %w", o.err, o.cause)
	case o.cause != nil:
		r.Err = o.cause
	}
	for _, a := range attrs {
		switch a.Key {
		case "job_id":
			r.JobID = a.Value.String()
		case "state":
			r.State = a.Value.String()
		}
	}
	return r
}
