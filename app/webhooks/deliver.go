package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"
	"unicode/utf8"

	"transcoder/app/jobs"
)

// maxAnswer is how much of a receiver's answer is read (and thrown away), so
// that the connection can be reused without a large answer costing anything.
const maxAnswer = 64 << 10

// maxErrorText bounds the error kept in the job view for a failed call.
const maxErrorText = 300

// claim identifies one claim of one call. A claim sets the lease to the
// claimer's now+Lease, which it may do only once the lease in place has
// ended, so the lease strictly grows from claim to claim; recording an
// attempt clears it and increments Attempts. The pair is therefore never
// the same for two claims, and a dispatcher holds the call exactly while
// both still read as it left them.
type claim struct {
	lease    time.Time
	attempts int
}

// holds reports whether c is still the claim on delivery id of j.
func (c claim) holds(j *jobs.Job, id string) bool {
	w := delivery(j, id)
	return w != nil && w.LeaseUntil.Equal(c.lease) && w.Attempts == c.attempts
}

func delivery(j *jobs.Job, id string) *jobs.WebhookCall {
	for i := range j.Webhooks {
		if j.Webhooks[i].ID == id {
			return &j.Webhooks[i]
		}
	}
	return nil
}

// outcome is what became of one call.
type outcome struct {
	at        time.Time // when the call was made
	status    int       // the answer's status, 0 for none
	errText   string
	delivered bool
	// addressRefused reports a call the dial policy stopped: the callback
	// host resolves to an address that may not be called, which a retry
	// would not change.
	addressRefused bool
	// detail is why the call failed in full, for the operator's debug log
	// only: it can name internal addresses and ports, and quote what the
	// far end sent, which errText, shown to the job's owner, must not.
	detail error
}

// The time bounds of one call beyond Options.Timeout.
const (
	// minCallTime is the least time a call is claimed with: a pass whose
	// context ends sooner claims nothing more, and leaves the calls due.
	minCallTime = time.Second
	// recordTimeout bounds recording an outcome, which happens even after
	// the pass's context has ended, so that no claim is left to expire.
	recordTimeout = 5 * time.Second
)

// callTimeout is how long a call may take if it starts now under ctx:
// Timeout, or less when ctx's deadline comes sooner.
func (d *Dispatcher) callTimeout(ctx context.Context) time.Duration {
	if deadline, ok := ctx.Deadline(); ok {
		return min(d.timeout, time.Until(deadline))
	}
	return d.timeout
}

// mayClaim reports whether ctx leaves time to claim and make a call.
func (d *Dispatcher) mayClaim(ctx context.Context) bool {
	return ctx.Err() == nil && d.callTimeout(ctx) >= min(minCallTime, d.timeout)
}

// deliver claims the call with id that job jobID owes, makes it and records
// the outcome. It reports whether it made a call; a call it did not win is
// no error. Once claimed, the call is made within what is left of ctx's
// time (at most Timeout) and recorded even if ctx ends meanwhile, so that a
// claim is not left to expire; only when the claim itself took all of
// ctx's time is the call left to be made when the claim ends.
func (d *Dispatcher) deliver(ctx context.Context, jobID, id string) (called bool, err error) {
	j, c, won, err := d.claim(ctx, jobID, id)
	if err != nil || !won {
		if err == nil {
			d.log.Debug("webhooks: call taken or settled by another dispatcher", "job", jobID, "delivery", id)
		}
		return false, err
	}
	log := d.log.With("job", jobID, "delivery", id, "attempt", c.attempts+1)
	timeout := d.callTimeout(ctx)
	if timeout <= 0 {
		// The claim took what time the pass had. A call with no time
		// would count as a failed attempt that never went out; the claim
		// ends instead, and the call is made then.
		log.Warn("webhooks: no time left for a call just claimed; it will be made when its claim ends", "leaseUntil", c.lease)
		return false, nil
	}
	ctx = context.WithoutCancel(ctx)

	var out outcome
	u, refused := d.checkURL(j.CallbackURL)
	if refused == nil {
		out, called = d.call(ctx, j, id, c.attempts+1, u, timeout), true
	} else {
		out = outcome{at: d.now(), errText: truncate(refused.Error())}
	}

	if out.detail != nil {
		log.Debug("webhooks: why the call failed", "err", out.errText, "detail", out.detail)
	}
	var retry time.Time
	n := c.attempts + 1
	if !out.delivered && refused == nil && !out.addressRefused && n < d.maxAttempts {
		retry = d.now().Add(d.backoff(n))
	}
	recorded, err := d.record(ctx, jobID, id, c, out, retry)
	switch {
	case err != nil:
		log.Error("webhooks: could not record a call; it will be made again when its claim ends", "delivered", out.delivered, "err", err)
		return called, err
	case !recorded:
		log.Warn("webhooks: the claim on a call ended before its outcome was recorded; another dispatcher has it", "delivered", out.delivered)
	case out.delivered:
		log.Info("webhooks: call delivered", "status", out.status)
	case refused != nil:
		log.Warn("webhooks: callback URL refused; giving up on the call", "reason", refused.Error())
	case out.addressRefused:
		log.Warn("webhooks: callback host resolves to an address that may not be called; giving up on the call", "err", out.errText)
	case retry.IsZero():
		log.Error("webhooks: call failed; giving up", "status", out.status, "err", out.errText, "attempts", n)
	default:
		log.Warn("webhooks: call failed; will retry", "status", out.status, "err", out.errText, "retryAt", retry)
	}
	return called, nil
}

