package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"transcoder/app/jobs"
)

// MinSecretLength is the shortest secret New accepts, in bytes.
const MinSecretLength = 16

// batchSize is the most jobs one pass takes from Store.Due.
const batchSize = 100

// Options configures a Dispatcher. Store and Secret are required; every
// other field has a default.
type Options struct {
	// Store is where jobs and their owed calls are.
	Store jobs.Store
	// Secret is the root of the signing secrets: each job's calls are
	// signed with OwnerSecret(Secret, job.Owner), which is what that owner's
	// receivers verify with; Secret itself is given to nobody. At least
	// MinSecretLength bytes.
	Secret []byte
	// HTTPClient makes the calls. Redirects are never followed, whatever
	// the client's CheckRedirect: a 3xx answer is a failed call. Default: a
	// client that uses no proxy and connects only to the addresses the dial
	// policy allows (see AllowLoopbackHTTP), so that a callback host whose
	// name resolves to an internal address is not called. A client given
	// here dials as it pleases: guarding its connections is then up to it.
	HTTPClient *http.Client
	// AllowLoopbackHTTP is local mode, as in URLPolicy and
	// CheckCallbackURL: set it exactly when AllowURL is URLPolicy(true).
	// It picks the dial policy of the default client, which checks every
	// address actually connected to, after name resolution. Unset, every
	// call must connect to a public address (the rule URLPolicy(false)
	// applies to literal addresses). Set, a plain http call must connect to
	// a loopback address, and an https call to a public one. A call the
	// dial policy refuses is given up on at once, like a refused URL.
	AllowLoopbackHTTP bool
	// Logger receives a line per call and per failure to reach the store.
	// Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Poll is how often the store is asked for due calls when nothing kicks
	// the dispatcher. Default: 1s.
	Poll time.Duration
	// Lease is how long a claimed call is kept from other dispatchers; a
	// dispatcher that dies mid-call leaves it to be retried when the lease
	// ends. It must exceed Timeout, and leave room to record the outcome.
	// Default: 30s.
	Lease time.Duration
	// Timeout bounds each call, from connecting to reading the answer; a
	// pass whose context has a nearer deadline gives its calls less.
	// Default: 5s.
	Timeout time.Duration
	// MaxAttempts is how many calls are made for one transition before the
	// dispatcher gives up on it. Default: DefaultMaxAttempts, which with
	// DefaultBackoff keeps calling for about a day (see RetryWindow).
	MaxAttempts int
	// Backoff is the delay before the next call after attempt failed calls.
	// Default: DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// AllowURL is the callback URL policy, checked before every call (the
	// HTTP layer checks at submission too, with CheckCallbackURL). A call to
	// a refused URL is not made and not retried. URLs longer than
	// MaxURLLength are always refused. Default:
	// URLPolicy(AllowLoopbackHTTP).
	AllowURL func(*url.URL) error
	// View turns a job into the view sent in Payload.View, so that receivers
	// see what the API shows (download URLs included). Required: the
	// domain's job is not a wire format.
	View func(*jobs.Job) any
	// Concurrency is the most calls in flight at once. The calls of one
	// owner take at most half of them (at least one), so that an owner
	// whose receivers never answer cannot hold up everyone else's calls.
	// Default: 4.
	Concurrency int
}

// Dispatcher makes the webhook calls that jobs owe. Several dispatchers,
// in one process or many, may share a store: each call is claimed by one.
// It is safe for concurrent use.
type Dispatcher struct {
	store       jobs.Store
	secret      []byte
	client      *http.Client
	log         *slog.Logger
	now         func() time.Time
	poll        time.Duration
	lease       time.Duration
	timeout     time.Duration
	maxAttempts int
	backoff     func(int) time.Duration
	allowURL    func(*url.URL) error
	view        func(*jobs.Job) any

	kick chan struct{} // buffered 1: a kick waiting for Run

	slots *slots // which jobs' calls are in flight
}

