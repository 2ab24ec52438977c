package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/internal/ids"
	"transcoder/app/jobs"
)

// Bounds of an invite the operator makes.
const (
	inviteDefaultTTL  = 7 * 24 * time.Hour
	inviteMaxTTL      = 90 * 24 * time.Hour
	inviteMaxUses     = 1000
	inviteCheckPeriod = 30 * time.Second
)

type inviteRequest struct {
	// Owner is whose session the invite gives; empty makes a new owner.
	Owner string `json:"owner"`
	// ExpiresIn is a Go duration (168h); empty means a week.
	ExpiresIn string `json:"expiresIn"`
	// Uses is how many browsers may open it; zero means one.
	Uses int `json:"uses"`
}

// inviteView is an invite as the operator sees it, with the link to hand
// out.
type inviteView struct {
	jobs.Invite
	Revoked bool   `json:"revoked"`
	Link    string `json:"link"`
}

// handleCreateInvite makes an invite (the operator only) and answers its
// link: opening it gives a browser a session for the invite's owner.
func (s *Server) handleCreateInvite() gin.HandlerFunc {
	return func(c *gin.Context) {
		var req inviteRequest
		if !decode(c, &req) {
			return
		}
		inv := jobs.Invite{ID: ids.Prefixed("i"), Owner: req.Owner, Uses: req.Uses, CreatedAt: time.Now().UTC()}
		if inv.Owner == "" {
			inv.Owner = inv.ID
		} else if err := jobs.CheckOwnerName(inv.Owner); err != nil {
			badRequest(c, "owner: %v", err)
			return
		}
		if inv.Uses == 0 {
			inv.Uses = 1
		}
		if inv.Uses < 1 || inv.Uses > inviteMaxUses {
			badRequest(c, "uses: %d is not a number from 1 to %d", req.Uses, inviteMaxUses)
			return
		}
		ttl := inviteDefaultTTL
		if req.ExpiresIn != "" {
			d, err := time.ParseDuration(req.ExpiresIn)
			if err != nil || d < time.Minute || d > inviteMaxTTL {
				badRequest(c, "expiresIn: %q is not a Go duration from 1m to %s (for example 168h for a week)", req.ExpiresIn, inviteMaxTTL)
				return
			}
			ttl = d
		}
		inv.ExpiresAt = inv.CreatedAt.Add(ttl)
		if err := s.deps.Invites.CreateInvite(c.Request.Context(), inv); err != nil {
			s.unavailable(c, "storing the invite", err)
			return
		}
		s.deps.Logger.Info("invite created", "invite", inv.ID, "owner", inv.Owner, "uses", inv.Uses, "expires_at", inv.ExpiresAt)
		c.PureJSON(http.StatusCreated, s.inviteView(c, inv))
	}
}

// handleListInvites lists every invite, newest first (the operator only).
func (s *Server) handleListInvites() gin.HandlerFunc {
	return func(c *gin.Context) {
		list, err := s.deps.Invites.ListInvites(c.Request.Context())
		if err != nil {
			s.unavailable(c, "listing invites", err)
			return
		}
		views := make([]inviteView, len(list))
		for i, inv := range list {
			views[i] = s.inviteView(c, inv)
		}
		c.PureJSON(http.StatusOK, gin.H{"invites": views})
	}
}

// handleRevokeInvite revokes an invite (the operator only): it can no
// longer be opened, and the sessions it gave end within inviteCheckPeriod.
func (s *Server) handleRevokeInvite() gin.HandlerFunc {
	return func(c *gin.Context) {
		inv, err := s.deps.Invites.RevokeInvite(c.Request.Context(), c.Param("id"), time.Now().UTC())
		switch {
		case errors.Is(err, jobs.ErrNotFound):
			c.PureJSON(http.StatusNotFound, gin.H{"error": "no such invite"})
			return
		case err != nil:
			s.unavailable(c, "revoking the invite", err)
			return
		}
		s.invites.forget(inv.ID)
		s.deps.Logger.Info("invite revoked", "invite", inv.ID, "owner", inv.Owner)
		c.PureJSON(http.StatusOK, s.inviteView(c, inv))
	}
}

type redeemRequest struct {
	Invite string `json:"invite"`
}

