package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
)

// Region is the region the server's clients sign for. The server does not
// care, but the SDK needs one.
const Region = "us-east-1"

// DefaultAddr is where the server listens when Options.Addr is empty: any
// free port on the IPv4 loopback.
const DefaultAddr = "127.0.0.1:0"

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
	// AllowRemote lets Addr be a non-loopback address. The server checks no
	// credentials, so anyone who can reach it can read and write every
	// object: set this only on a network you trust.
	AllowRemote bool
}

// Server is a running local S3 server.
type Server struct {
	url  string
	http *http.Server
	done chan error // receives Serve's error once

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
	for _, b := range opts.Buckets {
		if err := gofakes3.ValidateBucketName(b); err != nil {
			return nil, fmt.Errorf("local s3: bucket %q: %w", b, err)
		}
	}

	backend, err := openBackend(opts.Dir)
	if err != nil {
		return nil, err
	}
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
	s := &Server{
		url: "http://" + dialAddr(ln.Addr().(*net.TCPAddr)),
		http: &http.Server{
			Handler:           withCORS(origins, refuseExpired(fake.Server())),
			ReadHeaderTimeout: 30 * time.Second,
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
// URL, static credentials, region us-east-1. It reads no environment and no
// shared AWS config, so a developer's AWS profile cannot send local mode
// elsewhere. Because the server is plain HTTP and checks no signature, the
// client sends bodies unsigned and without checksums: an upload streams
// from any io.Reader once, where the SDK would otherwise read it twice to
// sign it. ctx is unused: building the client does no I/O.
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
		Credentials:                credentials.NewStaticCredentialsProvider("local", "local", ""),
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
	return fmt.Errorf("local s3: address %q is not a loopback address; the server checks no credentials, so set AllowRemote to listen there anyway", addr)
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