// New returns a dispatcher, or an error naming the option that is wrong.
func New(opts Options) (*Dispatcher, error) {
	if opts.Store == nil {
		return nil, errors.New("webhooks: Options.Store is required")
	}
	if len(opts.Secret) < MinSecretLength {
		return nil, fmt.Errorf("webhooks: Options.Secret has %d bytes, fewer than %d", len(opts.Secret), MinSecretLength)
	}
	d := &Dispatcher{
		store:       opts.Store,
		secret:      append([]byte(nil), opts.Secret...),
		log:         opts.Logger,
		now:         opts.Now,
		poll:        opts.Poll,
		lease:       opts.Lease,
		timeout:     opts.Timeout,
		maxAttempts: opts.MaxAttempts,
		backoff:     opts.Backoff,
		allowURL:    opts.AllowURL,
		view:        opts.View,
		kick:        make(chan struct{}, 1),
	}
	for _, o := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{{"Poll", &d.poll, time.Second}, {"Lease", &d.lease, 30 * time.Second}, {"Timeout", &d.timeout, 5 * time.Second}} {
		if *o.v < 0 {
			return nil, fmt.Errorf("webhooks: Options.%s %s is negative", o.name, *o.v)
		}
		if *o.v == 0 {
			*o.v = o.def
		}
	}
	if d.lease <= d.timeout {
		return nil, fmt.Errorf("webhooks: Options.Lease %s must exceed Options.Timeout %s, or a call could outlive its claim", d.lease, d.timeout)
	}
	switch {
	case opts.MaxAttempts < 0:
		return nil, fmt.Errorf("webhooks: Options.MaxAttempts %d is negative", opts.MaxAttempts)
	case opts.MaxAttempts == 0:
		d.maxAttempts = DefaultMaxAttempts
	}
	concurrency := opts.Concurrency
	switch {
	case concurrency < 0:
		return nil, fmt.Errorf("webhooks: Options.Concurrency %d is negative", concurrency)
	case concurrency == 0:
		concurrency = 4
	}
	d.slots = newSlots(concurrency)

	client := http.Client{Transport: newTransport(opts.AllowLoopbackHTTP)}
	if opts.HTTPClient != nil {
		client = *opts.HTTPClient
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.client = &client
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.backoff == nil {
		d.backoff = DefaultBackoff
	}
	if d.allowURL == nil {
		d.allowURL = URLPolicy(opts.AllowLoopbackHTTP)
	}
	if opts.View == nil {
		return nil, errors.New("webhooks: Options.View is required: the job as the API shows it, which each call carries")
	}
	return d, nil
}

// Kick wakes Run for a pass now rather than at the next poll. The HTTP
// layer calls it after an Apply that owed a call, so that the call goes out
// within milliseconds. It never blocks; kicks while a pass is pending merge.
func (d *Dispatcher) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run makes due calls until ctx is done: a pass at once (calls left owed by
// an earlier process), then one at every Poll or Kick, and another straight
// away after a pass that found a full batch. It returns once the calls in
// flight have finished and their outcomes are recorded, so that stopping a
// process leaves no claim to expire.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(d.poll)
	defer timer.Stop()
	for ctx.Err() == nil {
		full, err := d.dispatch(ctx, &wg, &tally{})
		if err != nil && ctx.Err() == nil {
			d.log.Error("webhooks: pass failed", "err", err)
		}
		if full && err == nil {
			continue
		}
		timer.Reset(d.poll)
		select {
		case <-ctx.Done():
		case <-d.kick:
		case <-timer.C:
		}
	}
}

// DeliverDue makes one pass: every call due now, up to a batch, and waits
// for them. It returns how many calls were made, whatever their outcome,
// and the failures to reach the store. It is for tests and for a scheduled
// invocation (a Lambda) where no Run loop lives.
//
// It keeps to ctx's deadline: no call is claimed once less than a second
// (or Timeout, if shorter) is left, and a call's timeout is cut to what is
// left, so that DeliverDue returns by the deadline, give or take the
// recording of the last outcomes. The calls it had no time for stay due,
// untouched, and the error then wraps ctx's error, or
// context.DeadlineExceeded when the deadline was near but not passed.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	var wg sync.WaitGroup
	var t tally
	_, err := d.dispatch(ctx, &wg, &t)
	wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cut && err == nil {
		err = cutShort(ctx)
	}
	return t.calls, errors.Join(append([]error{err}, t.errs...)...)
}

