package local

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"

	"transcoder/app/atomicfile"
	"transcoder/app/internal/ids"
)

// Region is the region the server's clients sign for. The server does not
// care, but the SDK needs one.
const Region = "us-east-1"

// DefaultAddr is where the server listens when Options.Addr is empty: any
// free port on the IPv4 loopback.
const DefaultAddr = "127.0.0.1:0"

// DefaultMaxBodySize is the largest request body the server takes when
// Options.MaxBodySize is zero: S3's own limit for a single PUT.
const DefaultMaxBodySize = 5 << 30

// DefaultTimeout bounds reading a whole request and writing a whole answer
// when Options.ReadTimeout or Options.WriteTimeout is zero: long enough for
// a file of DefaultMaxBodySize over a slow link to this machine, short
// enough that a stalled client does not hold a connection for ever.
const DefaultTimeout = time.Hour

// AccessKeyID is the access key of the server's credentials. Its secret is
// made once per Options.Dir and kept there, so that presigned URLs outlive
// a restart; only Client signs with it.
const AccessKeyID = "local"

// secretFile holds the secret access key under Options.Dir, readable by its
// owner only.
const secretFile = "secret-access-key"

// ErrClosed is returned by Client once the server is closed.
var ErrClosed = errors.New("local s3: server closed")

// Options configures Start.
type Options struct {
	// Dir holds the buckets, their metadata and uploads in progress; it is
	// created if missing and kept across restarts (DATA_DIR/s3, say).
	Dir string
	// Addr is host:port to listen on, e.g. 127.0.0.1:8081 (DefaultAddr if
	// empty). The host must be a loopback address or "localhost" unless
	// AllowRemote is set.
	Addr string
	// Buckets are created if they do not exist yet.
	Buckets []string
	// AllowedOrigins are the web origins (scheme://host[:port]) whose pages
	// may upload with presigned PUTs; none means no cross-origin request is
	// allowed. A wildcard is refused, as the infrastructure refuses it.
	AllowedOrigins []string
	// AllowRemote lets Addr be a non-loopback address. Every request must be
	// signed with the server's credentials, but the server is plain HTTP, so
	// anyone who can watch the network can replay a signed request or
	// presigned URL: set this only on a network you trust.
	AllowRemote bool
	// MaxBodySize is the largest request body taken, in bytes
	// (DefaultMaxBodySize if zero); a larger one is answered 413
	// EntityTooLarge. A presigned upload's body is bounded more tightly by
	// the Content-Length it was signed with.
	MaxBodySize int64
	// ReadTimeout bounds reading a whole request, body included, and
	// WriteTimeout writing a whole answer (DefaultTimeout if zero).
	ReadTimeout, WriteTimeout time.Duration
}

// Server is a running local S3 server.
type Server struct {
	url   string
	creds keyPair
	http  *http.Server
	done  chan error // receives Serve's error once

	closeOnce sync.Once
	closeErr  error
	closed    chan struct{}
}

