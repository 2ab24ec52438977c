package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"transcoder/app/jobs"
)

// identity is who a request comes from.
type identity struct {
	// owner owns what the caller creates and is all the caller sees.
	owner string
	// operator sees every owner's jobs (the API_TOKEN holder).
	operator bool
	// session is true for a browser's cookie session, which state-changing
	// requests must back with the CSRF token.
	session bool
}

const (
	identityKey   = "transcoder.identity"
	sessionCookie = "transcoder_session"
	csrfHeader    = "X-CSRF-Token"
	sessionMaxAge = 365 * 24 * time.Hour
)

// caller returns the identity the authentication middleware found.
func caller(c *gin.Context) identity {
	id, _ := c.Get(identityKey)
	who, _ := id.(identity)
	return who
}

// sees reports whether the caller may see j.
func (who identity) sees(j *jobs.Job) bool {
	return who.operator || who.owner != "" && j.Owner == who.owner
}

// ownerFolder is the caller's folder under uploads/. The operator's starts
// with an underscore, which no owner's name may.
func ownerFolder(who identity) string {
	if who.owner == "" {
		return "_operator"
	}
	return who.owner
}

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
				c.Set(identityKey, identity{operator: true})
			case ok && s.deps.APIKeys[got] != "":
				c.Set(identityKey, identity{owner: s.deps.APIKeys[got]})
			default:
				unauthorized(c)
				return
			}
			c.Next()
			return
		}
		owner, ok := s.session(c)
		if !ok {
			unauthorized(c)
			return
		}
		if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			if !sameOrigin(c.Request) {
				c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "this request came from another site"})
				return
			}
			if subtle.ConstantTimeCompare([]byte(c.GetHeader(csrfHeader)), []byte(s.csrfToken(owner))) != 1 {
				c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "the " + csrfHeader + " header is missing or stale: reload the page"})
				return
			}
		}
		c.Set(identityKey, identity{owner: owner, session: true})
		c.Next()
	}
}

// requireOperator admits only the operator's bearer token.
func (s *Server) requireOperator() gin.HandlerFunc {
	return func(c *gin.Context) {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || !s.isOperator(got) {
			unauthorized(c)
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

func unauthorized(c *gin.Context) {
	c.Header("WWW-Authenticate", `Bearer realm="transcoder"`)
	c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "sign in: open the page to get a session, or send Authorization: Bearer <API key>"})
}

// session returns the owner of the request's valid session cookie.
func (s *Server) session(c *gin.Context) (string, bool) {
	v, err := c.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	enc, sig, ok := strings.Cut(v, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	owner := string(raw)
	want := s.mac("session:" + owner)
	if !strings.HasPrefix(owner, "s-") || subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return "", false
	}
	return owner, true
}

// ensureSession gives a browser without a valid session a new anonymous
// owner in a signed, HttpOnly, SameSite cookie, and returns the owner.
func (s *Server) ensureSession(c *gin.Context) string {
	if owner, ok := s.session(c); ok {
		return owner
	}
	b := make([]byte, 15)
	rand.Read(b)
	owner := "s-" + strings.ToLower(base32.StdEncoding.EncodeToString(b))
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     sessionCookie,
		Value:    base64.RawURLEncoding.EncodeToString([]byte(owner)) + "." + s.mac("session:"+owner),
		Path:     "/",
		MaxAge:   int(sessionMaxAge.Seconds()),
		HttpOnly: true,
		Secure:   c.Request.TLS != nil || c.Request.URL.Scheme == "https" || c.GetHeader("X-Forwarded-Proto") == "https",
		SameSite: http.SameSiteLaxMode,
	})
	return owner
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

// handleSession answers who the browser is and its CSRF token, starting a
// session if it has none.
func (s *Server) handleSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		owner := s.ensureSession(c)
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, gin.H{"owner": owner, "csrfToken": s.csrfToken(owner)})
	}
}
