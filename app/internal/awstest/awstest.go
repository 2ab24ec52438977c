// Package awstest stands in for an AWS control-plane API, the one part of
// the system a test cannot run: a server that a real SDK client is pointed
// at (its BaseEndpoint), which records every request it receives and answers
// each with the status, headers and body the test chose. A test so checks
// the exact request an engine sends, signature headers and JSON document
// included, and how the engine takes AWS's answer, without an AWS account.
package awstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is one request as the server received it.
type Request struct {
	Method, Path string
	Header       http.Header
	// Body is the request's JSON document, decoded; nil when it had none.
	Body map[string]any
}

// Server records the requests it receives and answers every one alike. Its
// methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL, for the client's BaseEndpoint.
	URL string

	t      testing.TB
	status int
	header http.Header
	body   string

	mu       sync.Mutex
	requests []Request
}

// NewServer starts a server that answers every request with status, the
// headers in header (an AWS error answer names its type in
// X-Amzn-Errortype), Content-Type application/json and body. It stops when
// the test ends. A request whose body is not a JSON object fails the test:
// the AWS JSON APIs send nothing else.
func NewServer(t testing.TB, status int, header http.Header, body string) *Server {
	t.Helper()
	s := &Server{t: t, status: status, header: header, body: body}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		s.t.Errorf("awstest: reading the request body: %v", err)
	}
	var body map[string]any
	// A request without a body (a REST DELETE) has none to decode.
	if err := json.Unmarshal(raw, &body); len(raw) > 0 && err != nil {
		s.t.Errorf("awstest: the request body is not a JSON object: %v\n%s", err, raw)
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body})
	s.mu.Unlock()
	for k, vs := range s.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s.status)
	io.WriteString(w, s.body)
}

// Requests returns what the server has received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests the server has received so far: 0 for a
// call that must be refused before anything is sent.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Only returns the one request the server received, failing the test if
// there were more or none.
func (s *Server) Only() Request {
	s.t.Helper()
	got := s.Requests()
	if len(got) != 1 {
		s.t.Fatalf("the stand-in AWS API received %d requests, want exactly 1", len(got))
	}
	return got[0]
}
