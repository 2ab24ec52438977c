package local

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file checks AWS Signature Version 4 as S3 does, for the one set of
// credentials the server hands its own client: in the Authorization header
// (what the SDK sends) or in the query string (a presigned URL). It knows
// nothing of gofakes3; guard.go puts it in front of it.

const (
	sigAlgorithm   = "AWS4-HMAC-SHA256"
	sigService     = "s3"
	sigTerminator  = "aws4_request"
	amzDateFormat  = "20060102T150405Z"
	unsignedBody   = "UNSIGNED-PAYLOAD"
	emptyBodySHA   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	maxClockSkew   = 15 * time.Minute
	maxPresignSecs = 7 * 24 * 60 * 60 // S3 refuses presigned URLs valid for longer
)

// keyPair is the one access key the server accepts.
type keyPair struct {
	AccessKeyID     string
	SecretAccessKey string
}

// authError is a refused request: the S3 error code and status to answer,
// and a message that says which rule failed and how to satisfy it.
type authError struct {
	Status  int
	Code    string
	Message string
}

func (e *authError) Error() string { return e.Code + ": " + e.Message }

func denied(format string, args ...any) *authError {
	return &authError{http.StatusForbidden, "AccessDenied", fmt.Sprintf(format, args...)}
}

func mismatch(format string, args ...any) *authError {
	return &authError{http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf(format, args...)}
}

func badQuery(format string, args ...any) *authError {
	return &authError{http.StatusBadRequest, "AuthorizationQueryParametersError", fmt.Sprintf(format, args...)}
}

func badHeader(format string, args ...any) *authError {
	return &authError{http.StatusBadRequest, "AuthorizationHeaderMalformed", fmt.Sprintf(format, args...)}
}

// signature is what a request claims about its signing, from either the
// Authorization header or the presigned query.
type signature struct {
	presigned     bool
	accessKey     string
	scopeDate     string // yyyymmdd
	region        string
	service       string
	terminator    string
	signedHeaders []string
	signature     string
	date          time.Time
	rawDate       string
	expires       time.Duration // presigned only
}

// verifyRequest checks r's signature against creds for region at time now.
// It returns the payload hash the request was signed with: UNSIGNED-PAYLOAD
// or the hex SHA-256 that the body must have, which the caller checks while
// the body streams (the body is not read here).
func verifyRequest(r *http.Request, creds keyPair, region string, now time.Time) (payloadHash string, err *authError) {
	query, qerr := url.ParseQuery(r.URL.RawQuery)
	if qerr != nil {
		return "", badQuery("the query string does not parse (%v): encode it as the AWS SDK does", qerr)
	}
	header := r.Header.Get("Authorization")
	presigned := query.Has("X-Amz-Algorithm") || query.Has("X-Amz-Signature") || query.Has("X-Amz-Credential")
	var sig *signature
	switch {
	case header != "" && presigned:
		return "", &authError{http.StatusBadRequest, "InvalidArgument",
			"the request is signed both in the Authorization header and in the query string: use one of the two"}
	case header != "":
		sig, err = parseAuthorization(header, r.Header.Get("X-Amz-Date"))
	case presigned:
		sig, err = parsePresigned(query)
	default:
		return "", denied("the request is not signed: sign it with Signature Version 4 and the local server's credentials (the client from Server.Client does), or use a presigned URL")
	}
	if err != nil {
		return "", err
	}

	if sig.accessKey != creds.AccessKeyID {
		return "", &authError{http.StatusForbidden, "InvalidAccessKeyId",
			fmt.Sprintf("the access key %q is not the local server's: sign with the credentials of the client from Server.Client", sig.accessKey)}
	}
	if sig.scopeDate != sig.rawDate[:8] {
		return "", mismatch("the credential scope's date %s is not the date of X-Amz-Date %s", sig.scopeDate, sig.rawDate)
	}
	if sig.region != region || sig.service != sigService || sig.terminator != sigTerminator {
		return "", mismatch("the credential scope %s/%s/%s is not %s/%s/%s", sig.region, sig.service, sig.terminator, region, sigService, sigTerminator)
	}
	if err := checkTime(sig, now); err != nil {
		return "", err
	}
	if err := checkSignedHeaders(r, sig); err != nil {
		return "", err
	}

	payloadHash, err = payloadHashOf(r, query, sig.presigned)
	if err != nil {
		return "", err
	}

	canonical := canonicalRequest(r, query, sig, payloadHash)
	want := signatureFor(creds.SecretAccessKey, sig, canonical)
	got, herr := hex.DecodeString(sig.signature)
	if herr != nil || !hmac.Equal(got, want) {
		return "", mismatch("the signature does not match the request: the method, path, query, signed headers or secret key differ from what was signed (%s %s, signed headers %s)",
			r.Method, canonicalURI(r.URL.Path), strings.Join(sig.signedHeaders, ";"))
	}
	return payloadHash, nil
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func parseAuthorization(header, amzDate string) (*signature, *authError) {
	algorithm, rest, _ := strings.Cut(header, " ")
	if algorithm != sigAlgorithm {
		return nil, badHeader("the Authorization header's algorithm %q is not %s: sign with Signature Version 4", algorithm, sigAlgorithm)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, badHeader("the Authorization header's part %q is not name=value", strings.TrimSpace(part))
		}
		fields[name] = value
	}
	for _, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[name] == "" {
			return nil, badHeader("the Authorization header has no %s", name)
		}
	}
	if amzDate == "" {
		return nil, denied("a header-signed request needs an X-Amz-Date header, signed with it")
	}
	sig := &signature{signature: fields["Signature"], rawDate: amzDate}
	if err := sig.parseCredential(fields["Credential"]); err != nil {
		return nil, badHeader("%s", err.Message)
	}
	if err := sig.parseSignedHeaders(fields["SignedHeaders"]); err != nil {
		return nil, badHeader("%s", err.Message)
	}
	date, perr := time.Parse(amzDateFormat, amzDate)
	if perr != nil {
		return nil, denied("X-Amz-Date %q is not yyyyMMddTHHmmssZ", amzDate)
	}
	sig.date = date
	return sig, nil
}

