package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/internal/ids"
	"transcoder/app/transcoding"
)

// identity is who a request comes from: the caller of the use cases, and
// how it signed in.
type identity struct {
	transcoding.Caller
	// session is true for a browser's cookie session, which state-changing
	// requests must back with the CSRF token.
	session bool
}

const (
	identityKey = "transcoder.identity"
	csrfHeader  = "X-CSRF-Token"
	// sessionMaxAge is how long a browser keeps its session.
	sessionMaxAge = 365 * 24 * time.Hour
)

// SignIn says who may get a browser session.
type SignIn string

// The sign-in modes (see config.SignIn).
const (
	SignInAnonymous SignIn = "anonymous"
	SignInInvite    SignIn = "invite"
)

// caller returns the identity the authentication middleware found.
func caller(c *gin.Context) identity {
	id, _ := c.Get(identityKey)
	who, _ := id.(identity)
	return who
}

// What each kind of route needs, said in its 401.
const (
	needOwner    = "sign in: open the page to get a session, or send Authorization: Bearer <API key>"
	needInvite   = "this service is by invitation: open the invite link its operator gave you, or send Authorization: Bearer <API key>"
	needOperator = "this needs the operator's token: send Authorization: Bearer <API_TOKEN> (an API key or a browser session is not enough)"
)

// authenticate admits the operator's bearer token, an API client's key, or
// a browser's signed session cookie. A cookie-authenticated request that
// changes state must carry the session's CSRF token and, when the browser
// sends one, an Origin of this site: a form or script on another site can
// make the browser send the cookie, but can neither read the token nor fake
// the Origin.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if auth := c.GetHeader("Authorization"); auth != "" {
			got, ok := strings.CutPrefix(auth, "Bearer ")
			switch {
			case ok && s.isOperator(got):
				c.Set(identityKey, identity{Caller: transcoding.Caller{Operator: true}})
			case ok && s.deps.APIKeys[got] != "":
				c.Set(identityKey, identity{Caller: transcoding.Caller{Owner: s.deps.APIKeys[got]}})
			default:
				unauthorized(c, "the bearer token is neither an API key nor the operator's token: "+s.needs())
				return
			}
			c.Next()
			return
		}
		sess, err := s.session(c)
		if err != nil {
			unauthorized(c, err.Error())
			return
		}
		if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			if !sameOrigin(c.Request) {
				abortJSON(c, http.StatusForbidden, gin.H{"error": "this request came from another site"})
				return
			}
			if subtle.ConstantTimeCompare([]byte(c.GetHeader(csrfHeader)), []byte(s.csrfToken(sess.owner))) != 1 {
				abortJSON(c, http.StatusForbidden, gin.H{"error": "the " + csrfHeader + " header is missing or stale: reload the page"})
				return
			}
		}
		c.Set(identityKey, identity{Caller: transcoding.Caller{Owner: sess.owner}, session: true})
		c.Next()
	}
}

// needs says what a browser without a session must do to get one.
func (s *Server) needs() string {
	if s.deps.SignIn == SignInInvite {
		return needInvite
	}
	return needOwner
}

// requireOperator admits only the operator's bearer token.
func (s *Server) requireOperator() gin.HandlerFunc {
	return func(c *gin.Context) {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || !s.isOperator(got) {
			unauthorized(c, needOperator)
			return
		}
		c.Next()
	}
}

// isOperator reports, in constant time, whether a bearer token is the
// operator's.
func (s *Server) isOperator(token string) bool {
	return s.deps.APIToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.deps.APIToken)) == 1
}

func unauthorized(c *gin.Context, why string) {
	c.Header("WWW-Authenticate", `Bearer realm="transcoder"`)
	abortJSON(c, http.StatusUnauthorized, gin.H{"error": why})
}

// browserSession is what a valid session cookie says.
type browserSession struct {
	owner string
	// invite is the invite the session was opened with; empty for an
	// anonymous session.
	invite string
}

// sessionCookie names the session cookie. Over HTTPS it carries the
// __Host- prefix, which the browser keeps to this exact host, with Path=/
// and Secure, so that no other site (a sibling subdomain) can set it. Over
// plain HTTP (on one machine) the prefix is not allowed everywhere; the
// name then carries the port, so that services on other ports of the same
// host do not clobber each other's sessions, and session refuses a request
// that carries two (one tossed onto a narrower path by another page).
func sessionCookie(r *http.Request) (name string, secure bool) {
	if secureRequest(r) {
		return "__Host-transcoder_session", true
	}
	_, port, _ := net.SplitHostPort(r.Host)
	if port == "" {
		return "transcoder_session", false
	}
	return "transcoder_session_" + port, false
}

