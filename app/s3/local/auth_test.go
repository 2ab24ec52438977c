package local_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"transcoder/app/s3/local"
)

// signedAgo presigns as if the clock were ago behind: a link handed out
// that long ago.
type signedAgo struct {
	ago time.Duration
	awss3.HTTPPresignerV4
}

func (p signedAgo) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, at time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.HTTPPresignerV4.PresignHTTP(ctx, creds, r, payloadHash, service, region, at.Add(-p.ago), optFns...)
}

// do sends req and returns its status and body.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func request(t *testing.T, method, rawURL string, header http.Header, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for name, values := range header {
		if !strings.EqualFold(name, "Host") && !strings.EqualFold(name, "Content-Length") {
			req.Header[name] = values
		}
	}
	return req
}

// stored returns the object's bytes as the server's own client reads them,
// or nil if there is none.
func stored(t *testing.T, c *awss3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchKey" {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEveryRequestMustBeSignedWithTheServersCredentials(t *testing.T) {
	ctx := context.Background()
	srv, c := start(t, "")
	const key = "uploads/u1/up-1/song.wav"
	original := []byte("the owner's song")
	put(t, c, inBucket, key, "audio/wav", original)
	object := srv.URL() + "/" + inBucket + "/" + key
	presign := awss3.NewPresignClient(c)

	getURL, err := presign.PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(inBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	oldURL, err := presign.PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(inBucket), Key: aws.String(key)},
		awss3.WithPresignExpires(time.Hour), func(o *awss3.PresignOptions) { o.Presigner = signedAgo{2 * time.Hour, o.Presigner} })
	if err != nil {
		t.Fatal(err)
	}
	putURL, err := presign.PresignPutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(inBucket), Key: aws.String(key), ContentType: aws.String("audio/wav"), ContentLength: aws.Int64(9),
	})
	if err != nil {
		t.Fatal(err)
	}
	formBody, formType := multipartForm(t, key, "mallory's")

	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"an unsigned GET of an object is refused", func() *http.Request {
			return request(t, "GET", object, nil, nil)
		}, 403, "AccessDenied"},
		{"an unsigned listing of a bucket is refused", func() *http.Request {
			return request(t, "GET", srv.URL()+"/"+inBucket+"?list-type=2", nil, nil)
		}, 403, "AccessDenied"},
		{"an unsigned PUT over an object is refused", func() *http.Request {
			return request(t, "PUT", object, http.Header{"Content-Type": {"audio/wav"}}, []byte("mallory's"))
		}, 403, "AccessDenied"},
		{"an unsigned DELETE of an object is refused", func() *http.Request {
			return request(t, "DELETE", object, nil, nil)
		}, 403, "AccessDenied"},
		{"a presigned GET with a tampered signature is refused", func() *http.Request {
			return request(t, "GET", tamper(getURL.URL), nil, nil)
		}, 403, "SignatureDoesNotMatch"},
		{"a presigned GET sent as a DELETE is refused", func() *http.Request {
			return request(t, "DELETE", getURL.URL, nil, nil)
		}, 403, "SignatureDoesNotMatch"},
		{"a presigned GET sent for another key is refused", func() *http.Request {
			return request(t, "GET", strings.Replace(getURL.URL, "/up-1/", "/up-2/", 1), nil, nil)
		}, 403, "SignatureDoesNotMatch"},
		{"a presigned GET past its lifetime is refused", func() *http.Request {
			return request(t, "GET", oldURL.URL, nil, nil)
		}, 403, "AccessDenied"},
		{"a presigned PUT with another content type than signed is refused", func() *http.Request {
			return request(t, "PUT", putURL.URL, http.Header{"Content-Type": {"text/html"}}, []byte("mallory's"))
		}, 403, "SignatureDoesNotMatch"},
		{"a presigned PUT with a body longer than signed is refused", func() *http.Request {
			return request(t, "PUT", putURL.URL, putURL.SignedHeader, []byte("mallory's!"))
		}, 403, "SignatureDoesNotMatch"},
		{"a presigned PUT with a body shorter than signed is refused", func() *http.Request {
			return request(t, "PUT", putURL.URL, putURL.SignedHeader, []byte("mallory"))
		}, 403, "SignatureDoesNotMatch"},
		{"a browser form upload over the object is refused", func() *http.Request {
			return request(t, "POST", srv.URL()+"/"+inBucket, http.Header{"Content-Type": {formType}}, formBody)
		}, 405, "MethodNotAllowed"},
		{"a browser form post of URL-encoded fields is refused", func() *http.Request {
			return request(t, "POST", srv.URL()+"/"+inBucket+"/"+key, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("key="+key))
		}, 405, "MethodNotAllowed"},
		{"a presigned GET within its lifetime reads the object", func() *http.Request {
			return request(t, "GET", getURL.URL, nil, nil)
		}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.req())
			if status != tt.status || (tt.code != "" && !strings.Contains(body, "<Code>"+tt.code+"</Code>")) {
				t.Fatalf("answered %d %s, want %d %s", status, body, tt.status, tt.code)
			}
			if got := stored(t, c, inBucket, key); !bytes.Equal(got, original) {
				t.Fatalf("the object is now %q, want the owner's %q", got, original)
			}
		})
	}
}

