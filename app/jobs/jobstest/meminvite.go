package jobstest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"transcoder/app/jobs"
)

// The reference store's invites and tallies: maps under the same lock as
// the jobs, which makes every call atomic.

var (
	_ jobs.InviteStore = (*MemStore)(nil)
	_ jobs.Tallies     = (*MemStore)(nil)
)

// locked runs fn with the data locked, unless the store is closed.
func (s *MemStore) locked(ctx context.Context, fn func(d *memData) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	return fn(s.data)
}

// CreateInvite is jobs.InviteStore's CreateInvite, kept in memory.
func (s *MemStore) CreateInvite(ctx context.Context, inv jobs.Invite) error {
	if err := inv.Validate(); err != nil {
		return err
	}
	return s.locked(ctx, func(d *memData) error {
		if _, ok := d.invites[inv.ID]; ok {
			return fmt.Errorf("memstore: invite %q: %w", inv.ID, jobs.ErrExists)
		}
		inv.CreatedAt, inv.ExpiresAt, inv.RevokedAt = utc(inv.CreatedAt), utc(inv.ExpiresAt), utc(inv.RevokedAt)
		d.invites[inv.ID] = inv
		return nil
	})
}

// utc is t as a store gives it back: UTC, without a monotonic reading.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

// GetInvite is jobs.InviteStore's GetInvite, kept in memory.
func (s *MemStore) GetInvite(ctx context.Context, id string) (inv jobs.Invite, err error) {
	err = s.locked(ctx, func(d *memData) error {
		var ok bool
		if inv, ok = d.invites[id]; !ok {
			return fmt.Errorf("memstore: invite %q: %w", id, jobs.ErrNotFound)
		}
		return nil
	})
	return inv, err
}

// ListInvites is jobs.InviteStore's ListInvites, kept in memory.
func (s *MemStore) ListInvites(ctx context.Context) (list []jobs.Invite, err error) {
	err = s.locked(ctx, func(d *memData) error {
		list = slices.SortedFunc(maps.Values(d.invites), func(a, b jobs.Invite) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
		})
		return nil
	})
	return list, err
}

// RevokeInvite is jobs.InviteStore's RevokeInvite, kept in memory.
func (s *MemStore) RevokeInvite(ctx context.Context, id string, at time.Time) (inv jobs.Invite, err error) {
	err = s.locked(ctx, func(d *memData) error {
		var ok bool
		if inv, ok = d.invites[id]; !ok {
			return fmt.Errorf("memstore: invite %q: %w", id, jobs.ErrNotFound)
		}
		if !inv.Revoked() {
			inv.RevokedAt = utc(at)
			d.invites[id] = inv
		}
		return nil
	})
	return inv, err
}

// RedeemInvite is jobs.InviteStore's RedeemInvite, kept in memory.
func (s *MemStore) RedeemInvite(ctx context.Context, id string, now time.Time) (inv jobs.Invite, err error) {
	err = s.locked(ctx, func(d *memData) error {
		var ok bool
		if inv, ok = d.invites[id]; !ok {
			return fmt.Errorf("memstore: invite %q: %w", id, jobs.ErrNotFound)
		}
		if err := inv.Usable(now); err != nil {
			return fmt.Errorf("memstore: invite %q: %w", id, err)
		}
		inv.Used++
		d.invites[id] = inv
		return nil
	})
	return inv, err
}

// Admit keeps no expiry: a reference store may keep a set for ever.
func (s *MemStore) Admit(ctx context.Context, key, member string, limit int, expires time.Time) (admitted bool, size int, err error) {
	if err := jobs.ValidateAdmit(key, member, limit); err != nil {
		return false, 0, err
	}
	err = s.locked(ctx, func(d *memData) error {
		set := d.tallies[key]
		if set == nil {
			set = map[string]bool{}
			d.tallies[key] = set
		}
		if set[member] || len(set) < limit {
			set[member] = true
			admitted = true
		}
		size = len(set)
		return nil
	})
	return admitted, size, err
}

// Release is jobs.Tallies's Release, kept in memory.
func (s *MemStore) Release(ctx context.Context, key, member string) error {
	if err := jobs.ValidateMember(key, member); err != nil {
		return err
	}
	return s.locked(ctx, func(d *memData) error {
		delete(d.tallies[key], member)
		return nil
	})
}

// Members is jobs.Tallies's Members, kept in memory.
func (s *MemStore) Members(ctx context.Context, key string) (members []string, err error) {
	err = s.locked(ctx, func(d *memData) error {
		members = slices.Collect(maps.Keys(d.tallies[key]))
		return nil
	})
	return members, err
}
