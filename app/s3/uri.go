package s3

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scheme is the prefix of every object URI.
const scheme = "s3://"

// maxKeyBytes is S3's limit on the length of an object key, in bytes of UTF-8.
const maxKeyBytes = 1024

// URIError reports a string that is not an s3://bucket/key URI this package
// accepts. Jobs name their inputs and outputs by URI, and a URI that reaches
// S3 must name one object and nothing else, so the rules are strict.
type URIError struct {
	URI    string // the URI as given
	Reason string // the rule it breaks
}

func (e *URIError) Error() string { return "s3: invalid URI " + quote(e.URI) + ": " + e.Reason }

// URI formats bucket and key as s3://bucket/key, the form jobs store and
// ParseURI reads back. It checks nothing: a URI built from a bad bucket or key
// is refused where it is parsed.
func URI(bucket, key string) string { return scheme + bucket + "/" + key }

// ParseURI splits s3://bucket/key into its bucket and key. It refuses a
// bucket name that S3 would refuse (see BucketNameError) and a key that is
// empty, too long, not UTF-8, holds control characters, or has an empty, "."
// or ".." path segment: such keys either cannot be objects or are rewritten
// by URL normalisation on the way to S3, so they would silently name another
// object. The error is a *URIError that says which rule failed.
func ParseURI(uri string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(uri, scheme)
	if !ok {
		return "", "", &URIError{URI: uri, Reason: `does not start with "s3://"`}
	}
	bucket, key, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", &URIError{URI: uri, Reason: "has no key after the bucket"}
	}
	if reason := checkBucket(bucket); reason != "" {
		return "", "", &URIError{URI: uri, Reason: "bucket " + reason}
	}
	if reason := checkKey(key); reason != "" {
		return "", "", &URIError{URI: uri, Reason: "key " + reason}
	}
	return bucket, key, nil
}

// ParsePrefix splits s3://bucket/prefix/, a folder under which objects are
// written, into its bucket and key prefix: "" for the bucket's root, else
// ending in "/". ParseURI refuses such a URI, whose key ends in an empty
// segment; ParsePrefix holds the prefix to the rules of a key under it, so
// that prefix plus any name ParseURI takes as a key is one ParseURI takes
// too (within the length limit). The error is a *URIError that says which
// rule failed.
func ParsePrefix(uri string) (bucket, prefix string, err error) {
	if !strings.HasSuffix(uri, "/") {
		return "", "", &URIError{URI: uri, Reason: `does not end with "/": a prefix is a folder`}
	}
	rest, ok := strings.CutPrefix(uri, scheme)
	if !ok {
		return "", "", &URIError{URI: uri, Reason: `does not start with "s3://"`}
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if reason := checkBucket(bucket); reason != "" {
		return "", "", &URIError{URI: uri, Reason: "bucket " + reason}
	}
	if prefix == "" {
		return bucket, "", nil
	}
	if len(prefix) >= maxKeyBytes {
		return "", "", &URIError{URI: uri, Reason: "prefix leaves no room for a key within 1024 bytes"}
	}
	// The shortest key under the prefix breaks a rule exactly when the
	// prefix does.
	if reason := checkKey(prefix + "x"); reason != "" {
		return "", "", &URIError{URI: uri, Reason: "prefix " + reason}
	}
	return bucket, prefix, nil
}

// checkBucket returns why name is not a valid general purpose bucket name, or
// "" if it is one. The rules are S3's naming rules.
func checkBucket(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) < 3 || len(name) > 63:
		return "must be 3 to 63 characters long"
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return "may hold only lower-case letters, digits, '.' and '-'"
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return "must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") {
		return "must not hold two adjacent periods"
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return "must not be formatted as an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "must not begin with " + quote(p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return "must not end with " + quote(s)
		}
	}
	return ""
}

// checkKey returns why key cannot name an object, or "" if it can.
func checkKey(key string) string {
	switch {
	case key == "":
		return "is empty"
	case len(key) > maxKeyBytes:
		return "is longer than 1024 bytes"
	case !utf8.ValidString(key):
		return "is not valid UTF-8"
	case strings.IndexFunc(key, unicode.IsControl) >= 0:
		return "holds a control character"
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return "has an empty path segment (a leading, trailing or doubled '/')"
		case ".", "..":
			return "has a " + quote(seg) + " path segment"
		}
	}
	return ""
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// quote quotes s for an error message, escaping control characters and
// invalid UTF-8 so that a hostile name cannot garble a log line.
func quote(s string) string { return strconv.Quote(s) }