// parsePresigned reads the X-Amz-* parameters of a presigned URL.
func parsePresigned(q url.Values) (*signature, *authError) {
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if len(q[name]) != 1 || q.Get(name) == "" {
			return nil, badQuery("a presigned URL needs exactly one %s parameter: presign it with the AWS SDK", name)
		}
	}
	if a := q.Get("X-Amz-Algorithm"); a != sigAlgorithm {
		return nil, badQuery("X-Amz-Algorithm %q is not %s", a, sigAlgorithm)
	}
	sig := &signature{presigned: true, signature: q.Get("X-Amz-Signature"), rawDate: q.Get("X-Amz-Date")}
	if err := sig.parseCredential(q.Get("X-Amz-Credential")); err != nil {
		return nil, badQuery("%s", err.Message)
	}
	if err := sig.parseSignedHeaders(q.Get("X-Amz-SignedHeaders")); err != nil {
		return nil, badQuery("%s", err.Message)
	}
	date, perr := time.Parse(amzDateFormat, sig.rawDate)
	if perr != nil {
		return nil, badQuery("X-Amz-Date %q is not yyyyMMddTHHmmssZ", sig.rawDate)
	}
	sig.date = date
	secs, perr := strconv.Atoi(q.Get("X-Amz-Expires"))
	if perr != nil || secs <= 0 || secs > maxPresignSecs {
		return nil, badQuery("X-Amz-Expires %q is not a number of seconds between 1 and %d (seven days)", q.Get("X-Amz-Expires"), maxPresignSecs)
	}
	sig.expires = time.Duration(secs) * time.Second
	return sig, nil
}

// parseCredential reads ACCESSKEY/yyyymmdd/region/service/aws4_request.
func (s *signature) parseCredential(c string) *authError {
	parts := strings.Split(c, "/")
	if len(parts) != 5 {
		return &authError{Message: fmt.Sprintf("the credential %q is not ACCESS_KEY/yyyymmdd/region/s3/aws4_request", c)}
	}
	s.accessKey, s.scopeDate, s.region, s.service, s.terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	if len(s.rawDate) < 8 {
		return &authError{Message: fmt.Sprintf("X-Amz-Date %q is not yyyyMMddTHHmmssZ", s.rawDate)}
	}
	return nil
}

// parseSignedHeaders reads "host;x-amz-date", which must be lower case,
// sorted and without repeats, as the canonical request lists them, and
// must hold host.
func (s *signature) parseSignedHeaders(list string) *authError {
	names := strings.Split(list, ";")
	for i, n := range names {
		if n == "" || n != strings.ToLower(n) || (i > 0 && names[i-1] >= n) {
			return &authError{Message: fmt.Sprintf("the signed headers %q are not lower-case names, sorted, each once, separated by ';'", list)}
		}
	}
	if !slices.Contains(names, "host") {
		return &authError{Message: fmt.Sprintf("the signed headers %q do not hold host, which must be signed", list)}
	}
	s.signedHeaders = names
	return nil
}

// checkTime refuses a presigned URL outside X-Amz-Date..X-Amz-Date plus
// X-Amz-Expires, and a header-signed request whose X-Amz-Date is more than
// 15 minutes away from now.
func checkTime(sig *signature, now time.Time) *authError {
	if sig.presigned {
		if sig.date.After(now.Add(maxClockSkew)) {
			return denied("the presigned URL is not valid yet: it was signed for %s, more than %v from now (%s)", sig.rawDate, maxClockSkew, now.UTC().Format(amzDateFormat))
		}
		if expires := sig.date.Add(sig.expires); now.After(expires) {
			return &authError{http.StatusForbidden, "AccessDenied",
				fmt.Sprintf("Request has expired: the presigned URL signed at %s for %v expired at %s; ask for a new one", sig.rawDate, sig.expires, expires.UTC().Format(amzDateFormat))}
		}
		return nil
	}
	if skew := now.Sub(sig.date); skew > maxClockSkew || skew < -maxClockSkew {
		return &authError{http.StatusForbidden, "RequestTimeTooSkewed",
			fmt.Sprintf("X-Amz-Date %s is more than %v away from the server's time %s: sign the request just before sending it", sig.rawDate, maxClockSkew, now.UTC().Format(amzDateFormat))}
	}
	return nil
}