// handleRedeemInvite opens a session with an invite's token: the page posts
// it from the link it was opened with. Like every cookie-changing request it
// must come from this site, so another site cannot sign a visitor into an
// owner of its choosing.
func (s *Server) handleRedeemInvite() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		if !sameOrigin(c.Request) {
			c.PureJSON(http.StatusForbidden, gin.H{"error": "this request came from another site"})
			return
		}
		var req redeemRequest
		if !decode(c, &req) {
			return
		}
		id, ok := s.inviteID(req.Invite)
		if !ok {
			unauthorized(c, "this invite link is not one this service made: check that it was copied whole, or ask its operator for a new one")
			return
		}
		inv, err := s.deps.Invites.RedeemInvite(c.Request.Context(), id, time.Now().UTC())
		switch {
		case errors.Is(err, jobs.ErrNotFound):
			unauthorized(c, "this invite link is not one this service knows: ask its operator for a new one")
			return
		case errors.Is(err, jobs.ErrInviteRevoked), errors.Is(err, jobs.ErrInviteExpired), errors.Is(err, jobs.ErrInviteUsedUp):
			unauthorized(c, "this invite link cannot be used: "+err.Error()+"; ask its operator for a new one")
			return
		case err != nil:
			s.unavailable(c, "opening the invite", err)
			return
		}
		sess := browserSession{owner: inv.Owner, invite: inv.ID}
		s.setSession(c, sess)
		s.deps.Logger.Info("invite opened", "invite", inv.ID, "owner", inv.Owner, "used", inv.Used, "uses", inv.Uses)
		c.PureJSON(http.StatusOK, s.sessionView(sess))
	}
}

// inviteToken is what an invite's link carries: its id, signed, so that
// guessing ids gets nowhere even before the store is asked.
func (s *Server) inviteToken(id string) string { return id + "." + s.mac("invite:"+id) }

// inviteID checks a token and returns its invite's id.
func (s *Server) inviteID(token string) (string, bool) {
	id, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 256 || subtle.ConstantTimeCompare([]byte(sig), []byte(s.mac("invite:"+id))) != 1 {
		return "", false
	}
	return id, true
}

func (s *Server) inviteView(c *gin.Context, inv jobs.Invite) inviteView {
	scheme := "http"
	if secureRequest(c.Request) {
		scheme = "https"
	}
	return inviteView{Invite: inv, Revoked: inv.Revoked(), Link: scheme + "://" + c.Request.Host + "/?invite=" + s.inviteToken(inv.ID)}
}

// inviteStands reports whether the invite a session was opened with still
// stands (it has not been revoked), asking the store at most once per
// inviteCheckPeriod per invite and process.
func (s *Server) inviteStands(ctx context.Context, id string) error {
	if revoked, ok := s.invites.cached(id); ok {
		if revoked {
			return errRevoked
		}
		return nil
	}
	if s.deps.Invites == nil {
		return errors.New(needInvite)
	}
	inv, err := s.deps.Invites.GetInvite(ctx, id)
	switch {
	case errors.Is(err, jobs.ErrNotFound):
		s.invites.put(id, true)
		return errRevoked
	case err != nil:
		return errors.New("checking your invite failed; try again")
	}
	s.invites.put(id, inv.Revoked())
	if inv.Revoked() {
		return errRevoked
	}
	return nil
}

var errRevoked = errors.New("the invite this browser signed in with was revoked: ask the service's operator for a new one")

// inviteCache remembers, for a short while, whether invites stand, so that a
// session costs the store one read per invite per period, not one a request.
type inviteCache struct {
	mu      sync.Mutex
	entries map[string]inviteEntry
}

type inviteEntry struct {
	revoked bool
	at      time.Time
}

const inviteCacheMax = 10000

func (ic *inviteCache) cached(id string) (revoked, ok bool) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	e, ok := ic.entries[id]
	if !ok || time.Since(e.at) > inviteCheckPeriod {
		return false, false
	}
	return e.revoked, true
}

func (ic *inviteCache) put(id string, revoked bool) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if ic.entries == nil || len(ic.entries) >= inviteCacheMax {
		ic.entries = map[string]inviteEntry{}
	}
	ic.entries[id] = inviteEntry{revoked: revoked, at: time.Now()}
}

func (ic *inviteCache) forget(id string) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	delete(ic.entries, id)
}
