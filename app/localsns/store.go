package localsns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"transcoder/app/sns"
)

// The files of a topic's Dir besides the signing material.
const (
	// SubscriptionsFile holds the topic's ARN and its subscriptions.
	SubscriptionsFile = "subscriptions.json"
	// DeliveriesDir holds one file per delivery not yet made.
	DeliveriesDir = "deliveries"
)

// store reads and writes a topic's state under dir. Every write is
// atomic (a temporary file renamed into place), so a crash leaves each
// file whole.
type store struct {
	dir string
}

// subscriptionsDoc is the content of SubscriptionsFile.
type subscriptionsDoc struct {
	TopicArn      string
	Subscriptions []*subscription
}

// deliveryDoc is the content of one file in DeliveriesDir: the body as it
// is sent, so that what is resumed is byte for byte what was signed.
type deliveryDoc struct {
	Seq             uint64
	SubscriptionArn string
	Duplicate       bool `json:",omitempty"`
	Body            json.RawMessage
}

func (s store) deliveryPath(seq uint64) string {
	return filepath.Join(s.dir, DeliveriesDir, fmt.Sprintf("%016x.json", seq))
}

func (s store) writeDelivery(d *delivery) error {
	data, err := json.Marshal(deliveryDoc{Seq: d.seq, SubscriptionArn: d.sub.ARN, Duplicate: d.duplicate, Body: d.body})
	if err != nil {
		return fmt.Errorf("localsns: encoding a delivery: %w", err)
	}
	return writeFileAtomic(s.deliveryPath(d.seq), data, 0o600)
}

// removeDelivery forgets a delivery that was made or given up on. A
// removal lost in a crash means one more delivery, which SNS's
// at-least-once contract allows.
func (s store) removeDelivery(seq uint64) error {
	if err := os.Remove(s.deliveryPath(seq)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("localsns: %w", err)
	}
	return nil
}

func (s store) saveSubscriptions(arn string, subs []*subscription) error {
	slices.SortFunc(subs, func(a, b *subscription) int { return strings.Compare(a.Endpoint, b.Endpoint) })
	data, err := json.MarshalIndent(subscriptionsDoc{TopicArn: arn, Subscriptions: subs}, "", "  ")
	if err != nil {
		return fmt.Errorf("localsns: encoding the subscriptions: %w", err)
	}
	return writeFileAtomic(filepath.Join(s.dir, SubscriptionsFile), data, 0o600)
}

// loadSubscriptions returns the subscriptions kept for arn; none if the
// file does not exist yet.
func (s store) loadSubscriptions(arn string) ([]*subscription, error) {
	path := filepath.Join(s.dir, SubscriptionsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("localsns: %w", err)
	}
	var doc subscriptionsDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("localsns: %s: %w", path, err)
	}
	if doc.TopicArn != arn {
		return nil, fmt.Errorf("localsns: %s belongs to topic %q, not %q: use another Options.Dir",
			path, doc.TopicArn, arn)
	}
	for _, sub := range doc.Subscriptions {
		if sub.ARN == "" || sub.Token == "" || checkEndpoint(sub.Endpoint) != nil {
			return nil, fmt.Errorf("localsns: %s holds an incomplete subscription", path)
		}
	}
	return doc.Subscriptions, nil
}

// loadDeliveries returns the deliveries kept on disk, in the order they
// were queued, removing leftovers of interrupted writes.
func (s store) loadDeliveries() ([]deliveryDoc, error) {
	dir := filepath.Join(s.dir, DeliveriesDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("localsns: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("localsns: %w", err)
	}
	var docs []deliveryDoc
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") { // a temporary file a crash left behind
			os.Remove(filepath.Join(dir, name))
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, ".json"), 16, 64)
		if err != nil || !strings.HasSuffix(name, ".json") {
			return nil, fmt.Errorf("localsns: %s does not belong in %s", name, dir)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("localsns: %w", err)
		}
		var doc deliveryDoc
		if err := json.Unmarshal(data, &doc); err != nil || doc.Seq != seq {
			return nil, fmt.Errorf("localsns: %s is not a delivery", filepath.Join(dir, name))
		}
		docs = append(docs, doc)
	}
	slices.SortFunc(docs, func(a, b deliveryDoc) int { return cmpUint(a.Seq, b.Seq) })
	return docs, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// saveSubscriptions writes every subscription. Topic.mu must be held.
func (t *Topic) saveSubscriptions() error {
	subs := make([]*subscription, 0, len(t.subs))
	for _, sub := range t.subs {
		subs = append(subs, sub)
	}
	return t.store.saveSubscriptions(t.arn, subs)
}

// resume loads the subscriptions and the deliveries left undone, signing
// again (with the same Timestamp and SignatureVersion) those signed under
// a certificate that has since been replaced.
func (t *Topic) resume() error {
	subs, err := t.store.loadSubscriptions(t.arn)
	if err != nil {
		return err
	}
	byARN := make(map[string]*subscription, len(subs))
	for _, sub := range subs {
		t.subs[sub.Endpoint] = sub
		byARN[sub.ARN] = sub
	}
	docs, err := t.store.loadDeliveries()
	if err != nil {
		return err
	}
	for _, doc := range docs {
		t.seq = max(t.seq, doc.Seq)
		sub := byARN[doc.SubscriptionArn]
		if sub == nil {
			t.log.Warn("localsns: dropped a delivery to a subscription that no longer exists",
				slog.String("subscription", doc.SubscriptionArn))
			if err := t.store.removeDelivery(doc.Seq); err != nil {
				return err
			}
			continue
		}
		m, err := sns.Parse(doc.Body)
		if err != nil {
			return fmt.Errorf("localsns: delivery %016x: %w", doc.Seq, err)
		}
		d := &delivery{seq: doc.Seq, sub: sub, msg: m, body: doc.Body, duplicate: doc.Duplicate}
		if m.SigningCertURL != t.signer.CertURL() {
			if err := t.signer.Sign(m, m.SignatureVersion); err != nil {
				return err
			}
			d.body = Body(m)
			if err := t.store.writeDelivery(d); err != nil {
				return err
			}
		}
		t.enqueue(d)
	}
	if len(docs) > 0 {
		t.log.Info("localsns: resumed undone deliveries", slog.Int("count", len(docs)))
	}
	return nil
}