func TestAClientWithOtherCredentialsCanDoNothing(t *testing.T) {
	ctx := context.Background()
	srv, c := start(t, "")
	put(t, c, inBucket, "a.wav", "audio/wav", []byte("kept"))
	tests := []struct {
		name string
		key  aws.Credentials
		code string
	}{
		{"the local access key with another secret is refused", aws.Credentials{AccessKeyID: local.AccessKeyID, SecretAccessKey: "local"}, "SignatureDoesNotMatch"},
		{"another access key is refused", aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, "InvalidAccessKeyId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A client of its own, not one made from c's options: the SDK's
			// signer caches derived keys by access key, so one shared with c
			// would sign with c's secret.
			other := awss3.New(awss3.Options{
				Region: local.Region, BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true,
				Credentials:      credentials.StaticCredentialsProvider{Value: tt.key},
				RetryMaxAttempts: 1,
			})
			calls := map[string]func() error{
				"list": func() error {
					_, err := other.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(inBucket)})
					return err
				},
				"get": func() error {
					_, err := other.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(inBucket), Key: aws.String("a.wav")})
					return err
				},
				"put": func() error {
					_, err := other.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(inBucket), Key: aws.String("a.wav"), Body: strings.NewReader("replaced")})
					return err
				},
				"delete": func() error {
					_, err := other.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(inBucket), Key: aws.String("a.wav")})
					return err
				},
			}
			for name, call := range calls {
				var api smithy.APIError
				if err := call(); !errors.As(err, &api) || api.ErrorCode() != tt.code {
					t.Errorf("%s: %v, want %s", name, err, tt.code)
				}
			}
			if got := stored(t, c, inBucket, "a.wav"); string(got) != "kept" {
				t.Fatalf("the object is now %q", got)
			}
		})
	}
}

func TestABodyMustHashToTheSHA256ItWasSignedWith(t *testing.T) {
	ctx := context.Background()
	srv, c := start(t, "")
	creds, err := c.Options().Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	put(t, c, inBucket, "a.wav", "audio/wav", []byte("original"))
	tests := []struct {
		name       string
		signedFor  string
		sent       string
		status     int
		wantStored string
	}{
		{"a body that differs from the one signed is refused and stores nothing", "replaced", "mallory!", 400, "original"},
		{"a body that hashes to the one signed is stored", "replaced", "replaced", 200, "replaced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := request(t, "PUT", srv.URL()+"/"+inBucket+"/a.wav", http.Header{"Content-Type": {"audio/wav"}}, []byte(tt.sent))
			sum := sha256.Sum256([]byte(tt.signedFor))
			hash := hex.EncodeToString(sum[:])
			req.Header.Set("X-Amz-Content-Sha256", hash)
			signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
			if err := signer.SignHTTP(ctx, creds, req, hash, "s3", local.Region, time.Now()); err != nil {
				t.Fatal(err)
			}
			status, body := do(t, req)
			if status != tt.status || (status == 400 && !strings.Contains(body, "<Code>XAmzContentSHA256Mismatch</Code>")) {
				t.Fatalf("answered %d %s, want %d", status, body, tt.status)
			}
			if got := stored(t, c, inBucket, "a.wav"); string(got) != tt.wantStored {
				t.Fatalf("the object is %q, want %q", got, tt.wantStored)
			}
		})
	}
}

