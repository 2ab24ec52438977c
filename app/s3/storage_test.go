package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"transcoder/app/s3"
	"transcoder/app/s3/local"
)

const (
	inBucket  = "media-in"
	outBucket = "media-out"
)

// newStorage returns a Storage over a real local S3 server on loopback.
func newStorage(t *testing.T) *s3.Storage {
	t.Helper()
	ctx := context.Background()
	srv, err := local.Start(ctx, local.Options{Dir: t.TempDir(), Addr: "127.0.0.1:0", Buckets: []string{inBucket, outBucket}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	client, err := srv.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s3.New(client, inBucket, outBucket)
}

// send does what a browser does with a presigned request: sends body to its
// URL with exactly its headers.
func send(t *testing.T, p *s3.Presigned, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range p.Headers {
		req.Header.Set(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// media returns n bytes that are the same on every run.
func media(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{'m', 'e', 'd', 'i', 'a'})
	r.Read(b)
	return b
}

func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func TestPresignedUploadLandsWithItsSizeAndContentType(t *testing.T) {
	ctx := context.Background()
	st := newStorage(t)
	key, err := s3.UploadKey("u1", "up-1", "Clip (final) é.mov")
	if err != nil {
		t.Fatal(err)
	}
	body := media(300 << 10)
	const ttl = 15 * time.Minute

	before := time.Now().Truncate(time.Second)
	p, err := st.PresignUpload(ctx, key, "video/quicktime", int64(len(body)), ttl)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()

	if p.Method != http.MethodPut {
		t.Errorf("method %q, want PUT", p.Method)
	}
	if want := map[string]string{"Content-Type": "video/quicktime"}; len(p.Headers) != 1 || p.Headers["Content-Type"] != want["Content-Type"] {
		t.Errorf("headers %v, want %v", p.Headers, want)
	}
	if p.ExpiresAt.Before(before.Add(ttl)) || p.ExpiresAt.After(after.Add(ttl)) {
		t.Errorf("expires at %v, want ttl after signing, between %v and %v", p.ExpiresAt, before.Add(ttl), after.Add(ttl))
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	for name := range u.Query() {
		// A browser cannot send the checksum of a body the SDK never saw:
		// S3 would refuse the upload if the URL demanded one.
		if n := strings.ToLower(name); strings.HasPrefix(n, "x-amz-checksum-") || n == "x-amz-sdk-checksum-algorithm" {
			t.Errorf("the presigned URL demands a checksum: %s", name)
		}
	}

	if resp := send(t, p, body); resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT answered %s", resp.Status)
	}
	obj, err := st.Head(ctx, st.InputURI(key))
	if err != nil {
		t.Fatal(err)
	}
	want := s3.Object{Size: int64(len(body)), ContentType: "video/quicktime", ETag: md5hex(body)}
	if *obj != want {
		t.Fatalf("head %+v, want %+v", *obj, want)
	}
}

func TestPresignedUploadWithoutContentTypeSignsNoHeaderButItsLength(t *testing.T) {
	st := newStorage(t)
	p, err := st.PresignUpload(context.Background(), "uploads/u1/up-1/a.bin", "", 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Headers) != 0 {
		t.Fatalf("headers %v, want none", p.Headers)
	}
	if got := signedHeaders(t, p); got != "content-length;host" {
		t.Fatalf("signed headers %q, want content-length;host", got)
	}
	if resp := send(t, p, []byte("abc")); resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT answered %s", resp.Status)
	}
	obj, err := st.Head(context.Background(), st.InputURI("uploads/u1/up-1/a.bin"))
	if err != nil || obj.Size != 3 {
		t.Fatalf("head %+v, %v; want 3 bytes", obj, err)
	}
}

// signedHeaders returns the X-Amz-SignedHeaders of a presigned request.
func signedHeaders(t *testing.T, p *s3.Presigned) string {
	t.Helper()
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("X-Amz-SignedHeaders")
}

func TestAPresignedUploadSignsItsSizeSoStorageTakesNoOtherBody(t *testing.T) {
	ctx := context.Background()
	st := newStorage(t)
	const key = "uploads/u1/up-1/song.wav"
	body := media(10 << 10)
	p, err := st.PresignUpload(ctx, key, "audio/wav", int64(len(body)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := signedHeaders(t, p); got != "content-length;content-type;host" {
		t.Fatalf("signed headers %q, want content-length;content-type;host", got)
	}
	if _, ok := p.Headers["Content-Length"]; ok {
		t.Fatalf("headers %v hold Content-Length, which a browser may not set", p.Headers)
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		status      int
	}{
		{"a body one byte shorter than signed is refused", body[:len(body)-1], "audio/wav", http.StatusForbidden},
		{"a body one byte longer than signed is refused", append(append([]byte(nil), body...), 'x'), "audio/wav", http.StatusForbidden},
		{"a body of another content type than signed is refused", body, "text/html", http.StatusForbidden},
		{"the body of the signed size and type is stored", body, "audio/wav", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := *p
			q.Headers = map[string]string{"Content-Type": tt.contentType}
			if resp := send(t, &q, tt.body); resp.StatusCode != tt.status {
				t.Fatalf("presigned PUT of %d bytes of %s answered %s, want %d", len(tt.body), tt.contentType, resp.Status, tt.status)
			}
			obj, err := st.Head(ctx, st.InputURI(key))
			if tt.status != http.StatusOK {
				if !errors.Is(err, s3.ErrNotFound) {
					t.Fatalf("head after the refused upload: %+v, %v; want ErrNotFound", obj, err)
				}
				return
			}
			if err != nil || obj.Size != int64(len(body)) || obj.ETag != md5hex(body) {
				t.Fatalf("head %+v, %v; want the %d bytes signed for", obj, err, len(body))
			}
		})
	}
}

func TestPresignedDownloadSavesTheBytesAsAnAttachment(t *testing.T) {
	ctx := context.Background()
	st := newStorage(t)
	body := media(64 << 10)
	uri := st.OutputURI("jobs/j1/hls-1080p/clip.mp4")
	if err := st.Put(ctx, uri, bytes.NewReader(body), int64(len(body)), "video/mp4"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, filename, disposition string
	}{
		{"an empty file name stands for the key's base name", "", "attachment; filename=clip.mp4"},
		{"a file name with spaces is quoted", "My clip (1080p).mp4", `attachment; filename="My clip (1080p).mp4"`},
		{"a file name with a quote is escaped", `say "hi".mp4`, `attachment; filename="say \"hi\".mp4"`},
		{"a non-ASCII file name is encoded as RFC 2231 says", "été.mp4", "attachment; filename*=utf-8''%C3%A9t%C3%A9.mp4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			link, err := st.PresignDownload(ctx, uri, time.Hour, tt.filename)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
				t.Fatalf("GET answered %s with %d bytes, want 200 with the %d bytes put", resp.Status, len(got), len(body))
			}
			if d := resp.Header.Get("Content-Disposition"); d != tt.disposition {
				t.Fatalf("Content-Disposition %q, want %q", d, tt.disposition)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
				t.Fatalf("Content-Type %q, want the one put", ct)
			}
		})
	}
}

func TestPutAndGetStreamSeveralMegabytes(t *testing.T) {
	ctx := context.Background()
	st := newStorage(t)
	body := media(5<<20 + 123)
	uri := st.OutputURI("jobs/j1/aac-128k/clip.m4a")
	// A reader that cannot seek, as an engine's pipe: the client must send
	// it once, as it is read.
	r := struct{ io.Reader }{bytes.NewReader(body)}
	if err := st.Put(ctx, uri, r, int64(len(body)), "audio/mp4"); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := st.Get(ctx, uri, &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), body) {
		t.Fatalf("got %d bytes (md5 %s), want the %d put (md5 %s)", got.Len(), md5hex(got.Bytes()), len(body), md5hex(body))
	}
	obj, err := st.Head(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	if want := (s3.Object{Size: int64(len(body)), ContentType: "audio/mp4", ETag: md5hex(body)}); *obj != want {
		t.Fatalf("head %+v, want %+v", *obj, want)
	}
}

func TestPutOfAShortReaderFailsAndStoresNothing(t *testing.T) {
	ctx := context.Background()
	st := newStorage(t)
	uri := st.OutputURI("jobs/j1/short.mp4")
	if err := st.Put(ctx, uri, strings.NewReader("only this"), 1<<20, "video/mp4"); err == nil {
		t.Fatal("Put of 9 bytes announced as 1 MiB succeeded")
	}
	if _, err := st.Head(ctx, uri); !errors.Is(err, s3.ErrNotFound) {
		t.Fatalf("head after the failed put: %v, want ErrNotFound", err)
	}
}

func TestMissingObjectsAreNotFound(t *testing.T) {
	ctx := context.Background()
	st := newStorage(t)
	tests := []struct {
		name string
		uri  string
	}{
		{"a missing key in an existing bucket", st.InputURI("uploads/u1/up-1/none.mov")},
		{"a key in a missing bucket", "s3://no-such-bucket/a.mov"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is not found by Head", func(t *testing.T) {
			obj, err := st.Head(ctx, tt.uri)
			if !errors.Is(err, s3.ErrNotFound) {
				t.Fatalf("head = %+v, %v; want ErrNotFound", obj, err)
			}
		})
		t.Run(tt.name+" is not found by Get", func(t *testing.T) {
			var buf bytes.Buffer
			err := st.Get(ctx, tt.uri, &buf)
			if !errors.Is(err, s3.ErrNotFound) || buf.Len() != 0 {
				t.Fatalf("get = %d bytes, %v; want nothing and ErrNotFound", buf.Len(), err)
			}
		})
	}
}

func TestStorageRefusesBadArguments(t *testing.T) {
	ctx := context.Background()
	st := newStorage(t)
	good := st.OutputURI("jobs/j1/a.mp4")
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"an upload key with a parent segment is refused", func() error {
			_, err := st.PresignUpload(ctx, "uploads/../a.mov", "video/mp4", 1, time.Minute)
			return err
		}, `key has a ".." path segment`},
		{"an upload with a malformed content type is refused", func() error {
			_, err := st.PresignUpload(ctx, "uploads/u1/up-1/a.mov", "video/mp4\r\nX-Evil: 1", 1, time.Minute)
			return err
		}, "content type"},
		{"an upload valid for no time is refused", func() error {
			_, err := st.PresignUpload(ctx, "uploads/u1/up-1/a.mov", "video/mp4", 1, 0)
			return err
		}, "ttl 0s is not between"},
		{"an upload of no size is refused, as its length could not be signed", func() error {
			_, err := st.PresignUpload(ctx, "uploads/u1/up-1/a.mov", "video/mp4", 0, time.Minute)
			return err
		}, "size 0 is not more than zero"},
		{"an upload of a negative size is refused", func() error {
			_, err := st.PresignUpload(ctx, "uploads/u1/up-1/a.mov", "video/mp4", -5, time.Minute)
			return err
		}, "size -5 is not more than zero"},
		{"a download valid for more than seven days is refused", func() error {
			_, err := st.PresignDownload(ctx, good, s3.MaxPresignTTL+time.Second, "")
			return err
		}, "is not between"},
		{"a download saved under a path is refused", func() error {
			_, err := st.PresignDownload(ctx, good, time.Minute, "../a.mp4")
			return err
		}, "holds a '/'"},
		{"a download of a malformed URI is refused", func() error {
			_, err := st.PresignDownload(ctx, "s3://media-out", time.Minute, "")
			return err
		}, "has no key"},
		{"a head of a malformed URI is refused", func() error {
			_, err := st.Head(ctx, "s3://media-out/a/../b")
			return err
		}, `key has a ".." path segment`},
		{"a get of a malformed URI is refused", func() error {
			return st.Get(ctx, "/media-out/a", io.Discard)
		}, `does not start with "s3://"`},
		{"a put of a malformed URI is refused", func() error {
			return st.Put(ctx, "s3://Media/a", strings.NewReader(""), 0, "")
		}, "bucket may hold only"},
		{"a put of a negative size is refused", func() error {
			return st.Put(ctx, good, strings.NewReader(""), -1, "")
		}, "negative size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestStorageNamesItsBuckets(t *testing.T) {
	st := newStorage(t)
	if st.InputBucket() != inBucket || st.OutputBucket() != outBucket {
		t.Fatalf("buckets %q and %q, want %q and %q", st.InputBucket(), st.OutputBucket(), inBucket, outBucket)
	}
	if got := st.InputURI("uploads/u1/a.mov"); got != "s3://media-in/uploads/u1/a.mov" {
		t.Fatalf("InputURI = %q", got)
	}
	if got := st.OutputURI("jobs/j1/a.mp4"); got != "s3://media-out/jobs/j1/a.mp4" {
		t.Fatalf("OutputURI = %q", got)
	}
}
