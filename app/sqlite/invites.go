package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"transcoder/app/jobs"
)

var _ jobs.InviteStore = (*Store)(nil)

// inviteColumns are the columns scanInvite reads, in its order.
const inviteColumns = `id, owner, uses, used, created_at, expires_at, revoked_at`

// CreateInvite stores a new invite, or returns an error wrapping
// jobs.ErrExists when its id is taken.
func (s *Store) CreateInvite(ctx context.Context, inv jobs.Invite) error {
	if err := inv.Validate(); err != nil {
		return fmt.Errorf("sqlite: refusing invite: %w", err)
	}
	created, ok1 := nanos(inv.CreatedAt)
	expires, ok2 := nanos(inv.ExpiresAt)
	revoked, ok3 := nanos(inv.RevokedAt)
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("sqlite: refusing invite %q: its times must fall between the years 1678 and 2262, which the database holds to the nanosecond", inv.ID)
	}
	return s.exec(ctx, fmt.Sprintf("create invite %q", inv.ID), func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO invites (`+inviteColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			inv.ID, inv.Owner, inv.Uses, inv.Used, created, expires, revoked)
		if err != nil {
			return fmt.Errorf("sqlite: write invite %q to %s: %w", inv.ID, s.path, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("sqlite: invite %q: %w", inv.ID, jobs.ErrExists)
		}
		return nil
	})
}

// GetInvite returns the invite, or an error wrapping jobs.ErrNotFound.
func (s *Store) GetInvite(ctx context.Context, id string) (jobs.Invite, error) {
	if !s.gate.Enter() {
		return jobs.Invite{}, ErrClosed
	}
	defer s.gate.Leave()
	inv, err := s.scanInvite(s.read.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invites WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return jobs.Invite{}, fmt.Errorf("sqlite: invite %q: %w", id, jobs.ErrNotFound)
	}
	return inv, err
}

// ListInvites returns every invite, newest first.
func (s *Store) ListInvites(ctx context.Context) ([]jobs.Invite, error) {
	if !s.gate.Enter() {
		return nil, ErrClosed
	}
	defer s.gate.Leave()
	rows, err := s.read.QueryContext(ctx, `SELECT `+inviteColumns+` FROM invites ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list invites in %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []jobs.Invite
	for rows.Next() {
		inv, err := s.scanInvite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list invites in %s: %w", s.path, err)
	}
	return out, nil
}

// RevokeInvite revokes the invite at at, unless it was revoked before, and
// returns it.
func (s *Store) RevokeInvite(ctx context.Context, id string, at time.Time) (jobs.Invite, error) {
	n, ok := nanos(at)
	if !ok || at.IsZero() {
		return jobs.Invite{}, fmt.Errorf("sqlite: revoke invite %q at %s: give a time between the years 1678 and 2262", id, at)
	}
	var inv jobs.Invite
	err := s.exec(ctx, fmt.Sprintf("revoke invite %q", id), func(tx *sql.Tx) error {
		var err error
		inv, err = s.scanInvite(tx.QueryRow(`UPDATE invites SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING `+inviteColumns, n, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: invite %q: %w", id, jobs.ErrNotFound)
		}
		return err
	})
	return inv, err
}

// RedeemInvite takes one use of the invite at now, in one conditional
// update, and returns it as stored after; when the invite cannot be
// redeemed, the error wraps the reason (jobs.ErrNotFound,
// jobs.ErrInviteRevoked, jobs.ErrInviteExpired, jobs.ErrInviteUsedUp).
func (s *Store) RedeemInvite(ctx context.Context, id string, now time.Time) (jobs.Invite, error) {
	n, ok := nanos(now)
	if !ok {
		return jobs.Invite{}, fmt.Errorf("sqlite: redeem invite %q at %s: give a time between the years 1678 and 2262", id, now)
	}
	var inv jobs.Invite
	err := s.exec(ctx, fmt.Sprintf("redeem invite %q", id), func(tx *sql.Tx) error {
		var err error
		inv, err = s.scanInvite(tx.QueryRow(`UPDATE invites SET used = used + 1
			WHERE id = ? AND revoked_at IS NULL AND expires_at > ? AND used < uses RETURNING `+inviteColumns, id, n))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Refused: say why, from the invite as it stands.
		inv, err = s.scanInvite(tx.QueryRow(`SELECT `+inviteColumns+` FROM invites WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: invite %q: %w", id, jobs.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if why := inv.Usable(now); why != nil {
			return fmt.Errorf("sqlite: invite %q: %w", id, why)
		}
		return fmt.Errorf("sqlite: invite %q was refused although it is usable: its stored times are corrupt; restore the database from a backup", id)
	})
	if err != nil {
		return jobs.Invite{}, err
	}
	return inv, nil
}

// scanInvite reads one row of inviteColumns.
func (s *Store) scanInvite(row interface{ Scan(...any) error }) (jobs.Invite, error) {
	var (
		inv              jobs.Invite
		created, expires int64
		revoked          sql.NullInt64
	)
	err := row.Scan(&inv.ID, &inv.Owner, &inv.Uses, &inv.Used, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return jobs.Invite{}, err
	}
	if err != nil {
		return jobs.Invite{}, fmt.Errorf("sqlite: read an invite from %s: %w", s.path, err)
	}
	inv.CreatedAt, inv.ExpiresAt = fromNanos(created), fromNanos(expires)
	if revoked.Valid {
		inv.RevokedAt = fromNanos(revoked.Int64)
	}
	return inv, nil
}

// nanos is t in Unix nanoseconds, NULL for the zero time; ok is false for a
// time the int64 cannot hold.
func nanos(t time.Time) (n sql.NullInt64, ok bool) {
	if t.IsZero() {
		return sql.NullInt64{}, true
	}
	u := t.UnixNano()
	return sql.NullInt64{Int64: u, Valid: true}, time.Unix(0, u).Equal(t)
}

// fromNanos is the UTC time of Unix nanoseconds n.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }
