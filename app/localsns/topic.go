package localsns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"transcoder/app/internal/ids"
	"transcoder/app/sns"
)

// DefaultTopicARN is the topic a Topic is when Options.TopicARN is empty.
const DefaultTopicARN = "arn:aws:sns:us-east-1:000000000000:transcoder-local"

// MaxMessageSize is the largest message Publish accepts: SNS's limit.
const MaxMessageSize = 256 << 10

// ErrClosed is returned by a Topic's methods after Close.
var ErrClosed = errors.New("localsns: topic is closed")

// Options configures a Topic. Dir and BaseURL are required; every other
// zero value is a usable default.
type Options struct {
	// Dir holds the signing key and certificate, the subscriptions and the
	// deliveries not yet made, so that a restart keeps the trust and loses
	// no message. It is created if need be.
	Dir string

	// TopicARN is the topic's ARN; empty means DefaultTopicARN. A Dir
	// belongs to one topic: Open refuses a Dir that holds another's
	// subscriptions.
	TopicARN string

	// BaseURL is where Handler is reachable, such as
	// http://127.0.0.1:8080/local-sns. The certificate is served at
	// BaseURL/SimpleNotificationService-<hex>.pem, and the SubscribeURL and
	// UnsubscribeURL of messages point at BaseURL/?Action=....
	BaseURL string

	// HTTPClient makes the deliveries; nil means a client on
	// http.DefaultTransport. Redirects are never followed, as SNS follows
	// none; the per-attempt timeout is Policy.Timeout.
	HTTPClient *http.Client

	// Logger receives a line per subscription change, retry and given-up
	// delivery (successful deliveries at Debug); nil means slog.Default().
	Logger *slog.Logger

	// Policy is the retry policy of every subscription; the zero value
	// means DefaultDeliveryPolicy.
	Policy DeliveryPolicy

	// Duplicates is the probability, from 0 to 1, that a delivery is made
	// twice (the same message, ID and signature, as SNS's at-least-once
	// delivery sometimes does), so that tests exercise idempotency.
	Duplicates float64

	// Reorder, if positive, holds each delivery for a random time up to
	// Reorder before sending it, so that a burst arrives in a random order,
	// as SNS standard topics do not keep order. Zero sends in publish order.
	Reorder time.Duration

	// Rand draws duplicates and hold times; seed it for repeatable tests.
	// nil means a randomly seeded generator.
	Rand *rand.Rand

	// Now stamps messages and judges the certificate's validity; nil means
	// time.Now. Retry delays and holds run on the real clock.
	Now func() time.Time
}

// Stats counts what a Topic did since Open, for tests and metrics.
// Deliveries of every message type count, confirmations included.
type Stats struct {
	Published  uint64 // messages accepted by Publish
	Delivered  uint64 // deliveries an endpoint accepted (any status from 200 to 499)
	Retried    uint64 // attempts that failed and were scheduled again
	Duplicated uint64 // deliveries queued a second time by Options.Duplicates
	GivenUp    uint64 // deliveries dropped once the policy's retries ran out
}

// Topic is a local stand-in for one Amazon SNS topic with HTTP(S)
// subscriptions: it confirms subscribers with the SubscriptionConfirmation
// handshake, signs every message, and delivers with SNS's retry policy,
// keeping its state in Options.Dir. It is safe for concurrent use.
type Topic struct {
	arn      string
	baseURL  string
	basePath string
	certPath string // the certificate's path under basePath
	signer   *Signer
	client   *http.Client
	log      *slog.Logger
	policy   DeliveryPolicy
	dup      float64
	reorder  time.Duration
	now      func() time.Time
	store    store

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the subscriptions' workers

	mu     sync.Mutex
	rand   *rand.Rand
	subs   map[string]*subscription // by endpoint
	seq    uint64                   // of the last delivery queued
	closed bool

	published, delivered, retried, duplicated, givenUp atomic.Uint64
}

