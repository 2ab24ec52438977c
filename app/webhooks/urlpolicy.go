package webhooks

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// MaxURLLength is the longest callback URL accepted, in bytes.
const MaxURLLength = 2048

// URLError reports a callback URL that breaks a rule of the policy; no call
// is made to it. Reason names the rule.
type URLError struct {
	Reason string
}

// Error says which rule the URL breaks.
func (e *URLError) Error() string { return "webhooks: callback URL refused: " + e.Reason }

// CheckCallbackURL checks raw against the callback URL policy: at most
// MaxURLLength bytes, then the rules of URLPolicy(allowLoopbackHTTP). The
// HTTP layer runs it when a job is submitted, so that a bad URL is refused
// to the user at once rather than failing every call later. The error is a
// *URLError.
func CheckCallbackURL(raw string, allowLoopbackHTTP bool) error {
	u, err := parseCallbackURL(raw)
	if err != nil {
		return err
	}
	return URLPolicy(allowLoopbackHTTP)(u)
}

// parseCallbackURL applies the rules that need the URL as written: its length
// and that it parses.
func parseCallbackURL(raw string) (*url.URL, error) {
	if len(raw) > MaxURLLength {
		return nil, &URLError{Reason: fmt.Sprintf("longer than %d bytes", MaxURLLength)}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &URLError{Reason: "not a URL: " + unwrapURLError(err)}
	}
	return u, nil
}

func unwrapURLError(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// URLPolicy returns the callback URL policy, for Options.AllowURL. A URL
// passes when:
//
//   - it is absolute, with a host, and without user info (credentials in a
//     URL end up in logs);
//   - its scheme is https, or http when allowLoopbackHTTP is set (local mode)
//     and the host is loopback: "localhost" or a literal address in
//     127.0.0.0/8 or ::1 (IPv4-mapped forms included);
//   - its host is not a numeric IPv4 shorthand (127.1, 2130706433,
//     0x7f000001): some resolvers read these as addresses, so a host whose
//     last label is a number must be a dotted-quad IPv4 address;
//   - unless allowLoopbackHTTP is set, its host is neither "localhost" nor a
//     name under .localhost, and a literal IP address host is a global
//     unicast address outside the private (10/8, 172.16/12, 192.168/16,
//     fc00::/7), shared (100.64/10) and "this network" (0/8) ranges, which
//     also shuts out loopback, link-local (the cloud metadata service at
//     169.254.169.254 among them), multicast and unspecified addresses, and
//     outside the IPv6 ranges that embed an IPv4 address (NAT64
//     64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, IPv4-compatible
//     ::/96), through which any IPv4 address, private ones included, can
//     be reached.
//
// The policy reads the URL only: it resolves no name, so a DNS name that
// points at a private address passes (127.0.0.1.nip.io, a single-label or
// split-horizon internal name). The dispatcher's default client shuts that
// out by checking every address it actually dials against the same rules;
// give it the same flag, Options.AllowLoopbackHTTP.
func URLPolicy(allowLoopbackHTTP bool) func(*url.URL) error {
	return func(u *url.URL) error { return checkURL(u, allowLoopbackHTTP) }
}

func checkURL(u *url.URL, allowLoopbackHTTP bool) error {
	refuse := func(format string, args ...any) error { return &URLError{Reason: fmt.Sprintf(format, args...)} }
	if u.User != nil {
		return refuse("user info is not allowed")
	}
	if u.Opaque != "" || u.Host == "" {
		return refuse("no host")
	}
	host := u.Hostname()
	if host == "" {
		return refuse("no host")
	}
	addr, isIP := parseHostIP(host)
	if !isIP && numericName(host) {
		return refuse("host %q is a number but not a dotted-quad IPv4 address", host)
	}
	loopback := isIP && addr.IsLoopback() || isLocalhost(host, false)

	switch u.Scheme {
	case "https":
	case "http":
		if !allowLoopbackHTTP {
			return refuse("scheme must be https")
		}
		if !loopback {
			return refuse("plain http is allowed only to a loopback host (localhost, 127.0.0.0/8, ::1); use https")
		}
	default:
		return refuse("scheme must be https, not %q", u.Scheme)
	}
	if allowLoopbackHTTP {
		return nil
	}
	if isLocalhost(host, true) {
		return refuse("host %q is this machine", host)
	}
	if isIP && !publicAddr(addr) {
		return refuse("host %s is not a public address", addr)
	}
	return nil
}

// parseHostIP reads host as a literal IP address, IPv4-mapped IPv6 unmapped.
func parseHostIP(host string) (netip.Addr, bool) {
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap(), true
}

// numericName reports whether host's last label is a number (decimal, or 0x
// hex), which no DNS top-level domain is.
func numericName(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if l := strings.ToLower(last); strings.HasPrefix(l, "0x") {
		last = l[2:]
		return last == "" || strings.Trim(last, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// isLocalhost reports whether host is "localhost" or, with subdomains, a
// name under it (RFC 6761 keeps them all on this machine).
func isLocalhost(host string, subdomains bool) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || subdomains && strings.HasSuffix(h, ".localhost")
}

var (
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	// embedsIPv4 are the IPv6 ranges whose addresses carry an IPv4 address
	// that a gateway, or the host's own stack, may deliver to: NAT64 (well
	// known and local use), 6to4 and the deprecated IPv4-compatible form.
	// [64:ff9b::a9fe:a9fe] is the metadata service behind a NAT64 gateway.
	embedsIPv4 = []netip.Prefix{
		netip.MustParsePrefix("64:ff9b::/96"),
		netip.MustParsePrefix("64:ff9b:1::/48"),
		netip.MustParsePrefix("2002::/16"),
		netip.MustParsePrefix("::/96"),
	}
)

// publicAddr reports whether addr may be called outside local mode. An
// IPv4-mapped address is judged as the IPv4 address it maps, and a zone
// (which would make Prefix.Contains match nothing) is ignored.
func publicAddr(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	if !addr.IsGlobalUnicast() || addr.IsPrivate() || sharedSpace.Contains(addr) || thisNetwork.Contains(addr) {
		return false
	}
	for _, p := range embedsIPv4 {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}