// cutShort is the error of a pass that left calls due for want of time.
func cutShort(ctx context.Context) error {
	cause := ctx.Err()
	if cause == nil {
		cause = context.DeadlineExceeded // too near to start a call
	}
	return fmt.Errorf("webhooks: pass cut short, calls left due: %w", cause)
}

// tally counts what the workers of one pass did.
type tally struct {
	mu    sync.Mutex
	calls int
	errs  []error
	cut   bool // a worker left calls due for want of time
}

func (t *tally) cutShort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cut = true
}

func (t *tally) add(called bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if called {
		t.calls++
	}
	if err != nil {
		t.errs = append(t.errs, err)
	}
}

// dispatch takes the jobs with calls due from the store and hands each to a
// worker, which makes the job's calls one after the other, in transition
// order, so that a receiver usually hears of a job's states in order (a
// retry can still overtake). The owners take turns (see inTurns), so that
// an owner with many calls due does not push back another's. A job waits
// while all the slots are taken or its owner has its share of them, and the
// jobs behind it go first when they can. Workers are counted in wg;
// dispatch returns once each job has a worker, or once ctx leaves no time
// to claim another call (see mayClaim). full reports a batch that may have
// left calls due.
func (d *Dispatcher) dispatch(ctx context.Context, wg *sync.WaitGroup, t *tally) (full bool, err error) {
	now := d.now()
	due, err := d.store.Due(ctx, now, batchSize)
	if err != nil {
		return false, fmt.Errorf("webhooks: find due calls: %w", err)
	}
	window, cancel := d.claimWindow(ctx)
	defer cancel()
	var queue []work
	for _, j := range due {
		if ids := dueDeliveries(j, now); len(ids) > 0 {
			queue = append(queue, work{j, ids})
		}
	}
	queue = inTurns(queue)
	for len(queue) > 0 {
		freed := d.slots.freed()
		waiting := queue[:0]
		for _, w := range queue {
			switch d.slots.start(w.job) {
			case taken:
			case wait:
				waiting = append(waiting, w)
			case started:
				wg.Go(func() {
					defer d.finish(w.job)
					for _, id := range w.ids {
						if !d.mayClaim(ctx) {
							t.cutShort() // a claimed call is finished; an unclaimed one waits
							return
						}
						t.add(d.deliver(ctx, w.job.ID, id))
					}
				})
			}
		}
		if queue = waiting; len(queue) == 0 {
			break
		}
		select {
		case <-freed:
		case <-window.Done():
			return false, cutShort(ctx)
		}
	}
	return len(due) == batchSize, nil
}

// claimWindow returns a context that ends when ctx leaves no more time to
// claim a call.
func (d *Dispatcher) claimWindow(ctx context.Context) (context.Context, context.CancelFunc) {
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, deadline.Add(-min(minCallTime, d.timeout)))
	}
	return context.WithCancel(ctx)
}

// work is a job with calls due, and the ids of those calls.
type work struct {
	job *jobs.Job
	ids []string
}

// inTurns orders the due jobs in rounds across their owners: each owner's
// most overdue job, the owners in the order of those jobs, then each
// owner's next, and so on; an owner's own jobs keep their order. Served in
// this order, as slots free up, an owner with many jobs due gets one call
// started per round like an owner with one, instead of every call due
// before the other owner's. The turns reach as far as the batch Store.Due
// returns, most overdue first: an owner with a whole batch due before
// another's still goes first across passes.
func inTurns(queue []work) []work {
	var owners []string
	byOwner := map[string][]work{}
	for _, w := range queue {
		if _, seen := byOwner[w.job.Owner]; !seen {
			owners = append(owners, w.job.Owner)
		}
		byOwner[w.job.Owner] = append(byOwner[w.job.Owner], w)
	}
	out := make([]work, 0, len(queue))
	for round := 0; len(out) < len(queue); round++ {
		for _, o := range owners {
			if round < len(byOwner[o]) {
				out = append(out, byOwner[o][round])
			}
		}
	}
	return out
}

// dueDeliveries lists the ids of j's calls that can be claimed at now.
func dueDeliveries(j *jobs.Job, now time.Time) []string {
	var ids []string
	for _, w := range j.Webhooks {
		if w.Pending() && !w.NextAttempt.After(now) && !w.LeaseUntil.After(now) {
			ids = append(ids, w.ID)
		}
	}
	return ids
}
