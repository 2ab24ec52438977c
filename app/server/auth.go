package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"transcoder/app/jobs"
)

// identity is who a request comes from.
type identity struct {
	// owner owns what the caller creates and is all the caller sees.
	owner string
	// operator sees every owner's jobs (the API_TOKEN holder).
	operator bool
}

const identityKey = "transcoder.identity"

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

// ownerFolder is the caller's folder under uploads/.
func ownerFolder(who identity) string {
	if who.owner == "" {
		return "operator"
	}
	return who.owner
}

// requireToken admits requests that carry the operator's bearer token.
func (s *Server) requireToken() gin.HandlerFunc {
	want := []byte(s.deps.APIToken)
	return func(c *gin.Context) {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || len(want) == 0 || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="transcoder"`)
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "send Authorization: Bearer <API_TOKEN>"})
			return
		}
		c.Set(identityKey, identity{operator: true})
		c.Next()
	}
}