// Start opens the store under opts.Dir, creates the missing buckets and
// serves S3 on opts.Addr until Close. ctx bounds only the start-up.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("local s3: Options.Dir is empty")
	}
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if err := checkAddr(opts.Addr, opts.AllowRemote); err != nil {
		return nil, err
	}
	origins, err := parseOrigins(opts.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	if opts.MaxBodySize < 0 || opts.ReadTimeout < 0 || opts.WriteTimeout < 0 {
		return nil, errors.New("local s3: Options.MaxBodySize, ReadTimeout and WriteTimeout may not be negative (zero stands for the default)")
	}
	opts.MaxBodySize = cmp.Or(opts.MaxBodySize, DefaultMaxBodySize)
	opts.ReadTimeout = cmp.Or(opts.ReadTimeout, DefaultTimeout)
	opts.WriteTimeout = cmp.Or(opts.WriteTimeout, DefaultTimeout)
	for _, b := range opts.Buckets {
		if err := gofakes3.ValidateBucketName(b); err != nil {
			return nil, fmt.Errorf("local s3: bucket %q: %w", b, err)
		}
	}

	backend, err := openBackend(opts.Dir)
	if err != nil {
		return nil, err
	}
	secret, err := loadSecret(filepath.Join(opts.Dir, secretFile))
	if err != nil {
		return nil, err
	}
	creds := keyPair{AccessKeyID: AccessKeyID, SecretAccessKey: secret}
	for _, b := range opts.Buckets {
		exists, err := backend.BucketExists(b)
		if err != nil {
			return nil, fmt.Errorf("local s3: bucket %q: %w", b, err)
		}
		if !exists {
			if err := backend.CreateBucket(b); err != nil {
				return nil, fmt.Errorf("local s3: create bucket %q: %w", b, err)
			}
		}
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	fake := gofakes3.New(backend)
	checked := &guard{creds: creds, region: Region, maxBody: opts.MaxBodySize, now: time.Now, next: fake.Server()}
	s := &Server{
		url:   "http://" + dialAddr(ln.Addr().(*net.TCPAddr)),
		creds: creds,
		http: &http.Server{
			Handler:           withCORS(origins, checked),
			ReadHeaderTimeout: 30 * time.Second,
			ReadTimeout:       opts.ReadTimeout,
			WriteTimeout:      opts.WriteTimeout,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
		},
		done:   make(chan error, 1),
		closed: make(chan struct{}),
	}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// URL returns the server's base URL, http://host:port, which presigned URLs
// start with. A server listening on all interfaces is named by 127.0.0.1.
func (s *Server) URL() string { return s.url }

// Client returns an AWS SDK S3 client for the server: path-style requests to
// URL, signed with the server's credentials (the only ones it accepts),
// region us-east-1; its presigned URLs are signed alike. It reads no
// environment and no shared AWS config, so a developer's AWS profile cannot
// send local mode elsewhere. The client sends bodies as UNSIGNED-PAYLOAD and
// without checksums, as the server is on this machine: an upload streams
// from any io.Reader once, where the SDK would otherwise read it twice to
// hash it. ctx is unused: building the client does no I/O.
func (s *Server) Client(ctx context.Context) (*awss3.Client, error) {
	select {
	case <-s.closed:
		return nil, ErrClosed
	default:
	}
	return awss3.New(awss3.Options{
		Region:                     Region,
		BaseEndpoint:               aws.String(s.url),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.creds.AccessKeyID, s.creds.SecretAccessKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		APIOptions:                 []func(*middleware.Stack) error{unsignedPayload},
	}), nil
}

// Close stops the server at once, cutting requests in flight; an upload cut
// short leaves no object. Everything stored stays under Options.Dir for the
// next Start. Close may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.closeErr = s.http.Close()
		if err := <-s.done; !errors.Is(err, http.ErrServerClosed) && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// openBackend opens the s3afero store under dir, behind the spool that keeps
// partial uploads out of it.
func openBackend(dir string) (*spoolBackend, error) {
	fs, err := s3afero.FsPath(dir, s3afero.FsPathCreateAll)
	if err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	multi, err := s3afero.MultiBucket(fs)
	if err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	spool := filepath.Join(dir, "spool")
	// Whatever is left in the spool belongs to uploads that a stop cut short.
	if err := os.RemoveAll(spool); err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, fmt.Errorf("local s3: %w", err)
	}
	return &spoolBackend{MultiBucketBackend: multi, dir: spool}, nil
}

// loadSecret reads the secret access key kept at path, or makes one and
// keeps it there (mode 0600, atomically and durably) if there is none yet.
func loadSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		secret := strings.TrimSpace(string(b))
		if len(secret) < 32 {
			return "", fmt.Errorf("local s3: %s holds no secret access key of at least 32 characters: delete it to have a new one made", path)
		}
		return secret, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("local s3: reading the secret access key: %w", err)
	}
	secret := ids.Hex(32)
	if err := atomicfile.Write(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("local s3: keeping the secret access key: %w", err)
	}
	return secret, nil
}

// checkAddr refuses an address that would expose the server beyond this
// machine, unless allowRemote.
func checkAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("local s3: address %q: %w", addr, err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("local s3: address %q is not a loopback address; the server is plain HTTP for development, so set AllowRemote to listen there anyway", addr)
}

// dialAddr returns host:port by which a client on this machine reaches a
// listener bound to a.
func dialAddr(a *net.TCPAddr) string {
	ip := a.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

// unsignedPayload makes the client send UNSIGNED-PAYLOAD instead of hashing
// a body before sending it, where the operation would hash it (presigning
// already leaves the payload unsigned).
func unsignedPayload(stack *middleware.Stack) error {
	if _, ok := stack.Finalize.Get((&v4.ComputePayloadSHA256{}).ID()); !ok {
		return nil
	}
	return v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware(stack)
}
