package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// handlePage serves the page, giving a first-time browser its session.
func (s *Server) handlePage() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.ensureSession(c) //nolint:errcheck // the page explains a missing session itself
		index, err := fs.ReadFile(s.deps.Assets, "index.html")
		if err != nil {
			s.unavailable(c, "reading the page", err)
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Header("Content-Security-Policy", "default-src 'self'; connect-src 'self' http: https:; img-src 'self' data:; frame-ancestors 'none'")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Data(http.StatusOK, "text/html; charset=utf-8", index)
	}
}

// handleAsset serves the page's other files; anything else is not found.
func (s *Server) handleAsset() gin.HandlerFunc {
	files := http.FileServer(http.FS(s.deps.Assets))
	return func(c *gin.Context) {
		name := strings.TrimPrefix(path.Clean(c.Request.URL.Path), "/")
		if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead || name == "" || name == "index.html" {
			c.PureJSON(http.StatusNotFound, gin.H{"error": "not found"})
			return
		}
		if st, err := fs.Stat(s.deps.Assets, name); err != nil || st.IsDir() {
			c.PureJSON(http.StatusNotFound, gin.H{"error": "not found"})
			return
		}
		c.Header("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(c.Writer, c.Request)
	}
}