// claim takes delivery id of job jobID until now+Lease. It reports the job as
// claimed, and whether this dispatcher won the claim: fn's result from its
// last run (a store may run fn again after a conflict) and the returned job
// both have to say so.
func (d *Dispatcher) claim(ctx context.Context, jobID, id string) (*jobs.Job, claim, bool, error) {
	now := d.now()
	c := claim{lease: now.Add(d.lease)}
	var won bool
	j, err := d.store.Modify(ctx, jobID, func(j *jobs.Job) bool {
		won = j.ClaimWebhookCall(id, now, c.lease)
		if won {
			c.attempts = delivery(j, id).Attempts
		}
		return won
	})
	if err != nil {
		return nil, claim{}, false, fmt.Errorf("webhooks: claim call %s: %w", id, err)
	}
	return j, c, won && c.holds(j, id), nil
}

// record stores out as the outcome of the call claimed by c, with the next
// attempt at retry (zero: none). It records nothing, and reports false, when
// c no longer holds the call: the claim ended and another dispatcher took
// the call, whose own outcome will be recorded.
func (d *Dispatcher) record(ctx context.Context, jobID, id string, c claim, out outcome, retry time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	held := false
	_, err := d.store.Modify(ctx, jobID, func(j *jobs.Job) bool {
		if held = c.holds(j, id); held {
			j.RecordAttempt(id, out.at, out.status, out.errText, out.delivered, retry)
		}
		return held
	})
	if err != nil {
		return false, fmt.Errorf("webhooks: record call %s: %w", id, err)
	}
	return held, nil
}

// checkURL applies the callback URL policy to raw.
func (d *Dispatcher) checkURL(raw string) (*url.URL, error) {
	u, err := parseCallbackURL(raw)
	if err != nil {
		return nil, err
	}
	if err := d.allowURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// call POSTs the signed payload for delivery id of j to u, waiting at most
// timeout for the answer.
func (d *Dispatcher) call(ctx context.Context, j *jobs.Job, id string, attempt int, u *url.URL, timeout time.Duration) outcome {
	w := delivery(j, id)
	out := outcome{at: d.now()}
	body, err := json.Marshal(Payload{
		Delivery: id, Job: j.ID, State: w.State, At: w.At.UTC(), Sequence: sequence(j, w.State), Attempt: attempt, View: d.view(j),
	})
	if err != nil {
		out.errText, out.detail = "could not encode the payload", err
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		out.errText, out.detail = "could not build the request", err
		return out
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(DeliveryHeader, id)
	req.Header.Set(SignatureHeader, Sign(OwnerSecret(d.secret, j.Owner), out.at, body))

	resp, err := d.client.Do(req)
	if err != nil {
		var ae *addressError
		out.addressRefused = errors.As(err, &ae)
		out.errText, out.detail = callError(err), err
		if ue, ok := err.(*url.Error); ok {
			out.detail = ue.Err // without the URL, which may carry a token
		}
		return out
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	out.status = resp.StatusCode
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		out.delivered = true
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		out.errText = fmt.Sprintf("HTTP %d (redirects are not followed)", resp.StatusCode)
	default:
		// The code alone: the reason phrase is the far end's to write.
		out.errText = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return out
}

// callError says in a few fixed words why a call got no answer, for the
// job's owner: never the error itself, which names the addresses and ports
// dialled and can quote what the far end sent, so that the job view cannot
// serve as a port scanner or a banner grabber.
func callError(err error) string {
	var (
		ae      *addressError
		netErr  net.Error
		dnsErr  *net.DNSError
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
		alert   tls.AlertError
	)
	switch {
	case errors.As(err, &ae):
		return "the address is not allowed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return "the receiver's certificate was not accepted"
	case errors.As(err, &record), errors.As(err, &alert):
		return "the TLS handshake failed"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection was reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed without an answer"
	case errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial",
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "could not connect"
	}
	return "no valid answer"
}

// truncate bounds s to about maxErrorText bytes, on a character boundary.
func truncate(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sequence is the place of state among the job's transitions, from 1: the
// order the job went through them, which retried calls may arrive out of.
func sequence(j *jobs.Job, s jobs.State) int {
	for i, t := range j.Transitions {
		if t.State == s {
			return i + 1
		}
	}
	return len(j.Transitions) + 1
}
