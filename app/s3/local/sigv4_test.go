package local

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// The verifier is tested against requests signed by the AWS SDK's own
// signer and sent over loopback, so that what it accepts is what S3 clients
// really send.

var testKey = keyPair{AccessKeyID: "local", SecretAccessKey: "0123456789abcdef0123456789abcdef"}

// verdict is what the test server tells of a request: the S3 error code it
// was refused with and its message, or the payload hash it was accepted with.
type verdict struct {
	status      int
	code, msg   string
	payloadHash string
}

// verifier starts a loopback server that runs verifyRequest at now on every
// request and answers its verdict.
func verifier(t *testing.T, now time.Time) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, err := verifyRequest(r, testKey, Region, now)
		if err != nil {
			w.Header().Set("X-Code", err.Code)
			w.Header().Set("X-Message", err.Message)
			w.WriteHeader(err.Status)
			return
		}
		w.Header().Set("X-Payload-Hash", hash)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func ask(t *testing.T, req *http.Request) verdict {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return verdict{resp.StatusCode, resp.Header.Get("X-Code"), resp.Header.Get("X-Message"), resp.Header.Get("X-Payload-Hash")}
}

// signing says how a test request is signed.
type signing struct {
	key         keyPair
	region      string
	at          time.Time
	payloadHash string // the X-Amz-Content-Sha256 sent and signed; none if empty
}

func s3Signer() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// headerSigned returns a request of method to target with body and header,
// signed in its Authorization header as the SDK signs it.
func headerSigned(t *testing.T, s signing, method, target, body string, header http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for name, values := range header {
		req.Header[name] = values
	}
	if s.payloadHash != "" {
		req.Header.Set("X-Amz-Content-Sha256", s.payloadHash)
	}
	creds := aws.Credentials{AccessKeyID: s.key.AccessKeyID, SecretAccessKey: s.key.SecretAccessKey}
	if err := s3Signer().SignHTTP(context.Background(), creds, req, cmp.Or(s.payloadHash, emptyBodySHA), "s3", s.region, s.at); err != nil {
		t.Fatal(err)
	}
	return req
}