// subscription is one endpoint's subscription and its delivery queue.
// Every field after Confirmed is guarded by Topic.mu.
type subscription struct {
	ARN       string `json:"SubscriptionArn"`
	Endpoint  string `json:"Endpoint"`
	Token     string `json:"Token"`
	Confirmed bool   `json:"Confirmed"`

	queue    []*delivery // ready or waiting to be due, by (due, seq)
	held     []*delivery // notifications waiting for the confirmation
	inflight *delivery
	removed  bool
	wake     chan struct{} // buffered: a nudge to look at the queue again
	stop     context.CancelFunc
}

// delivery is one message to one subscription, also kept on disk until
// it is delivered or given up on.
type delivery struct {
	seq       uint64
	sub       *subscription
	msg       *sns.Message
	body      []byte
	duplicate bool
	due       time.Time
	retries   int // retries made so far
}

// Open opens the topic kept in opts.Dir, creating it the first time, and
// resumes every delivery a previous run left undone. ctx bounds opening
// only; the topic delivers until Close.
func Open(ctx context.Context, opts Options) (*Topic, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("localsns: Options.Dir is empty")
	}
	arn := opts.TopicARN
	if arn == "" {
		arn = DefaultTopicARN
	}
	if err := checkTopicARN(arn); err != nil {
		return nil, err
	}
	base, basePath, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	policy, err := opts.Policy.normalize()
	if err != nil {
		return nil, err
	}
	if !(opts.Duplicates >= 0 && opts.Duplicates <= 1) {
		return nil, fmt.Errorf("localsns: Options.Duplicates %v is not a probability from 0 to 1", opts.Duplicates)
	}
	if opts.Reorder < 0 {
		return nil, fmt.Errorf("localsns: Options.Reorder %v is negative", opts.Reorder)
	}

	t := &Topic{
		arn:      arn,
		baseURL:  base,
		basePath: basePath,
		log:      opts.Logger,
		policy:   policy,
		dup:      opts.Duplicates,
		reorder:  opts.Reorder,
		now:      opts.Now,
		rand:     opts.Rand,
		subs:     make(map[string]*subscription),
		store:    store{dir: opts.Dir},
	}
	if t.log == nil {
		t.log = slog.Default()
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.rand == nil {
		t.rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	t.client = &http.Client{}
	if opts.HTTPClient != nil {
		*t.client = *opts.HTTPClient // a copy: the caller's keeps its redirect policy
	}
	t.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	key, certPEM, err := loadOrCreateKeyPair(opts.Dir, t.now(), t.log)
	if err != nil {
		return nil, err
	}
	name := certName(certPEM)
	t.certPath = "/" + name
	t.signer = NewSigner(key, certPEM, base+"/"+name)

	if err := t.resume(); err != nil {
		return nil, err
	}
	t.ctx, t.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, sub := range t.subs {
		t.start(sub)
	}
	return t, nil
}

// checkTopicARN checks that arn looks like arn:<partition>:sns:<region>:<account>:<name>.
func checkTopicARN(arn string) error {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[1] == "" ||
		parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return fmt.Errorf("localsns: Options.TopicARN %q is not arn:aws:sns:<region>:<account>:<name>", arn)
	}
	return nil
}

// parseBaseURL checks raw and returns it without a trailing slash, and its path.
func parseBaseURL(raw string) (base, path string, err error) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "", "", errors.New("localsns: Options.BaseURL is empty")
	case err != nil:
		return "", "", fmt.Errorf("localsns: Options.BaseURL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "", fmt.Errorf("localsns: Options.BaseURL %q is not an http or https URL", raw)
	case u.Host == "":
		return "", "", fmt.Errorf("localsns: Options.BaseURL %q has no host", raw)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", "", fmt.Errorf("localsns: Options.BaseURL %q must have no user info, query or fragment", raw)
	}
	return strings.TrimSuffix(raw, "/"), strings.TrimSuffix(u.EscapedPath(), "/"), nil
}

// TopicARN returns the topic's ARN.
func (t *Topic) TopicARN() string { return t.arn }

// Signer returns the topic's signer, whose CertURL and Certificate a
// verifier pins to trust this topic.
func (t *Topic) Signer() *Signer { return t.signer }