func secureRequest(r *http.Request) bool {
	return r.TLS != nil || r.URL.Scheme == "https" || r.Header.Get("X-Forwarded-Proto") == "https"
}

// errTwoSessions refuses a request whose cookies hold two sessions, rather
// than guessing which one is the browser's own.
var errTwoSessions = errors.New("this browser sent two session cookies (another page on this host set one): clear this site's cookies, then open the page again")

// session returns the request's valid session, or why it has none.
func (s *Server) session(c *gin.Context) (browserSession, error) {
	name, _ := sessionCookie(c.Request)
	var value string
	for _, ck := range c.Request.Cookies() {
		if ck.Name != name {
			continue
		}
		if value != "" && ck.Value != value {
			return browserSession{}, errTwoSessions
		}
		value = ck.Value
	}
	sess, ok := s.parseSession(value)
	if !ok {
		return browserSession{}, errors.New(s.needs())
	}
	switch {
	case sess.invite != "":
		if err := s.inviteStands(c.Request.Context(), sess.invite); err != nil {
			return browserSession{}, err
		}
	case s.deps.SignIn == SignInInvite:
		// An anonymous session from before the service went invite-only.
		return browserSession{}, errors.New(needInvite)
	}
	return sess, nil
}

// parseSession checks a session cookie's value: the owner and the invite,
// signed with the session secret.
func (s *Server) parseSession(v string) (browserSession, bool) {
	enc, sig, ok := strings.Cut(v, ".")
	if !ok {
		return browserSession{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || subtle.ConstantTimeCompare([]byte(sig), []byte(s.mac("session:"+string(raw)))) != 1 {
		return browserSession{}, false
	}
	owner, invite, _ := strings.Cut(string(raw), "\n")
	if owner == "" || invite == "" && !strings.HasPrefix(owner, "s-") {
		return browserSession{}, false
	}
	return browserSession{owner: owner, invite: invite}, true
}

// setSession gives the browser the session in a signed, HttpOnly, SameSite
// cookie.
func (s *Server) setSession(c *gin.Context, sess browserSession) {
	payload := sess.owner
	if sess.invite != "" {
		payload += "\n" + sess.invite
	}
	name, secure := sessionCookie(c.Request)
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     name,
		Value:    base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + s.mac("session:"+payload),
		Path:     "/",
		MaxAge:   int(sessionMaxAge.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// ensureSession returns the browser's session. In anonymous mode a browser
// without one gets a new owner; in invite mode it gets nothing, and ok is
// false.
func (s *Server) ensureSession(c *gin.Context) (browserSession, error) {
	sess, err := s.session(c)
	if err == nil || errors.Is(err, errTwoSessions) || s.deps.SignIn == SignInInvite {
		return sess, err
	}
	sess = browserSession{owner: ids.Prefixed("s-")}
	s.setSession(c, sess)
	return sess, nil
}

// csrfToken is the session's CSRF token: derived from the owner, so it needs
// no storage, and unguessable without the secret.
func (s *Server) csrfToken(owner string) string { return s.mac("csrf:" + owner) }

func (s *Server) mac(msg string) string {
	m := hmac.New(sha256.New, s.deps.SessionSecret)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sameOrigin reports whether the request's Origin, if the browser sent one,
// is this site.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// handleSession answers who the browser is and its CSRF token, starting an
// anonymous session if the service gives them and the browser has none. In
// invite mode a browser without a session is told how to get one (401,
// with signIn "invite", which the page explains).
func (s *Server) handleSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		sess, err := s.ensureSession(c)
		if err != nil {
			c.PureJSON(http.StatusUnauthorized, gin.H{"error": err.Error(), "signIn": s.deps.SignIn})
			return
		}
		c.PureJSON(http.StatusOK, s.sessionView(sess))
	}
}

func (s *Server) sessionView(sess browserSession) gin.H {
	return gin.H{"owner": sess.owner, "csrfToken": s.csrfToken(sess.owner), "signIn": s.deps.SignIn, "live": s.live()}
}
