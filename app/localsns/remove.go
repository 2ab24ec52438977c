package localsns

import (
	"log/slog"
	"slices"
	"strings"

	"transcoder/app/sns"
)

// removeOthers removes every subscription but keep, handing keep their
// undone notifications. Topic.mu must be held.
//
// The order makes a crash at any point cost duplicates at worst, which
// SNS's at-least-once delivery allows, and never a message: the copies
// are written first, then the subscriptions file without the removed
// ones, then their deliveries' files are removed (a file left behind is
// dropped by the next Open, its subscription being gone).
func (t *Topic) removeOthers(keep *subscription) error {
	var gone []*subscription
	for _, s := range t.subs {
		if s != keep {
			gone = append(gone, s)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	slices.SortFunc(gone, func(a, b *subscription) int { return strings.Compare(a.Endpoint, b.Endpoint) })

	var moving []*delivery
	for _, s := range gone {
		for _, d := range s.undone() {
			if d.msg.Type == sns.TypeNotification {
				moving = append(moving, d)
			}
		}
	}
	slices.SortFunc(moving, func(a, b *delivery) int { return cmpUint(a.seq, b.seq) })
	for _, d := range moving {
		m := *d.msg
		m.UnsubscribeURL = t.unsubscribeURL(keep.ARN) // unsigned: the signature stays valid
		if err := t.queue(keep, &m, d.duplicate); err != nil {
			return err
		}
	}

	for _, s := range gone {
		delete(t.subs, s.Endpoint)
	}
	if err := t.saveSubscriptions(); err != nil {
		for _, s := range gone {
			t.subs[s.Endpoint] = s
		}
		return err
	}
	endpoints := make([]string, 0, len(gone))
	forgotten := 0
	for _, s := range gone {
		endpoints = append(endpoints, s.Endpoint)
		forgotten += t.drop(s)
	}
	t.log.Warn("localsns: removed the subscriptions of endpoints no longer served; their undone notifications go to the new endpoint",
		slog.Any("removed", endpoints), slog.String("endpoint", keep.Endpoint),
		slog.Int("moved", len(moving)), slog.Int("dropped", forgotten-len(moving)))
	return nil
}

// drop stops a subscription already removed from Topic.subs and forgets
// every delivery still due to it; it returns how many it forgot.
// Topic.mu must be held.
func (t *Topic) drop(sub *subscription) int {
	sub.removed = true
	sub.stop()
	undone := sub.undone()
	for _, d := range undone {
		t.forget(d)
	}
	sub.queue, sub.held = nil, nil
	return len(undone)
}

// undone lists the deliveries not yet made to s: queued, held and in
// flight. Topic.mu must be held.
func (s *subscription) undone() []*delivery {
	all := slices.Concat(s.queue, s.held)
	if s.inflight != nil {
		all = append(all, s.inflight)
	}
	return all
}