// LocalSigner returns what a verifier pins to trust this topic's messages
// and SubscribeURLs (sns.Options.Local), so that the URL layout stays
// known here only.
func (t *Topic) LocalSigner() *sns.LocalSigner {
	return &sns.LocalSigner{
		CertURL:       t.signer.CertURL(),
		Cert:          t.signer.Certificate(),
		SubscribeBase: t.baseURL + "/",
	}
}

// Stats returns the counters so far.
func (t *Topic) Stats() Stats {
	return Stats{
		Published:  t.published.Load(),
		Delivered:  t.delivered.Load(),
		Retried:    t.retried.Load(),
		Duplicated: t.duplicated.Load(),
		GivenUp:    t.givenUp.Load(),
	}
}

// Close stops delivering and waits for the workers to return. A delivery
// in flight is abandoned; it and every other undone delivery stay in Dir
// for the next Open. Close is idempotent.
func (t *Topic) Close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
}

// Subscribe subscribes an HTTP(S) endpoint and returns the subscription's
// ARN. A new subscription is pending until the endpoint visits the
// SubscribeURL of the signed SubscriptionConfirmation that is sent to it in
// the background, with retries. Subscribing an endpoint again returns the
// same ARN; if it is still pending and no confirmation is on its way, a
// new one is sent (the token stays the same).
//
// Unlike SNS, which answers "pending confirmation", the ARN is returned at
// once, so that callers can log it; it is the one the confirmation yields.
func (t *Topic) Subscribe(ctx context.Context, endpoint string) (string, error) {
	return t.subscribe(ctx, endpoint, false)
}

// SubscribeOnly subscribes endpoint as Subscribe does and removes every
// other subscription, for a topic whose one subscriber is whoever serves
// now: the local pipeline subscribes its own endpoint at every start, and
// an endpoint of an earlier run (another ADDR or port) is served by nobody,
// so its deliveries would be retried, and every new message queued to it,
// for as long as the topic lives.
//
// The removed subscriptions' undone notifications are handed to
// endpoint's subscription (the same MessageId and signature), written to
// Dir before they leave the removed ones, so that an event published just
// before a restart on another address still arrives; their confirmations
// are dropped. What was removed is logged in one line.
func (t *Topic) SubscribeOnly(ctx context.Context, endpoint string) (string, error) {
	return t.subscribe(ctx, endpoint, true)
}

func (t *Topic) subscribe(ctx context.Context, endpoint string, only bool) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkEndpoint(endpoint); err != nil {
		return "", err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return "", ErrClosed
	}
	sub, ok := t.subs[endpoint]
	if !ok {
		sub = &subscription{
			ARN:      t.arn + ":" + ids.UUID(),
			Endpoint: endpoint,
			// 256 random bits: whoever has the token can confirm.
			Token: ids.Hex(32),
		}
		t.subs[endpoint] = sub
		if err := t.saveSubscriptions(); err != nil {
			delete(t.subs, endpoint)
			return "", err
		}
		t.start(sub)
		t.log.Info("localsns: subscribed, pending confirmation",
			slog.String("subscription", sub.ARN), slog.String("endpoint", endpoint))
	}
	if only {
		if err := t.removeOthers(sub); err != nil {
			return "", err
		}
	}
	if ok && (sub.Confirmed || sub.confirmationQueued()) {
		return sub.ARN, nil
	}

	m := &sns.Message{
		Type:      sns.TypeSubscriptionConfirmation,
		MessageID: ids.UUID(),
		Token:     sub.Token,
		TopicARN:  t.arn,
		Message: "You have chosen to subscribe to the topic " + t.arn +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: t.subscribeURL(sub.Token),
		Timestamp:    t.now().UTC().Format(TimestampFormat),
	}
	if err := t.signer.Sign(m, "2"); err != nil {
		return "", err
	}
	if err := t.queue(sub, m, false); err != nil {
		return "", err
	}
	return sub.ARN, nil
}

// checkEndpoint checks that endpoint is an absolute http(s) URL.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("localsns: endpoint %q is not an http or https URL", endpoint)
	}
	return nil
}

// confirmationQueued reports whether a SubscriptionConfirmation is waiting
// or in flight. Topic.mu must be held.
func (s *subscription) confirmationQueued() bool {
	if s.inflight != nil && s.inflight.msg.Type == sns.TypeSubscriptionConfirmation {
		return true
	}
	for _, d := range s.queue {
		if d.msg.Type == sns.TypeSubscriptionConfirmation {
			return true
		}
	}
	return false
}