func TestABodyOverTheLimitIsRefusedAndNotStored(t *testing.T) {
	ctx := context.Background()
	srv, err := local.Start(ctx, local.Options{Dir: t.TempDir(), Buckets: []string{inBucket}, MaxBodySize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, _ := srv.Client(ctx)
	presigned, err := awss3.NewPresignClient(c).PresignPutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(inBucket), Key: aws.String("big.wav"), ContentLength: aws.Int64(1<<10 + 1),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		put  func() (int, string)
		want int
	}{
		{"a presigned PUT of one byte over the limit is refused", func() (int, string) {
			return do(t, request(t, "PUT", presigned.URL, nil, make([]byte, 1<<10+1)))
		}, http.StatusRequestEntityTooLarge},
		{"the client's PUT of one byte over the limit is refused", func() (int, string) {
			_, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(inBucket), Key: aws.String("big.wav"), Body: bytes.NewReader(make([]byte, 1<<10+1))})
			var api smithy.APIError
			if !errors.As(err, &api) {
				return 0, "no API error: " + errString(err)
			}
			return http.StatusRequestEntityTooLarge, api.ErrorCode()
		}, http.StatusRequestEntityTooLarge},
		{"a PUT of exactly the limit is stored", func() (int, string) {
			_, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(inBucket), Key: aws.String("big.wav"), Body: bytes.NewReader(make([]byte, 1<<10))})
			if err != nil {
				return 0, err.Error()
			}
			return http.StatusOK, ""
		}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tt.put()
			if status != tt.want || (status == http.StatusRequestEntityTooLarge && !strings.Contains(body, "EntityTooLarge")) {
				t.Fatalf("answered %d %s, want %d", status, body, tt.want)
			}
			got := stored(t, c, inBucket, "big.wav")
			if tt.want == http.StatusOK && len(got) != 1<<10 || tt.want != http.StatusOK && got != nil {
				t.Fatalf("stored %d bytes", len(got))
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func TestDownloadsAreAttachmentsThatNoBrowserSniffsOrRenders(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, "")
	put(t, c, outBucket, "planted/page.html", "text/html", []byte("<script>document.cookie='x=1'</script>"))
	presign := awss3.NewPresignClient(c)
	tests := []struct {
		name        string
		disposition string // asked for with response-content-disposition; none if empty
		want        string
	}{
		{"an object without a disposition is an attachment", "", "attachment"},
		{"an inline disposition asked for becomes an attachment", "inline", "attachment"},
		{"an inline disposition keeps its file name as an attachment", `inline; filename="page.html"`, "attachment; filename=page.html"},
		{"an attachment asked for keeps its file name", `attachment; filename="My page.html"`, `attachment; filename="My page.html"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &awss3.GetObjectInput{Bucket: aws.String(outBucket), Key: aws.String("planted/page.html")}
			if tt.disposition != "" {
				in.ResponseContentDisposition = aws.String(tt.disposition)
			}
			p, err := presign.PresignGetObject(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(p.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header
			if resp.StatusCode != http.StatusOK || h.Get("Content-Disposition") != tt.want {
				t.Fatalf("answered %s with Content-Disposition %q, want 200 with %q", resp.Status, h.Get("Content-Disposition"), tt.want)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
				t.Fatalf("X-Content-Type-Options %q, Content-Security-Policy %q: want nosniff and a sandbox", h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
			}
		})
	}
	head, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(outBucket), Key: aws.String("planted/page.html")})
	if err != nil {
		t.Fatal(err)
	}
	if d := aws.ToString(head.ContentDisposition); d != "attachment" {
		t.Fatalf("HEAD's Content-Disposition %q, want attachment", d)
	}
}

func TestTheSecretIsKeptWithTheDataSoPresignedURLsOutliveARestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, c := start(t, dir)
	put(t, c, outBucket, "a.mp4", "video/mp4", []byte("mp4"))
	p, err := awss3.NewPresignClient(c).PresignGetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(outBucket), Key: aws.String("a.mp4")})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(first.URL(), "http://")
	first.Close()
	info, err := os.Stat(filepath.Join(dir, "secret-access-key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the secret's file: %v, %v; want it readable by its owner only", info, err)
	}

	tests := []struct {
		name   string
		dir    string
		status int
	}{
		{"a link made before a restart over the same data works", dir, http.StatusOK},
		{"the same link to a server over another data directory is refused", t.TempDir(), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := local.Start(ctx, local.Options{Dir: tt.dir, Addr: addr, Buckets: []string{outBucket}})
			if err != nil {
				t.Skipf("the first server's port is taken again (%v): this test runs whenever it is free", err)
			}
			defer srv.Close()
			if status, body := do(t, request(t, "GET", p.URL, nil, nil)); status != tt.status {
				t.Fatalf("the link answered %d %s, want %d", status, body, tt.status)
			}
		})
	}
}

// multipartForm returns the body and content type of a browser form upload
// of content as key.
func multipartForm(t *testing.T, key, content string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("key", key)
	f, err := w.CreateFormFile("file", "song.wav")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(content))
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// tamper returns rawURL with the last digit of its signature changed.
func tamper(rawURL string) string {
	last := rawURL[len(rawURL)-1]
	if last == '0' {
		return rawURL[:len(rawURL)-1] + "1"
	}
	return rawURL[:len(rawURL)-1] + "0"
}

func TestTheServersOwnClientDoesMultipartUploadsAndBatchDeletes(t *testing.T) {
	ctx := context.Background()
	_, c := start(t, "")
	bucket, key := aws.String(inBucket), aws.String("uploads/u1/up-1/big.mov")
	created, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: bucket, Key: key, ContentType: aws.String("video/quicktime")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx, &awss3.UploadPartInput{Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("one part")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: bucket, Key: key, UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, c, inBucket, *key); string(got) != "one part" {
		t.Fatalf("the multipart upload stored %q", got)
	}
	put(t, c, inBucket, "b.wav", "audio/wav", []byte("b"))
	if _, err := c.DeleteObjects(ctx, &awss3.DeleteObjectsInput{Bucket: bucket, Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: key}, {Key: aws.String("b.wav")}},
	}}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 0 {
		t.Fatalf("%d objects left after the batch delete", len(list.Contents))
	}
}

func TestABodyOfUnknownLengthIsCutAtTheLimit(t *testing.T) {
	ctx := context.Background()
	srv, err := local.Start(ctx, local.Options{Dir: t.TempDir(), Buckets: []string{inBucket}, MaxBodySize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, _ := srv.Client(ctx)
	creds, _ := c.Options().Credentials.Retrieve(ctx)
	// A batch delete streamed without a Content-Length, four times the limit.
	body := "<Delete>" + strings.Repeat("<Object><Key>a.wav</Key></Object>", 4<<10/33) + "</Delete>"
	req, err := http.NewRequest("POST", srv.URL()+"/"+inBucket+"?delete", struct{ io.Reader }{strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", local.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	if status, answer := do(t, req); status != http.StatusRequestEntityTooLarge || !strings.Contains(answer, "<Code>EntityTooLarge</Code>") {
		t.Fatalf("answered %d %s, want 413 EntityTooLarge", status, answer)
	}
}
