package webhooks

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// addressError reports a connection refused before it was made because the
// address dialled breaks the dial policy: a callback host whose name
// resolves to a private, loopback or link-local address, say.
type addressError struct {
	addr   string
	reason string
}

func (e *addressError) Error() string {
	return fmt.Sprintf("webhooks: address %s is not allowed: %s", e.addr, e.reason)
}

// dialPolicy judges the address a call is about to connect to.
type dialPolicy func(netip.Addr) error

// publicOnly allows the addresses URLPolicy(false) allows as literals.
func publicOnly(addr netip.Addr) error {
	if !publicAddr(addr) {
		return &addressError{addr: addr.String(), reason: "not a public address"}
	}
	return nil
}

// loopbackOnly allows loopback addresses only: the http calls of local mode.
func loopbackOnly(addr netip.Addr) error {
	if !addr.Unmap().IsLoopback() {
		return &addressError{addr: addr.String(), reason: "plain http may connect to loopback only"}
	}
	return nil
}

// newTransport returns the transport of the default client: the policy of
// URLPolicy(allowLoopbackHTTP) applied again to every address actually
// dialled, once names are resolved, so that a DNS name cannot lead a call
// where a literal address could not (127.0.0.1.nip.io, a single-label or
// split-horizon internal name, a name re-pointed after submission). Outside
// local mode every connection must go to a public address; in local mode a
// plain http call must go to loopback, and an https call to a public
// address. No proxy is used, since a proxy would dial in the check's stead.
func newTransport(allowLoopbackHTTP bool) http.RoundTripper {
	public := policyTransport(publicOnly)
	if !allowLoopbackHTTP {
		return public
	}
	return &schemeTransport{http: policyTransport(loopbackOnly), https: public}
}

// policyTransport is an HTTP transport that connects only to the addresses
// allow allows and that never uses a proxy.
func policyTransport(allow dialPolicy) *http.Transport {
	dialer := &net.Dialer{
		Timeout:   30 * time.Second, // the call's timeout is usually shorter
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return &addressError{addr: address, reason: "not an IP address and port"}
			}
			return allow(ap.Addr())
		},
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// schemeTransport sends plain http requests through one transport and all
// others through another, so that each scheme has its own dial policy. The
// transports pool connections apart, so a connection dialled under one
// policy never carries a request of the other.
type schemeTransport struct {
	http, https *http.Transport
}

func (t *schemeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" {
		return t.http.RoundTrip(req)
	}
	return t.https.RoundTrip(req)
}

// CloseIdleConnections closes both transports' idle connections.
func (t *schemeTransport) CloseIdleConnections() {
	t.http.CloseIdleConnections()
	t.https.CloseIdleConnections()
}