// presigned returns the presigned URL of method to target valid for
// expires, and the headers it was signed with.
func presigned(t *testing.T, s signing, method, target string, expires time.Duration, header http.Header) (string, http.Header) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
	u.RawQuery = q.Encode()
	req, err := http.NewRequest(method, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	if cl := header.Get("Content-Length"); cl != "" {
		// The SDK signs a request's length, not a Content-Length header.
		req.Header.Del("Content-Length")
		if req.ContentLength, err = strconv.ParseInt(cl, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	creds := aws.Credentials{AccessKeyID: s.key.AccessKeyID, SecretAccessKey: s.key.SecretAccessKey}
	signedURL, signedHeader, err := s3Signer().PresignHTTP(context.Background(), creds, req, unsignedBody, "s3", s.region, s.at)
	if err != nil {
		t.Fatal(err)
	}
	return signedURL, signedHeader
}

// send returns a request of method to rawURL with header and body, as a
// client holding a presigned URL sends it.
func send(t *testing.T, method, rawURL string, header http.Header, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for name, values := range header {
		if strings.EqualFold(name, "Host") || strings.EqualFold(name, "Content-Length") {
			continue
		}
		req.Header[name] = values
	}
	return req
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestVerifyRequest(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	srv := verifier(t, now)
	base := srv.URL + "/media-in/uploads/u1/up-1/clip.mov"
	good := signing{key: testKey, region: Region, at: now, payloadHash: emptyBodySHA}
	withPayload := func(s signing, h string) signing { s.payloadHash = h; return s }
	with := func(mutate func(*signing)) signing { s := good; mutate(&s); return s }
	media := http.Header{"Content-Type": {"video/quicktime"}}

	tests := []struct {
		name    string
		request func() *http.Request
		code    string // "" for accepted
		hash    string // the payload hash accepted with
		says    string // part of the refusal's message
	}{
		{"a GET signed in the header with the local key is accepted", func() *http.Request {
			return headerSigned(t, good, "GET", base, "", nil)
		}, "", emptyBodySHA, ""},
		{"a PUT signed with its body's SHA-256 is accepted, to be checked as the body streams", func() *http.Request {
			return headerSigned(t, withPayload(good, sha("movie")), "PUT", base, "movie", media)
		}, "", sha("movie"), ""},
		{"a PUT with an unsigned payload is accepted", func() *http.Request {
			return headerSigned(t, withPayload(good, unsignedBody), "PUT", base, "movie", media)
		}, "", unsignedBody, ""},
		{"a key with spaces, brackets and accents, as the SDK escapes it, is accepted", func() *http.Request {
			return headerSigned(t, good, "GET", srv.URL+"/media-in/"+httpbinding.EscapePath("uploads/u1/Clip (final) é+1.mov", false), "", nil)
		}, "", emptyBodySHA, ""},
		{"a query of several parameters, some repeated or empty, is accepted", func() *http.Request {
			return headerSigned(t, good, "GET", srv.URL+"/media-in?list-type=2&prefix=a%20b%2Fc&a-b=1&a=2&a=1&uploads", "", nil)
		}, "", emptyBodySHA, ""},
		{"a presigned GET within its lifetime is accepted", func() *http.Request {
			u, h := presigned(t, good, "GET", base, time.Hour, nil)
			return send(t, "GET", u, h, "")
		}, "", unsignedBody, ""},
		{"a presigned PUT with its signed content type and length is accepted", func() *http.Request {
			u, h := presigned(t, good, "PUT", base, time.Hour, http.Header{"Content-Type": {"video/quicktime"}, "Content-Length": {"5"}})
			return send(t, "PUT", u, h, "movie")
		}, "", unsignedBody, ""},

		{"an unsigned request is refused", func() *http.Request {
			req, _ := http.NewRequest("GET", base, nil)
			return req
		}, "AccessDenied", "", "not signed"},
		{"a tampered header signature is refused", func() *http.Request {
			req := headerSigned(t, good, "GET", base, "", nil)
			a := req.Header.Get("Authorization")
			req.Header.Set("Authorization", a[:len(a)-1]+flip(a[len(a)-1]))
			return req
		}, "SignatureDoesNotMatch", "", "does not match"},
		{"a tampered presigned signature is refused", func() *http.Request {
			u, h := presigned(t, good, "GET", base, time.Hour, nil)
			return send(t, "GET", u[:len(u)-1]+flip(u[len(u)-1]), h, "")
		}, "SignatureDoesNotMatch", "", "does not match"},
		{"a request signed with another secret key is refused", func() *http.Request {
			return headerSigned(t, with(func(s *signing) { s.key.SecretAccessKey = "another-secret" }), "GET", base, "", nil)
		}, "SignatureDoesNotMatch", "", "secret key"},
		{"a presigned URL of another access key is refused", func() *http.Request {
			u, h := presigned(t, with(func(s *signing) { s.key = keyPair{"AKIAEXAMPLE", "another-secret"} }), "GET", base, time.Hour, nil)
			return send(t, "GET", u, h, "")
		}, "InvalidAccessKeyId", "", `"AKIAEXAMPLE" is not the local server's`},
		{"another method than signed is refused", func() *http.Request {
			u, h := presigned(t, good, "GET", base, time.Hour, nil)
			return send(t, "DELETE", u, h, "")
		}, "SignatureDoesNotMatch", "", "DELETE"},
		{"another key than signed is refused", func() *http.Request {
			u, h := presigned(t, good, "GET", base, time.Hour, nil)
			return send(t, "GET", strings.Replace(u, "clip.mov", "other.mov", 1), h, "")
		}, "SignatureDoesNotMatch", "", "other.mov"},
		{"a header-signed request sent to another key is refused", func() *http.Request {
			req := headerSigned(t, good, "GET", base, "", nil)
			req.URL.Path = "/media-in/uploads/u2/up-1/clip.mov"
			return req
		}, "SignatureDoesNotMatch", "", "does not match"},
		{"a query parameter added after presigning is refused", func() *http.Request {
			u, h := presigned(t, good, "GET", base, time.Hour, nil)
			return send(t, "GET", u+"&response-content-type=text%2Fhtml", h, "")
		}, "SignatureDoesNotMatch", "", "does not match"},
		{"an expired presigned URL is refused", func() *http.Request {
			u, h := presigned(t, with(func(s *signing) { s.at = now.Add(-2 * time.Hour) }), "GET", base, time.Hour, nil)
			return send(t, "GET", u, h, "")
		}, "AccessDenied", "", "Request has expired"},
		{"a presigned URL signed in the future is refused", func() *http.Request {
			u, h := presigned(t, with(func(s *signing) { s.at = now.Add(time.Hour) }), "GET", base, time.Hour, nil)
			return send(t, "GET", u, h, "")
		}, "AccessDenied", "", "not valid yet"},
		{"a presigned URL valid for more than seven days is refused", func() *http.Request {
			u, h := presigned(t, good, "GET", base, 8*24*time.Hour, nil)
			return send(t, "GET", u, h, "")
		}, "AuthorizationQueryParametersError", "", "between 1 and 604800"},
		{"a header-signed request older than 15 minutes is refused", func() *http.Request {
			return headerSigned(t, with(func(s *signing) { s.at = now.Add(-16 * time.Minute) }), "GET", base, "", nil)
		}, "RequestTimeTooSkewed", "", "more than 15m0s away"},
		{"a header-signed request dated 16 minutes ahead is refused", func() *http.Request {
			return headerSigned(t, with(func(s *signing) { s.at = now.Add(16 * time.Minute) }), "GET", base, "", nil)
		}, "RequestTimeTooSkewed", "", "more than 15m0s away"},
		{"a request signed for another region is refused", func() *http.Request {
			return headerSigned(t, with(func(s *signing) { s.region = "eu-west-1" }), "GET", base, "", nil)
		}, "SignatureDoesNotMatch", "", "eu-west-1/s3/aws4_request is not us-east-1"},
		{"a presigned PUT sent with another content type than signed is refused", func() *http.Request {
			u, h := presigned(t, good, "PUT", base, time.Hour, http.Header{"Content-Type": {"video/quicktime"}, "Content-Length": {"5"}})
			h.Set("Content-Type", "text/html")
			return send(t, "PUT", u, h, "movie")
		}, "SignatureDoesNotMatch", "", "content-length;content-type;host"},
		{"a presigned PUT without its signed content type is refused", func() *http.Request {
			u, h := presigned(t, good, "PUT", base, time.Hour, http.Header{"Content-Type": {"video/quicktime"}, "Content-Length": {"5"}})
			h.Del("Content-Type")
			return send(t, "PUT", u, h, "movie")
		}, "AccessDenied", "", "content-type was signed but the request does not carry it"},
		{"a presigned PUT with a longer body than signed is refused", func() *http.Request {
			u, h := presigned(t, good, "PUT", base, time.Hour, http.Header{"Content-Type": {"video/quicktime"}, "Content-Length": {"5"}})
			return send(t, "PUT", u, h, "movie!")
		}, "SignatureDoesNotMatch", "", "does not match"},
		{"a presigned PUT with a shorter body than signed is refused", func() *http.Request {
			u, h := presigned(t, good, "PUT", base, time.Hour, http.Header{"Content-Type": {"video/quicktime"}, "Content-Length": {"5"}})
			return send(t, "PUT", u, h, "movi")
		}, "SignatureDoesNotMatch", "", "does not match"},
		{"an x-amz header that was not signed is refused", func() *http.Request {
			u, h := presigned(t, good, "PUT", base, time.Hour, http.Header{"Content-Length": {"5"}})
			req := send(t, "PUT", u, h, "movie")
			req.Header.Set("X-Amz-Meta-Owner", "mallory")
			return req
		}, "AccessDenied", "", "not signed: x-amz-meta-owner"},
		{"a header-signed request without x-amz-content-sha256 is refused", func() *http.Request {
			return headerSigned(t, withPayload(good, ""), "GET", base, "", nil)
		}, "InvalidRequest", "", "x-amz-content-sha256"},
		{"an aws-chunked payload is refused as not supported", func() *http.Request {
			return headerSigned(t, withPayload(good, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), "PUT", base, "movie", nil)
		}, "NotImplemented", "", "UNSIGNED-PAYLOAD or the body's hex SHA-256"},
		{"a payload hash that is not hex is refused", func() *http.Request {
			return headerSigned(t, withPayload(good, "sha256-of-the-body"), "PUT", base, "movie", nil)
		}, "InvalidArgument", "", "neither UNSIGNED-PAYLOAD nor"},
		{"a request signed both ways is refused", func() *http.Request {
			u, _ := presigned(t, good, "GET", base, time.Hour, nil)
			req := headerSigned(t, good, "GET", base, "", nil)
			signed, _ := url.Parse(u)
			req.URL.RawQuery = signed.RawQuery
			return req
		}, "InvalidArgument", "", "use one of the two"},
		{"another algorithm than AWS4-HMAC-SHA256 is refused", func() *http.Request {
			req := headerSigned(t, good, "GET", base, "", nil)
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
			return req
		}, "AuthorizationHeaderMalformed", "", "Signature Version 4"},
		{"signed headers that leave out host are refused", func() *http.Request {
			req := headerSigned(t, good, "GET", base, "", nil)
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "SignedHeaders=host;", "SignedHeaders=", 1))
			return req
		}, "AuthorizationHeaderMalformed", "", "do not hold host"},
		{"a presigned URL missing a parameter is refused", func() *http.Request {
			u, h := presigned(t, good, "GET", base, time.Hour, nil)
			parsed, _ := url.Parse(u)
			q := parsed.Query()
			q.Del("X-Amz-Date")
			parsed.RawQuery = q.Encode()
			return send(t, "GET", parsed.String(), h, "")
		}, "AuthorizationQueryParametersError", "", "X-Amz-Date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ask(t, tt.request())
			if tt.code == "" {
				if v.status != http.StatusOK || v.payloadHash != tt.hash {
					t.Fatalf("answered %d %s (%s) with payload hash %q, want it accepted with %q", v.status, v.code, v.msg, v.payloadHash, tt.hash)
				}
				return
			}
			if v.status != refusalStatus[tt.code] || v.code != tt.code || !strings.Contains(v.msg, tt.says) {
				t.Fatalf("answered %d %s (%s), want %d %s saying %q", v.status, v.code, v.msg, refusalStatus[tt.code], tt.code, tt.says)
			}
		})
	}
}

