package s3_test

import (
	"errors"
	"strings"
	"testing"

	"transcoder/app/s3"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		name   string
		uri    string
		bucket string
		key    string
	}{
		{"a key at the bucket's root is parsed", "s3://media-in/clip.mov", "media-in", "clip.mov"},
		{"a key in folders keeps its folders", "s3://media-in/uploads/u1/x/clip.mov", "media-in", "uploads/u1/x/clip.mov"},
		{"a bucket name may hold periods and digits", "s3://my.media-2/a", "my.media-2", "a"},
		{"a key may hold spaces, unicode and URL characters", "s3://media-in/a b/é?x=1#y%20", "media-in", "a b/é?x=1#y%20"},
		{"a key may hold two periods inside a segment", "s3://media-in/a..b/c...mp4", "media-in", "a..b/c...mp4"},
		{"a key of 1024 bytes is accepted", "s3://media-in/" + strings.Repeat("k", 1024), "media-in", strings.Repeat("k", 1024)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket, key, err := s3.ParseURI(tt.uri)
			if err != nil || bucket != tt.bucket || key != tt.key {
				t.Fatalf("ParseURI(%q) = %q, %q, %v; want %q, %q", tt.uri, bucket, key, err, tt.bucket, tt.key)
			}
			if back := s3.URI(bucket, key); back != tt.uri {
				t.Fatalf("URI(%q, %q) = %q, want the URI parsed", bucket, key, back)
			}
		})
	}
}