// checkSignedHeaders refuses a request missing a header that was signed, and
// one carrying an x-amz-* header that was not.
func checkSignedHeaders(r *http.Request, sig *signature) *authError {
	for _, name := range sig.signedHeaders {
		if name != "host" && len(r.Header.Values(name)) == 0 {
			return denied("the header %s was signed but the request does not carry it: send every header listed in SignedHeaders, with the value signed", name)
		}
	}
	var unsigned []string
	for name := range r.Header {
		if n := strings.ToLower(name); strings.HasPrefix(n, "x-amz-") && !slices.Contains(sig.signedHeaders, n) {
			unsigned = append(unsigned, n)
		}
	}
	if len(unsigned) > 0 {
		slices.Sort(unsigned)
		return denied("There were headers present in the request which were not signed: %s; sign them or leave them out", strings.Join(unsigned, ", "))
	}
	return nil
}

// payloadHashOf returns the payload hash the request is signed with: the
// X-Amz-Content-Sha256 header (required when signed in the header), or
// UNSIGNED-PAYLOAD for a presigned URL without one. Streaming (aws-chunked)
// payloads are refused: the server's own client never sends them.
func payloadHashOf(r *http.Request, q url.Values, presigned bool) (string, *authError) {
	h := r.Header.Get("X-Amz-Content-Sha256")
	if h == "" && presigned {
		h = q.Get("X-Amz-Content-Sha256")
	}
	switch {
	case h == "" && presigned:
		return unsignedBody, nil
	case h == "":
		return "", &authError{http.StatusBadRequest, "InvalidRequest",
			"Missing required header for this request: x-amz-content-sha256 (UNSIGNED-PAYLOAD or the body's hex SHA-256)"}
	case h == unsignedBody:
		return h, nil
	case strings.HasPrefix(h, "STREAMING-"):
		return "", &authError{http.StatusNotImplemented, "NotImplemented",
			fmt.Sprintf("x-amz-content-sha256 %s (aws-chunked) is not supported by the local server: send UNSIGNED-PAYLOAD or the body's hex SHA-256", h)}
	}
	if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size || h != strings.ToLower(h) {
		return "", &authError{http.StatusBadRequest, "InvalidArgument",
			fmt.Sprintf("x-amz-content-sha256 %q is neither UNSIGNED-PAYLOAD nor a lower-case hex SHA-256", h)}
	}
	return h, nil
}

// canonicalRequest builds the canonical request of Signature Version 4:
// method, path, query, signed headers with their values, and payload hash.
func canonicalRequest(r *http.Request, q url.Values, sig *signature, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL.Path))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(q))
	b.WriteByte('\n')
	for _, name := range sig.signedHeaders {
		values := []string{r.Host}
		if name != "host" {
			values = values[:0]
			for _, v := range r.Header.Values(name) {
				values = append(values, strings.Join(strings.Fields(v), " "))
			}
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strings.Join(values, ","))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(sig.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// signatureFor returns the HMAC that signs canonical under sig's scope.
func signatureFor(secret string, sig *signature, canonical string) []byte {
	sum := sha256.Sum256([]byte(canonical))
	scope := sig.scopeDate + "/" + sig.region + "/" + sig.service + "/" + sig.terminator
	toSign := sigAlgorithm + "\n" + sig.rawDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + secret)
	for _, part := range []string{sig.scopeDate, sig.region, sig.service, sig.terminator} {
		key = hmacSHA256(key, part)
	}
	return hmacSHA256(key, toSign)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalURI encodes a decoded path as S3 signs it: each byte but the
// unreserved ones and '/' as %XX, once.
func canonicalURI(path string) string {
	if path == "" {
		return "/"
	}
	return uriEncode(path, true)
}

// canonicalQuery encodes every parameter but X-Amz-Signature, sorted by
// name and then value.
func canonicalQuery(q url.Values) string {
	type pair struct{ name, value string }
	var pairs []pair
	for name, values := range q {
		if name == "X-Amz-Signature" {
			continue
		}
		for _, v := range values {
			pairs = append(pairs, pair{uriEncode(name, false), uriEncode(v, false)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// uriEncode is Signature Version 4's UriEncode: A-Z, a-z, 0-9, '-', '.',
// '_' and '~' as they are, '/' as it is if keepSlash, every other byte as
// %XX in upper-case hex.
func uriEncode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
