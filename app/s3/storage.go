package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// MaxPresignTTL is the longest a presigned URL can stay valid: Signature
// Version 4 refuses to sign for longer than seven days.
const MaxPresignTTL = 7 * 24 * time.Hour

// ErrNotFound is wrapped by the error of an operation on an object or bucket
// that does not exist, so that callers can answer 404 with errors.Is. On AWS,
// S3 answers 403 instead of 404 for a missing object when the caller may not
// list the bucket: grant s3:ListBucket on both buckets to get ErrNotFound.
var ErrNotFound = errors.New("s3: not found")

// Storage is where transcoder's media lives: an input bucket that users
// upload to through presigned URLs and engines read from, and an output
// bucket that engines write to and users download from through presigned
// URLs. It is the one S3 code path of the service, used alike on AWS and in
// local mode, where the client points at the local S3-compatible server.
type Storage struct {
	client  *awss3.Client
	presign *awss3.PresignClient
	input   string
	output  string
}

// New returns the Storage over client for the two buckets. The client's
// endpoint decides where presigned URLs point, so it must be reachable by
// the browsers that use them.
func New(client *awss3.Client, inputBucket, outputBucket string) *Storage {
	return &Storage{
		client:  client,
		presign: awss3.NewPresignClient(client),
		input:   inputBucket,
		output:  outputBucket,
	}
}

// InputBucket returns the name of the bucket uploads land in.
func (s *Storage) InputBucket() string { return s.input }

// OutputBucket returns the name of the bucket outputs are written to.
func (s *Storage) OutputBucket() string { return s.output }

// InputURI returns the URI of key in the input bucket, as jobs name inputs.
func (s *Storage) InputURI(key string) string { return URI(s.input, key) }

// OutputURI returns the URI of key in the output bucket, as jobs name outputs.
func (s *Storage) OutputURI(key string) string { return URI(s.output, key) }

// Presigned is a request that anyone holding it may send until ExpiresAt,
// without credentials: a browser uploads a file by sending Method to URL
// with exactly Headers and the file as the body.
type Presigned struct {
	URL    string
	Method string
	// Headers are the signed headers the client must send with these values
	// (Content-Type, when the upload has one). Host is left out: the client
	// sends it from URL. So is an upload's Content-Length, signed too, which a
	// browser sends by itself and may not set (see Storage.PresignUpload).
	Headers   map[string]string
	ExpiresAt time.Time
}

// Object is what Head tells of an object.
type Object struct {
	Size        int64
	ContentType string
	ETag        string // without its quotes
}

// PresignUpload returns a presigned PUT of key in the input bucket for a body
// of exactly size bytes, valid for ttl (at most MaxPresignTTL). The upload
// goes straight from the browser to S3, never through the service.
//
// The size is signed as Content-Length, so S3 (on AWS and the local server
// alike) refuses a body of any other length: a caller that checks size
// before presigning bounds what can be stored. size must be more than zero.
// Headers does not list Content-Length: a browser may not set it, and sends
// it by itself, from the body, with every fetch or XMLHttpRequest; another
// client must send it with the signed value.
//
// When contentType is not empty it is signed too, so the browser must send
// it as Content-Type (it is in Headers) and the object is stored with it.
func (s *Storage) PresignUpload(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (*Presigned, error) {
	if reason := checkKey(key); reason != "" {
		return nil, fmt.Errorf("s3: presign upload %s: key %s", quote(key), reason)
	}
	if size <= 0 {
		return nil, fmt.Errorf("s3: presign upload %s: size %d is not more than zero: pass the file's exact length in bytes, which the upload must have", quote(key), size)
	}
	if err := checkTTL(ttl); err != nil {
		return nil, fmt.Errorf("s3: presign upload %s: %w", quote(key), err)
	}
	// The presigner signs Content-Length whenever the input has one over zero.
	in := &awss3.PutObjectInput{Bucket: aws.String(s.input), Key: aws.String(key), ContentLength: aws.Int64(size)}
	if contentType != "" {
		if _, _, err := mime.ParseMediaType(contentType); err != nil {
			return nil, fmt.Errorf("s3: presign upload %s: content type %s: %w", quote(key), quote(contentType), err)
		}
		in.ContentType = aws.String(contentType)
	}
	req, err := s.presign.PresignPutObject(ctx, in, awss3.WithPresignExpires(ttl))
	if err != nil {
		return nil, fmt.Errorf("s3: presign upload %s: %w", quote(key), err)
	}
	if got := strings.Join(req.SignedHeader.Values("Content-Length"), ","); got != strconv.FormatInt(size, 10) {
		return nil, fmt.Errorf("s3: presign upload %s: the presigned PUT signs Content-Length %q, not the size %d: the AWS SDK no longer signs it as this package expects", quote(key), got, size)
	}
	headers := make(map[string]string, len(req.SignedHeader))
	for name, values := range req.SignedHeader {
		if strings.EqualFold(name, "Host") || strings.EqualFold(name, "Content-Length") || len(values) == 0 {
			continue
		}
		headers[http.CanonicalHeaderKey(name)] = strings.Join(values, ",")
	}
	return &Presigned{
		URL:       req.URL,
		Method:    req.Method,
		Headers:   headers,
		ExpiresAt: expiresAt(req.URL, ttl),
	}, nil
}

// PresignDownload returns a presigned GET of the object at uri, valid for ttl
// (at most MaxPresignTTL), whose response makes a browser save the object as
// filename rather than show it (Content-Disposition: attachment). An empty
// filename stands for the key's base name. It does not check that the
// object exists: the URL answers 404 if it does not.
func (s *Storage) PresignDownload(ctx context.Context, uri string, ttl time.Duration, filename string) (string, error) {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", fmt.Errorf("s3: presign download %s: %w", uri, err)
	}
	disposition, err := attachment(filename, key)
	if err != nil {
		return "", fmt.Errorf("s3: presign download %s: %w", uri, err)
	}
	req, err := s.presign.PresignGetObject(ctx, &awss3.GetObjectInput{
		Bucket:                     aws.String(bucket),
		Key:                        aws.String(key),
		ResponseContentDisposition: aws.String(disposition),
	}, awss3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3: presign download %s: %w", uri, err)
	}
	return req.URL, nil
}

