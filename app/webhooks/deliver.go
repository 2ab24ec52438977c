package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

func delivery(j *jobs.Job, id string) *jobs.Delivery {
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
}

// deliver claims the call with id that job jobID owes, makes it and records
// the outcome. It reports whether it made a call; a call it did not win is
// no error. Once claimed, the call is made and recorded even if ctx ends
// meanwhile (within Timeout), so that a claim is never left to expire.
func (d *Dispatcher) deliver(ctx context.Context, jobID, id string) (called bool, err error) {
	j, c, won, err := d.claim(ctx, jobID, id)
	if err != nil || !won {
		if err == nil {
			d.log.Debug("webhooks: call taken or settled by another dispatcher", "job", jobID, "delivery", id)
		}
		return false, err
	}
	log := d.log.With("job", jobID, "delivery", id, "attempt", c.attempts+1)
	ctx = context.WithoutCancel(ctx)

	var out outcome
	u, refused := d.checkURL(j.CallbackURL)
	if refused == nil {
		out, called = d.call(ctx, j, id, c.attempts+1, u), true
	} else {
		out = outcome{at: d.now(), errText: refused.Error()}
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
		won = j.ClaimDelivery(id, now, c.lease)
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
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
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

// call POSTs the signed payload for delivery id of j to u.
func (d *Dispatcher) call(ctx context.Context, j *jobs.Job, id string, attempt int, u *url.URL) outcome {
	w := delivery(j, id)
	out := outcome{at: d.now()}
	body, err := json.Marshal(Payload{
		Delivery: id, Job: j.ID, State: w.State, At: w.At.UTC(), Attempt: attempt, View: d.view(j),
	})
	if err != nil {
		out.errText = "encode the payload: " + err.Error()
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		out.errText = "build the request: " + err.Error()
		return out
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(DeliveryHeader, id)
	req.Header.Set(SignatureHeader, Sign(d.secret, out.at, body))

	resp, err := d.client.Do(req)
	if err != nil {
		var ae *addressError
		out.addressRefused = errors.As(err, &ae)
		out.errText = callError(err, d.timeout)
		return out
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	out.status = resp.StatusCode
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		out.delivered = true
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		out.errText = "receiver answered " + resp.Status + " (redirects are not followed)"
	default:
		out.errText = "receiver answered " + resp.Status
	}
	out.errText = truncate(out.errText)
	return out
}

// callError says why a call got no answer, without the URL, which the job
// view shows already.
func callError(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return truncate(err.Error())
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
