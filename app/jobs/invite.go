package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Invite lets browsers sign in as one owner when the service admits only
// invited people (SIGN_IN=invite). The operator makes one with a number of
// uses and an expiry; each browser that opens its link redeems one use and
// gets a session for Owner. Revoking it ends those sessions too.
type Invite struct {
	// ID names the invite; the link carries it with a signature, so an id
	// alone is worth nothing.
	ID string `json:"id"`
	// Owner is whose session a redeemer gets.
	Owner string `json:"owner"`
	// Uses is how many browsers may redeem it; Used how many have.
	Uses int `json:"uses"`
	Used int `json:"used"`
	// ExpiresAt is when it can no longer be redeemed.
	ExpiresAt time.Time `json:"expiresAt"`
	CreatedAt time.Time `json:"createdAt"`
	// RevokedAt is when the operator revoked it; zero while it stands.
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

// Revoked reports whether the operator has revoked the invite.
func (i *Invite) Revoked() bool { return !i.RevokedAt.IsZero() }

// Usable reports why the invite cannot be redeemed at now, or nil.
func (i *Invite) Usable(now time.Time) error {
	switch {
	case i.Revoked():
		return ErrInviteRevoked
	case !now.Before(i.ExpiresAt):
		return ErrInviteExpired
	case i.Used >= i.Uses:
		return ErrInviteUsedUp
	}
	return nil
}

// Validate reports what makes the invite unfit to be created, or nil: it
// needs an id, an owner, at least one use (and no more used than it has),
// and its creation and expiry times.
func (i *Invite) Validate() error {
	switch {
	case i.ID == "":
		return errors.New("jobs: an invite needs an id")
	case i.Owner == "":
		return fmt.Errorf("jobs: invite %q needs the owner whose session its redeemers get", i.ID)
	case i.Uses < 1:
		return fmt.Errorf("jobs: invite %q allows %d uses: give it at least 1", i.ID, i.Uses)
	case i.Used < 0 || i.Used > i.Uses:
		return fmt.Errorf("jobs: invite %q is used %d times of %d: a count between 0 and its uses is needed", i.ID, i.Used, i.Uses)
	case i.CreatedAt.IsZero() || i.ExpiresAt.IsZero():
		return fmt.Errorf("jobs: invite %q needs both its creation and its expiry time", i.ID)
	}
	return nil
}

// Why an invite cannot be redeemed.
var (
	ErrInviteRevoked = errors.New("the invite was revoked")
	ErrInviteExpired = errors.New("the invite has expired")
	ErrInviteUsedUp  = errors.New("the invite has been used as many times as it allows")
	// ErrExists is returned when creating what already exists.
	ErrExists = errors.New("already exists")
)

// InviteStore keeps invites beside the jobs, in the same store. Every
// implementation passes the invite tests of package jobstest.
type InviteStore interface {
	// CreateInvite stores a new invite, or returns ErrExists for a taken id
	// (and an error for one that Validate refuses). Times come back from
	// the store in UTC, to the nanosecond.
	CreateInvite(ctx context.Context, inv Invite) error
	// GetInvite returns the invite, or ErrNotFound.
	GetInvite(ctx context.Context, id string) (Invite, error)
	// ListInvites returns every invite, newest first (by CreatedAt, then
	// ID), revoked and expired ones included. Invites are few, made by
	// hand: there is no paging.
	ListInvites(ctx context.Context) ([]Invite, error)
	// RevokeInvite revokes the invite at at (once: revoking again keeps the
	// first time) and returns it, or ErrNotFound.
	RevokeInvite(ctx context.Context, id string, at time.Time) (Invite, error)
	// RedeemInvite takes one use of the invite at now, in one conditional
	// write, so that concurrent redeemers never take more uses than it has.
	// It returns the invite as stored after, ErrNotFound, or the reason
	// Usable gives (ErrInviteRevoked, ErrInviteExpired, ErrInviteUsedUp).
	RedeemInvite(ctx context.Context, id string, now time.Time) (Invite, error)
}