// refusalStatus is the HTTP status S3 answers each refusal with.
var refusalStatus = map[string]int{
	"AccessDenied":                      http.StatusForbidden,
	"SignatureDoesNotMatch":             http.StatusForbidden,
	"InvalidAccessKeyId":                http.StatusForbidden,
	"RequestTimeTooSkewed":              http.StatusForbidden,
	"AuthorizationQueryParametersError": http.StatusBadRequest,
	"AuthorizationHeaderMalformed":      http.StatusBadRequest,
	"InvalidRequest":                    http.StatusBadRequest,
	"InvalidArgument":                   http.StatusBadRequest,
	"NotImplemented":                    http.StatusNotImplemented,
}

// flip returns another hex digit than c.
func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestURIEncodeIsSignatureVersion4s(t *testing.T) {
	tests := []struct {
		name, in  string
		keepSlash bool
		want      string
	}{
		{"unreserved characters stay as they are", "AZaz09-._~", false, "AZaz09-._~"},
		{"a slash stays in a path", "a/b/c", true, "a/b/c"},
		{"a slash is escaped in a query value", "a/b", false, "a%2Fb"},
		{"a space is %20, never +", "a b", false, "a%20b"},
		{"a plus, an equals sign and an ampersand are escaped", "+=&", false, "%2B%3D%26"},
		{"a multi-byte character is escaped byte by byte in upper case", "é", true, "%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uriEncode(tt.in, tt.keepSlash); got != tt.want {
				t.Fatalf("uriEncode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// BenchmarkVerifyRequest measures what checking a header-signed GET costs
// the server on every request.
func BenchmarkVerifyRequest(b *testing.B) {
	now := time.Now().UTC()
	req := httptest.NewRequest("GET", "http://127.0.0.1:8081/media-out/jobs/j1/flac/song.flac?x-id=GetObject", nil)
	req.Header.Set("X-Amz-Content-Sha256", emptyBodySHA)
	creds := aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: testKey.SecretAccessKey}
	if err := s3Signer().SignHTTP(context.Background(), creds, req, emptyBodySHA, "s3", Region, now); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := verifyRequest(req, testKey, Region, now); err != nil {
			b.Fatal(err)
		}
	}
}
