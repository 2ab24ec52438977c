package local

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The one CORS rule of the local server: the rule the infrastructure puts on
// the input bucket, so that what works in a browser locally works on AWS.
var (
	corsMethods       = []string{http.MethodPut, http.MethodPost}
	corsHeaders       = []string{"content-type", "content-md5"} // and x-amz-*
	corsExposeHeaders = "ETag"                                  // multipart uploads echo it back
	corsMaxAge        = "3000"
)

// parseOrigins checks that every entry is a web origin, scheme://host[:port],
// and returns them as a set.
func parseOrigins(origins []string) (map[string]bool, error) {
	set := make(map[string]bool, len(origins))
	for _, o := range origins {
		if strings.Contains(o, "*") {
			return nil, fmt.Errorf("local s3: allowed origin %q is a wildcard, which would let any web page write to the buckets", o)
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("local s3: allowed origin %q is not scheme://host[:port] (http or https, no path, not even a trailing slash)", o)
		}
		set[o] = true
	}
	return set, nil
}

// withCORS answers CORS preflights for next by the local rule and puts the
// rule's headers on the answers to cross-origin requests that it allows,
// replacing gofakes3's own (which allow any origin).
func withCORS(origins map[string]bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			preflight(origins, w, r)
			return
		}
		cw := &corsWriter{ResponseWriter: w}
		if origin != "" && origins[origin] && slices.Contains(corsMethods, r.Method) {
			cw.origin = origin
		}
		next.ServeHTTP(cw, r)
		cw.setHeaders() // in case next wrote nothing and net/http sends the answer
	})
}

// preflight answers an OPTIONS preflight as S3 does: the rule's headers if
// the origin, the method and every requested header are allowed, else 403.
func preflight(origins map[string]bool, w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	var requested []string
	for _, line := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(line, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				requested = append(requested, name)
			}
		}
	}
	allowed := origins[origin] && slices.Contains(corsMethods, method)
	for _, name := range requested {
		allowed = allowed && (slices.Contains(corsHeaders, name) || strings.HasPrefix(name, "x-amz-"))
	}
	if !allowed {
		http.Error(w, "CORSResponse: This CORS request is not allowed.", http.StatusForbidden)
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", strings.Join(corsMethods, ", "))
	if len(requested) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	}
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusOK)
}

// corsWriter sets the CORS headers of an answer just before it is sent:
// those of the rule if origin is set, none otherwise.
type corsWriter struct {
	http.ResponseWriter
	origin string
	set    bool
}

func (w *corsWriter) setHeaders() {
	if w.set {
		return
	}
	w.set = true
	h := w.Header()
	for name := range h {
		if strings.HasPrefix(name, "Access-Control-") {
			delete(h, name)
		}
	}
	if w.origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", w.origin)
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	h.Add("Vary", "Origin")
}

func (w *corsWriter) WriteHeader(code int) {
	w.setHeaders()
	w.ResponseWriter.WriteHeader(code)
}

func (w *corsWriter) Write(b []byte) (int, error) {
	w.setHeaders()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *corsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