func TestParseURIRefuses(t *testing.T) {
	tests := []struct {
		name   string
		uri    string
		reason string
	}{
		{"an empty string is refused", "", `does not start with "s3://"`},
		{"another scheme is refused", "https://media-in/a", `does not start with "s3://"`},
		{"an upper-case scheme is refused", "S3://media-in/a", `does not start with "s3://"`},
		{"a bucket without a key is refused", "s3://media-in", "has no key after the bucket"},
		{"an empty key is refused", "s3://media-in/", "key is empty"},
		{"an empty bucket is refused", "s3:///a", "bucket is empty"},
		{"a two-character bucket is refused", "s3://in/a", "bucket must be 3 to 63 characters long"},
		{"a 64-character bucket is refused", "s3://" + strings.Repeat("b", 64) + "/a", "bucket must be 3 to 63 characters long"},
		{"an upper-case bucket is refused", "s3://Media/a", "bucket may hold only lower-case letters, digits, '.' and '-'"},
		{"a bucket with an underscore is refused", "s3://media_in/a", "bucket may hold only lower-case letters, digits, '.' and '-'"},
		{"a bucket with a port is refused", "s3://media:9000/a", "bucket may hold only lower-case letters, digits, '.' and '-'"},
		{"a bucket beginning with a hyphen is refused", "s3://-media/a", "bucket must begin and end with a letter or digit"},
		{"a bucket ending with a period is refused", "s3://media./a", "bucket must begin and end with a letter or digit"},
		{"a bucket with adjacent periods is refused", "s3://me..dia/a", "bucket must not hold two adjacent periods"},
		{"a bucket formatted as an IP address is refused", "s3://192.168.1.1/a", "bucket must not be formatted as an IP address"},
		{"a bucket with a reserved prefix is refused", "s3://xn--media/a", `bucket must not begin with "xn--"`},
		{"a bucket with a reserved suffix is refused", "s3://media-s3alias/a", `bucket must not end with "-s3alias"`},
		{"a key of 1025 bytes is refused", "s3://media-in/" + strings.Repeat("k", 1025), "key is longer than 1024 bytes"},
		{"a key that is not UTF-8 is refused", "s3://media-in/a\xff", "key is not valid UTF-8"},
		{"a key with a NUL is refused", "s3://media-in/a\x00b", "key holds a control character"},
		{"a key with a newline is refused", "s3://media-in/a\nb", "key holds a control character"},
		{"a key starting with a slash is refused", "s3://media-in//a", "key has an empty path segment"},
		{"a key ending with a slash is refused", "s3://media-in/a/", "key has an empty path segment"},
		{"a key with a doubled slash is refused", "s3://media-in/a//b", "key has an empty path segment"},
		{"a key that is a parent segment is refused", "s3://media-in/..", `key has a ".." path segment`},
		{"a key climbing out of its folder is refused", "s3://media-in/uploads/../secret", `key has a ".." path segment`},
		{"a key with a current-folder segment is refused", "s3://media-in/a/./b", `key has a "." path segment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket, key, err := s3.ParseURI(tt.uri)
			var uerr *s3.URIError
			if !errors.As(err, &uerr) {
				t.Fatalf("ParseURI(%q) = %q, %q, %v; want a *URIError", tt.uri, bucket, key, err)
			}
			if uerr.URI != tt.uri || !strings.HasPrefix(uerr.Reason, tt.reason) {
				t.Fatalf("ParseURI(%q) refused %q for %q, want the reason %q", tt.uri, uerr.URI, uerr.Reason, tt.reason)
			}
			if !strings.Contains(err.Error(), uerr.Reason) {
				t.Fatalf("error %q does not say the reason %q", err, uerr.Reason)
			}
		})
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		name   string
		uri    string
		bucket string
		prefix string
	}{
		{"a bucket's root is the empty prefix", "s3://media-out/", "media-out", ""},
		{"a folder keeps its final slash", "s3://media-out/jobs/j1/", "media-out", "jobs/j1/"},
		{"a prefix as long as a key under it allows is accepted", "s3://media-out/" + strings.Repeat("k", 1022) + "/", "media-out", strings.Repeat("k", 1022) + "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket, prefix, err := s3.ParsePrefix(tt.uri)
			if err != nil || bucket != tt.bucket || prefix != tt.prefix {
				t.Fatalf("ParsePrefix(%q) = %q, %q, %v; want %q, %q", tt.uri, bucket, prefix, err, tt.bucket, tt.prefix)
			}
			if _, _, err := s3.ParseURI(tt.uri + "a"); err != nil {
				t.Fatalf("a key under the prefix is refused: %v", err)
			}
		})
	}
}

func TestParsePrefixRefuses(t *testing.T) {
	tests := []struct {
		name   string
		uri    string
		reason string
	}{
		{"an empty string is refused", "", `does not end with "/"`},
		{"an object's URI is refused", "s3://media-out/jobs/j1", `does not end with "/"`},
		{"a bucket without its slash is refused", "s3://media-out", `does not end with "/"`},
		{"another scheme is refused", "https://media-out/jobs/", `does not start with "s3://"`},
		{"an empty bucket is refused", "s3:///jobs/", "bucket is empty"},
		{"a two-character bucket is refused", "s3://ou/jobs/", "bucket must be 3 to 63 characters long"},
		{"a prefix starting with a slash is refused", "s3://media-out//jobs/", "prefix has an empty path segment"},
		{"a prefix with a doubled slash is refused", "s3://media-out/jobs//j1/", "prefix has an empty path segment"},
		{"a prefix climbing out of its folder is refused", "s3://media-out/jobs/../", `prefix has a ".." path segment`},
		{"a prefix with a control character is refused", "s3://media-out/jo\x00bs/", "prefix holds a control character"},
		{"a prefix leaving no room for a key is refused", "s3://media-out/" + strings.Repeat("k", 1023) + "/", "prefix leaves no room for a key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket, prefix, err := s3.ParsePrefix(tt.uri)
			var uerr *s3.URIError
			if !errors.As(err, &uerr) {
				t.Fatalf("ParsePrefix(%q) = %q, %q, %v; want a *URIError", tt.uri, bucket, prefix, err)
			}
			if uerr.URI != tt.uri || !strings.HasPrefix(uerr.Reason, tt.reason) {
				t.Fatalf("ParsePrefix(%q) refused %q for %q, want the reason %q", tt.uri, uerr.URI, uerr.Reason, tt.reason)
			}
		})
	}
}

func TestURIErrorQuotesWhatItCannotPrint(t *testing.T) {
	_, _, err := s3.ParseURI("s3://media-in/a\nFAKE LOG LINE")
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q should quote the newline of the URI", err)
	}
}