// Publish publishes message to the topic and returns its MessageId. The
// Notification is signed (SignatureVersion 2) and one delivery per
// subscription is written to Dir before Publish returns, so that a crash
// or restart loses none; a subscription still pending confirmation gets
// its delivery once it confirms.
//
// AWS drops messages published while a subscription is pending; this
// topic holds them instead, because the local pipeline subscribes at start
// and may publish before the endpoint has confirmed, and a lost job event
// would leave a job unfinished for no reason a developer could see.
//
// message must be valid UTF-8 and at most MaxMessageSize bytes, as SNS
// requires. With no subscription, the message goes nowhere, as with SNS.
func (t *Topic) Publish(ctx context.Context, message string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if !utf8.ValidString(message) {
		return "", errors.New("localsns: message is not valid UTF-8")
	}
	if len(message) > MaxMessageSize {
		return "", fmt.Errorf("localsns: message is %d bytes, more than %d", len(message), MaxMessageSize)
	}
	m := &sns.Message{
		Type:      sns.TypeNotification,
		MessageID: ids.UUID(),
		TopicARN:  t.arn,
		Message:   message,
		Timestamp: t.now().UTC().Format(TimestampFormat),
	}
	if err := t.signer.Sign(m, "2"); err != nil {
		return "", err
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return "", ErrClosed
	}
	t.published.Add(1)
	for _, sub := range t.subs {
		sm := *m
		sm.UnsubscribeURL = t.unsubscribeURL(sub.ARN) // unsigned: one per subscription
		if err := t.queue(sub, &sm, false); err != nil {
			return m.MessageID, err
		}
		if t.dup > 0 && t.rand.Float64() < t.dup {
			if err := t.queue(sub, &sm, true); err != nil {
				return m.MessageID, err
			}
			t.duplicated.Add(1)
		}
	}
	return m.MessageID, nil
}

// queue writes a delivery of m to sub to disk and queues it (or holds it,
// for a notification to a pending subscription). Topic.mu must be held.
func (t *Topic) queue(sub *subscription, m *sns.Message, duplicate bool) error {
	t.seq++
	d := &delivery{seq: t.seq, sub: sub, msg: m, body: Body(m), duplicate: duplicate}
	if err := t.store.writeDelivery(d); err != nil {
		return err
	}
	t.enqueue(d)
	return nil
}

// enqueue puts d in its subscription's queue, or among the held ones.
// Topic.mu must be held.
func (t *Topic) enqueue(d *delivery) {
	sub := d.sub
	if !sub.Confirmed && d.msg.Type == sns.TypeNotification {
		sub.held = append(sub.held, d)
		return
	}
	d.due = time.Now()
	if t.reorder > 0 {
		d.due = d.due.Add(time.Duration(t.rand.Int64N(int64(t.reorder))))
	}
	sub.insert(d)
	sub.nudge()
}

// insert adds d to the queue in (due, seq) order. Topic.mu must be held.
func (s *subscription) insert(d *delivery) {
	i := len(s.queue)
	for i > 0 && before(d, s.queue[i-1]) {
		i--
	}
	s.queue = append(s.queue, nil)
	copy(s.queue[i+1:], s.queue[i:])
	s.queue[i] = d
}

func before(a, b *delivery) bool {
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.seq < b.seq
}

// nudge wakes the subscription's worker without blocking.
func (s *subscription) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// subscribeURL returns the ConfirmSubscription URL for token, laid out as
// SNS lays it out (the ARN's colons unescaped).
func (t *Topic) subscribeURL(token string) string {
	return t.baseURL + "/?Action=ConfirmSubscription&TopicArn=" + queryEscape(t.arn) + "&Token=" + queryEscape(token)
}

// unsubscribeURL returns the Unsubscribe URL for a subscription.
func (t *Topic) unsubscribeURL(arn string) string {
	return t.baseURL + "/?Action=Unsubscribe&SubscriptionArn=" + queryEscape(arn)
}

func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%3A", ":")
}
