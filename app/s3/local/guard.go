package local

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// guard is what every request passes before gofakes3 sees it, since
// gofakes3 itself checks nothing: browser form uploads are refused, the
// request must carry a valid Signature Version 4 by the server's own
// credentials (sigv4.go), its body may not exceed maxBody nor differ from
// the SHA-256 it was signed with, and an object read is answered as a
// download that no browser renders as a page.
type guard struct {
	creds   keyPair
	region  string
	maxBody int64
	now     func() time.Time
	next    http.Handler
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if isFormPost(r) {
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		s3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed",
			"browser form uploads (POST of multipart/form-data, application/x-www-form-urlencoded or text/plain) are refused by the local server: upload with the presigned PUT that POST /uploads answers")
		return
	}
	payloadHash, err := verifyRequest(r, g.creds, g.region, g.now())
	if err != nil {
		s3Error(w, err.Status, err.Code, err.Message)
		return
	}
	if r.ContentLength > g.maxBody {
		s3Error(w, http.StatusRequestEntityTooLarge, "EntityTooLarge",
			fmt.Sprintf("the body of %d bytes is over the local server's limit of %d bytes (Options.MaxBodySize): use a multipart upload", r.ContentLength, g.maxBody))
		return
	}
	if r.ContentLength == 0 && payloadHash != unsignedBody && payloadHash != emptyBodySHA {
		s3Error(w, http.StatusBadRequest, "XAmzContentSHA256Mismatch",
			"The provided 'x-amz-content-sha256' header does not match what was computed: the body is empty, whose SHA-256 is "+emptyBodySHA)
		return
	}
	body := &checkedBody{inner: r.Body, max: g.maxBody}
	if payloadHash != unsignedBody {
		body.want, _ = hex.DecodeString(payloadHash)
		body.hash = sha256.New()
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = body
	}
	gw := &guardWriter{ResponseWriter: w, body: body, download: isObjectRead(r)}
	g.next.ServeHTTP(gw, r)
	gw.finish()
}

// isFormPost reports whether r is what an HTML form can send across sites
// without a CORS preflight: a POST of a form encoding. S3 would take such a
// POST as a browser upload with a signed policy; the local server never
// does.
func isFormPost(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type")))
	}
	return mt == "multipart/form-data" || mt == "application/x-www-form-urlencoded" || mt == "text/plain"
}

// isObjectRead reports whether r reads an object: a GET or HEAD of
// /bucket/key.
func isObjectRead(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return key != ""
}

// checkedBody is a request body that fails once more than max bytes have
// been read, or at its end when want is set and the bytes read do not hash
// to it. The first failure is kept for guardWriter to answer with, in place
// of whatever error gofakes3 makes of the failed read; the spool backend
// stores nothing when a read fails.
type checkedBody struct {
	inner io.ReadCloser
	max   int64
	n     int64
	want  []byte
	hash  hash.Hash

	mu     sync.Mutex
	failed *authError
}

func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.inner.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return 0, b.fail(&authError{http.StatusRequestEntityTooLarge, "EntityTooLarge",
			fmt.Sprintf("the body is over the local server's limit of %d bytes (Options.MaxBodySize): use a multipart upload", b.max)})
	}
	if b.hash != nil {
		b.hash.Write(p[:n])
		if err == io.EOF {
			if sum := b.hash.Sum(nil); !bytes.Equal(sum, b.want) {
				return n, b.fail(&authError{http.StatusBadRequest, "XAmzContentSHA256Mismatch",
					fmt.Sprintf("The provided 'x-amz-content-sha256' header does not match what was computed: signed %x, the body's is %x", b.want, sum)})
			}
		}
	}
	return n, err
}

func (b *checkedBody) Close() error { return b.inner.Close() }

func (b *checkedBody) fail(err *authError) *authError {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed == nil {
		b.failed = err
	}
	return b.failed
}

func (b *checkedBody) failure() *authError {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failed
}

// guardWriter answers with the body's failure, if reading the body failed,
// instead of what gofakes3 answers; and it turns the answer to an object
// read into a download: Content-Disposition attachment (keeping the file
// name asked for), and a sandbox that runs nothing should a browser show it
// anyway.
type guardWriter struct {
	http.ResponseWriter
	body     *checkedBody
	download bool
	wrote    bool
	swallow  bool // the failure was answered: drop what gofakes3 writes
}

func (w *guardWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if err := w.body.failure(); err != nil {
		w.swallow = true
		for name := range w.Header() {
			if name != "X-Content-Type-Options" && !strings.HasPrefix(name, "Access-Control-") && name != "Vary" {
				w.Header().Del(name)
			}
		}
		s3Error(w.ResponseWriter, err.Status, err.Code, err.Message)
		return
	}
	if w.download && code >= 200 && code < 300 {
		h := w.Header()
		h.Set("Content-Disposition", attachment(h.Get("Content-Disposition")))
		h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *guardWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// finish sends the header if the handler wrote nothing, as net/http would,
// so that the download headers or the body's failure still apply.
func (w *guardWriter) finish() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *guardWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// attachment returns the Content-Disposition of a download: attachment,
// with the file name of disposition (the object's own, or the one the
// presigned URL asked for with response-content-disposition) if it has one.
func attachment(disposition string) string {
	_, params, err := mime.ParseMediaType(disposition)
	if err != nil || params["filename"] == "" {
		return "attachment"
	}
	if d := mime.FormatMediaType("attachment", map[string]string{"filename": params["filename"]}); d != "" {
		return d
	}
	return "attachment"
}

// s3Error answers with an S3 error document, which the SDK decodes.
func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: code, Message: message})
}
