package local_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"transcoder/app/s3/local"
)

const (
	inBucket  = "media-in"
	outBucket = "media-out"
	webApp    = "http://localhost:5173"
)

// start runs a server on loopback over dir (a new one if empty) and returns
// it with a client for it.
func start(t *testing.T, dir string) (*local.Server, *awss3.Client) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	srv, err := local.Start(context.Background(), local.Options{
		Dir:            dir,
		Addr:           "127.0.0.1:0",
		Buckets:        []string{inBucket, outBucket},
		AllowedOrigins: []string{webApp},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := srv.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return srv, client
}

func put(t *testing.T, c *awss3.Client, bucket, key, contentType string, body []byte) {
	t.Helper()
	_, err := c.PutObject(context.Background(), &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String(contentType),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, c *awss3.Client, bucket, key string) (body []byte, contentType string) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	body, err = io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, aws.ToString(out.ContentType)
}

func TestObjectsAndContentTypesSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	objects := []struct {
		bucket, key, contentType string
		body                     []byte
	}{
		{inBucket, "uploads/u1/up-1/clip.mov", "video/quicktime", bytes.Repeat([]byte("mov"), 100_000)},
		{outBucket, "jobs/j1/hls-1080p/master.m3u8", "application/vnd.apple.mpegurl", []byte("#EXTM3U\n")},
		{outBucket, "jobs/j1/aac-128k/clip.m4a", "audio/mp4", bytes.Repeat([]byte{0, 1, 2}, 5000)},
	}
	first, c := start(t, dir)
	for _, o := range objects {
		put(t, c, o.bucket, o.key, o.contentType, o.body)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, c := start(t, dir)
	if second.URL() == first.URL() {
		t.Logf("the second server got the first one's port, %s", second.URL())
	}
	for _, o := range objects {
		body, contentType := get(t, c, o.bucket, o.key)
		if !bytes.Equal(body, o.body) || contentType != o.contentType {
			t.Errorf("s3://%s/%s after a restart: %d bytes of %q, want %d bytes of %q",
				o.bucket, o.key, len(body), contentType, len(o.body), o.contentType)
		}
	}
}

func TestStartCreatesOnlyMissingBuckets(t *testing.T) {
	dir := t.TempDir()
	srv, c := start(t, dir)
	put(t, c, inBucket, "keep.txt", "text/plain", []byte("kept"))
	srv.Close()

	srv, err := local.Start(context.Background(), local.Options{Dir: dir, Buckets: []string{inBucket, "media-extra"}})
	if err != nil {
		t.Fatalf("starting over an existing bucket: %v", err)
	}
	defer srv.Close()
	c, _ = srv.Client(context.Background())
	out, err := c.ListBuckets(context.Background(), &awss3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if want := "media-extra media-in media-out"; strings.Join(names, " ") != want {
		t.Fatalf("buckets %v, want %s", names, want)
	}
	if body, _ := get(t, c, inBucket, "keep.txt"); string(body) != "kept" {
		t.Fatalf("the existing bucket lost its object: %q", body)
	}
}

func TestAPresignedURLWorksAndPointsAtTheServer(t *testing.T) {
	srv, c := start(t, "")
	p, err := awss3.NewPresignClient(c).PresignPutObject(context.Background(), &awss3.PutObjectInput{
		Bucket: aws.String(inBucket), Key: aws.String("uploads/u1/up-1/a.mov"), ContentType: aws.String("video/quicktime"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL() + "/" + inBucket + "/uploads/u1/up-1/a.mov?"; !strings.HasPrefix(p.URL, want) {
		t.Fatalf("presigned URL %s, want it to start with %s", p.URL, want)
	}
	req, _ := http.NewRequest(p.Method, p.URL, strings.NewReader("movie"))
	req.Header.Set("Content-Type", "video/quicktime")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT answered %s", resp.Status)
	}
	if body, ct := get(t, c, inBucket, "uploads/u1/up-1/a.mov"); string(body) != "movie" || ct != "video/quicktime" {
		t.Fatalf("stored %q as %q", body, ct)
	}
}

func TestAnExpiredPresignedURLIsRefused(t *testing.T) {
	_, c := start(t, "")
	put(t, c, outBucket, "a.mp4", "video/mp4", []byte("mp4"))
	in := &awss3.GetObjectInput{Bucket: aws.String(outBucket), Key: aws.String("a.mp4")}
	presign := awss3.NewPresignClient(c)
	tests := []struct {
		name   string
		ago    time.Duration // how long ago the link was handed out
		status int
	}{
		{"a link within its lifetime works", 0, http.StatusOK},
		{"a link past its lifetime is refused", time.Hour, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := presign.PresignGetObject(context.Background(), in, awss3.WithPresignExpires(time.Minute),
				func(o *awss3.PresignOptions) { o.Presigner = signedAgo{tt.ago, o.Presigner} })
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(p.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("answered %s (%s), want %d", resp.Status, body, tt.status)
			}
			if tt.status == http.StatusForbidden && !bytes.Contains(body, []byte("<Code>AccessDenied</Code><Message>Request has expired")) {
				t.Fatalf("refusal %s is not S3's AccessDenied for an expired request", body)
			}
		})
	}
}

func TestAnUploadCutShortLeavesNoObject(t *testing.T) {
	srv, c := start(t, "")
	p, err := awss3.NewPresignClient(c).PresignPutObject(context.Background(), &awss3.PutObjectInput{
		Bucket: aws.String(inBucket), Key: aws.String("uploads/u1/up-1/cut.mov"),
		ContentType: aws.String("video/quicktime"), ContentLength: aws.Int64(1000000),
	})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.URL)
	host := strings.TrimPrefix(srv.URL(), "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A browser tab closed part way through a 1 MB upload.
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: video/quicktime\r\nContent-Length: 1000000\r\n\r\n", u.RequestURI(), host)
	conn.Write(bytes.Repeat([]byte("x"), 64<<10))
	conn.(*net.TCPConn).CloseWrite()
	// The server answers once it has seen the body end; then it is done
	// with the upload.
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.StatusCode == http.StatusForbidden {
		t.Fatalf("the cut upload answered %s (%s), want the failure of a signed upload cut short", resp.Status, body)
	}

	_, err = c.HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String(inBucket), Key: aws.String("uploads/u1/up-1/cut.mov")})
	var notFound *types.NotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("head of the cut upload: %v, want NotFound", err)
	}
}

func TestStartRefusesUnsafeOrInvalidOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts local.Options
		want string
	}{
		{"no directory is refused", local.Options{Addr: "127.0.0.1:0"}, "Options.Dir is empty"},
		{"all interfaces are refused without AllowRemote", local.Options{Dir: dir, Addr: "0.0.0.0:0"}, "not a loopback address"},
		{"an address without a host is refused without AllowRemote", local.Options{Dir: dir, Addr: ":0"}, "not a loopback address"},
		{"a host name other than localhost is refused without AllowRemote", local.Options{Dir: dir, Addr: "example.com:8081"}, "not a loopback address"},
		{"an address without a port is refused", local.Options{Dir: dir, Addr: "127.0.0.1"}, "missing port"},
		{"an invalid bucket name is refused", local.Options{Dir: dir, Buckets: []string{"Media_In"}}, `bucket "Media_In"`},
		{"a wildcard origin is refused", local.Options{Dir: dir, AllowedOrigins: []string{"*"}}, "is a wildcard"},
		{"a wildcard subdomain origin is refused", local.Options{Dir: dir, AllowedOrigins: []string{"https://*.example.com"}}, "is a wildcard"},
		{"an origin with a trailing slash is refused", local.Options{Dir: dir, AllowedOrigins: []string{"http://localhost:5173/"}}, "is not scheme://host[:port]"},
		{"an origin without a scheme is refused", local.Options{Dir: dir, AllowedOrigins: []string{"localhost:5173"}}, "is not scheme://host[:port]"},
		{"an origin of another scheme is refused", local.Options{Dir: dir, AllowedOrigins: []string{"file://host"}}, "is not scheme://host[:port]"},
		{"a negative body limit is refused", local.Options{Dir: dir, MaxBodySize: -1}, "may not be negative"},
		{"a negative read timeout is refused", local.Options{Dir: dir, ReadTimeout: -time.Second}, "may not be negative"},
		{"a secret access key file that holds too short a secret is refused", local.Options{Dir: shortSecret(t)}, "delete it to have a new one made"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := local.Start(context.Background(), tt.opts)
			if err == nil {
				srv.Close()
				t.Fatalf("started on %s", srv.URL())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want one saying %q", err, tt.want)
			}
		})
	}
}

// shortSecret returns a data directory whose secret access key file holds
// too short a secret, as a file cut short or edited by hand would.
func shortSecret(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret-access-key"), []byte("local\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAllowRemoteListensOnAllInterfacesAndNamesLoopback(t *testing.T) {
	srv, err := local.Start(context.Background(), local.Options{Dir: t.TempDir(), Addr: "0.0.0.0:0", AllowRemote: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %s, want the loopback address", srv.URL())
	}
	c, _ := srv.Client(context.Background())
	if _, err := c.ListBuckets(context.Background(), &awss3.ListBucketsInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestAClosedServerGivesNoClient(t *testing.T) {
	srv, _ := start(t, "")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if _, err := srv.Client(context.Background()); !errors.Is(err, local.ErrClosed) {
		t.Fatalf("Client after Close: %v, want ErrClosed", err)
	}
	if _, err := http.Get(srv.URL()); err == nil {
		t.Fatal("the closed server still answers")
	}
}

func TestAnUploadThatStallsIsCutByTheReadTimeoutAndLeavesNoObject(t *testing.T) {
	ctx := context.Background()
	srv, err := local.Start(ctx, local.Options{Dir: t.TempDir(), Buckets: []string{inBucket}, ReadTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, _ := srv.Client(ctx)
	p, err := awss3.NewPresignClient(c).PresignPutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(inBucket), Key: aws.String("slow.mov"), ContentLength: aws.Int64(1000),
	})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.URL)
	host := strings.TrimPrefix(srv.URL(), "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A client that sends a tenth of its body and then nothing, for ever.
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n", u.RequestURI(), host)
	conn.Write(bytes.Repeat([]byte("x"), 100))
	conn.SetReadDeadline(time.Now().Add(time.Minute)) // only so that a broken server fails the test instead of hanging it
	if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("the stalled upload answered %s", resp.Status)
		}
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server still waited for the body a minute later")
	}
	_, err = c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(inBucket), Key: aws.String("slow.mov")})
	var notFound *types.NotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("head of the stalled upload: %v, want NotFound", err)
	}
}
