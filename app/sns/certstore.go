package sns

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"
)

// certStore retrieves signing certificates: from the cache, else from the
// pinned directory, else from the network. It keeps the last few that
// passed their checks, never a failure, and makes one fetch per URL however
// many deliveries wait for it.
type certStore struct {
	client  *http.Client
	timeout time.Duration
	dir     string
	size    int
	onFetch func(url string, err error, d time.Duration)

	mu    sync.Mutex
	lru   list.List                // of *cacheEntry, most recently used first
	items map[string]*list.Element // by SigningCertURL
	calls map[string]*certCall     // retrievals in flight, by SigningCertURL
}

type cacheEntry struct {
	url  string
	cert *signingCert
}

// certCall is one retrieval in flight; done is closed when cert or err is set.
type certCall struct {
	done chan struct{}
	cert *signingCert
	err  error
}

func newCertStore(client *http.Client, timeout time.Duration, dir string, size int,
	onFetch func(string, error, time.Duration)) *certStore {
	return &certStore{
		client:  client,
		timeout: timeout,
		dir:     dir,
		size:    size,
		onFetch: onFetch,
		items:   make(map[string]*list.Element),
		calls:   make(map[string]*certCall),
	}
}

// maxInFlight bounds the distinct certificates being retrieved at once.
// SNS signs with one certificate per region, so only a flood of junk URLs
// (well-formed, for an allowed topic) can reach it; it keeps such a flood
// from holding a goroutine and an outbound request per message.
const maxInFlight = 8

var errTooManyFetches = errors.New("too many certificate fetches in flight")

// cached returns the certificate cached for certURL, if any. Only a URL that
// passed parseCertURL is ever cached (see retrieve), and the rules are a
// function of the string alone, so a hit needs no second check.
func (s *certStore) cached(certURL string) (*signingCert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookup(certURL)
}

// lookup is cached with s.mu held.
func (s *certStore) lookup(certURL string) (*signingCert, bool) {
	e, ok := s.items[certURL]
	if !ok {
		return nil, false
	}
	s.lru.MoveToFront(e)
	return e.Value.(*cacheEntry).cert, true
}

// get returns the certificate at certURL, which ValidateCertURL accepted as
// u. Waiting ends with ctx, but the retrieval itself goes on (bounded by the
// fetch timeout) for the other waiters and the cache.
func (s *certStore) get(ctx context.Context, certURL string, u *url.URL) (*signingCert, error) {
	s.mu.Lock()
	if cert, ok := s.lookup(certURL); ok {
		s.mu.Unlock()
		return cert, nil
	}
	c, ok := s.calls[certURL]
	if !ok {
		if len(s.calls) >= maxInFlight {
			s.mu.Unlock()
			return nil, &FetchError{URL: certURL, Err: errTooManyFetches}
		}
		c = &certCall{done: make(chan struct{})}
		s.calls[certURL] = c
		go s.retrieve(context.WithoutCancel(ctx), certURL, u, c)
	}
	s.mu.Unlock()

	select {
	case <-c.done:
		return c.cert, c.err
	case <-ctx.Done():
		return nil, &FetchError{URL: certURL, Err: fmt.Errorf("gave up waiting: %w", ctx.Err())}
	}
}

// retrieve runs one retrieval for every waiter on c and caches a success.
func (s *certStore) retrieve(ctx context.Context, certURL string, u *url.URL, c *certCall) {
	cert, err := s.load(ctx, certURL, u)

	s.mu.Lock()
	delete(s.calls, certURL)
	if err == nil {
		s.add(certURL, cert)
	}
	s.mu.Unlock()

	c.cert, c.err = cert, err
	close(c.done)
}

// add caches cert, evicting the least recently used entry when full.
// s.mu must be held.
func (s *certStore) add(certURL string, cert *signingCert) {
	s.items[certURL] = s.lru.PushFront(&cacheEntry{url: certURL, cert: cert})
	for s.lru.Len() > s.size {
		oldest := s.lru.Back()
		s.lru.Remove(oldest)
		delete(s.items, oldest.Value.(*cacheEntry).url)
	}
}

// load reads the pinned certificate for u if there is one, else fetches it.
func (s *certStore) load(ctx context.Context, certURL string, u *url.URL) (*signingCert, error) {
	if s.dir != "" {
		// ValidateCertURL has reduced the path to one safe file name.
		data, err := readCapped(filepath.Join(s.dir, path.Base(u.Path)))
		switch {
		case err == nil:
			return parseSigningCert(certURL, data)
		case errors.Is(err, errTooLarge):
			return nil, &CertificateError{URL: certURL, Reason: "pinned file is larger than 64 KiB"}
		case !errors.Is(err, fs.ErrNotExist):
			return nil, &FetchError{URL: certURL, Err: fmt.Errorf("reading the pinned certificate: %w", err)}
		}
	}
	start := time.Now()
	cert, err := s.fetch(ctx, certURL)
	if s.onFetch != nil {
		s.onFetch(certURL, err, time.Since(start))
	}
	return cert, err
}

var errTooLarge = errors.New("larger than 64 KiB")

func readCapped(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCertSize+1))
	if err == nil && len(data) > maxCertSize {
		err = errTooLarge
	}
	return data, err
}

// fetch GETs the certificate with the store's client, which follows no
// redirects.
func (s *certStore) fetch(ctx context.Context, certURL string) (*signingCert, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, certURL, nil)
	if err != nil {
		return nil, &FetchError{URL: certURL, Err: err}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, &FetchError{URL: certURL, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &FetchError{URL: certURL, Err: fmt.Errorf("HTTP status %s", resp.Status)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCertSize+1))
	if err != nil {
		return nil, &FetchError{URL: certURL, Err: fmt.Errorf("reading the response: %w", err)}
	}
	if len(data) > maxCertSize {
		return nil, &CertificateError{URL: certURL, Reason: "response is larger than 64 KiB"}
	}
	return parseSigningCert(certURL, data)
}