// Delete removes the object at uri (an s3:// URI); removing one that does
// not exist is not an error, as in S3.
func (s *Storage) Delete(ctx context.Context, uri string) error {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		return opError("delete", uri, err)
	}
	return nil
}

// Head returns the size, content type and ETag of the object at uri, or an
// error wrapping ErrNotFound if the object or its bucket does not exist. The
// uploads API uses it to learn that a presigned upload has arrived.
func (s *Storage) Head(ctx context.Context, uri string) (*Object, error) {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, opError("head", uri, err)
	}
	return &Object{
		Size:        aws.ToInt64(out.ContentLength),
		ContentType: aws.ToString(out.ContentType),
		ETag:        strings.Trim(aws.ToString(out.ETag), `"`),
	}, nil
}

// Get writes the object at uri to w as it arrives, without holding it in
// memory: the local engine fetches inputs that may be gigabytes. A missing
// object or bucket is an error wrapping ErrNotFound. If the transfer fails
// part way, w has received part of the object.
func (s *Storage) Get(ctx context.Context, uri string, w io.Writer) error {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return err
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return opError("get", uri, err)
	}
	defer out.Body.Close()
	if n, err := io.Copy(w, out.Body); err != nil {
		return fmt.Errorf("s3: get %s: after %d bytes: %w", uri, n, err)
	}
	return nil
}

// Put stores the size bytes read from r as the object at uri with the given
// content type (none if empty), streaming them: engines write outputs of any
// size. S3 needs the length up front, so size must be exact. Over HTTPS the
// SDK checksums the stream as it sends it; over plain HTTP (local mode) the
// client must not need to read r twice, which local.Server.Client arranges.
func (s *Storage) Put(ctx context.Context, uri string, r io.Reader, size int64, contentType string) error {
	bucket, key, err := ParseURI(uri)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("s3: put %s: negative size %d", uri, size)
	}
	in := &awss3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          r,
		ContentLength: aws.Int64(size),
	}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return opError("put", uri, err)
	}
	return nil
}

// opError wraps err from operation op on uri, adding ErrNotFound when S3
// answered 404 (a missing key, or a missing bucket).
func opError(op, uri string, err error) error {
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() == http.StatusNotFound {
		return fmt.Errorf("s3: %s %s: %w: %w", op, uri, ErrNotFound, err)
	}
	return fmt.Errorf("s3: %s %s: %w", op, uri, err)
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > MaxPresignTTL {
		return fmt.Errorf("ttl %v is not between 0 and %v", ttl, MaxPresignTTL)
	}
	return nil
}

// attachment returns the Content-Disposition that makes a browser save the
// response as filename, or as the base name of key if filename is empty. A
// name that is not plain ASCII goes in the RFC 2231 form (filename*=) that
// browsers read.
func attachment(filename, key string) (string, error) {
	if filename == "" {
		filename = path.Base(key)
	}
	if reason := checkFilename(filename); reason != "" {
		return "", &NameError{Part: "file name", Value: filename, Reason: reason}
	}
	d := mime.FormatMediaType("attachment", map[string]string{"filename": filename})
	if d == "" {
		return "", &NameError{Part: "file name", Value: filename, Reason: "cannot be put in a Content-Disposition header"}
	}
	return d, nil
}

// expiresAt returns when the presigned URL stops working: its signing time
// (X-Amz-Date) plus its lifetime (X-Amz-Expires), or now plus ttl if the URL
// does not say.
func expiresAt(rawURL string, ttl time.Duration) time.Time {
	if u, err := url.Parse(rawURL); err == nil {
		q := u.Query()
		signed, err1 := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
		secs, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err1 == nil && err2 == nil {
			return signed.Add(time.Duration(secs) * time.Second)
		}
	}
	return time.Now().Add(ttl)
}
