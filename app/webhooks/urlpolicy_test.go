package webhooks_test

import (
	"errors"
	"strings"
	"testing"

	"transcoder/app/webhooks"
)

func TestCheckCallbackURLRefusesEveryURLOutsideThePolicy(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", webhooks.MaxURLLength)
	tests := []struct {
		name    string
		raw     string
		local   bool   // allowLoopbackHTTP
		refusal string // in the reason; empty: accepted
	}{
		{"an https URL with a name is accepted", "https://hooks.example.com/transcoder?k=v", false, ""},
		{"an https URL with a port is accepted", "https://hooks.example.com:8443/t", false, ""},
		{"an https URL with a public IPv4 address is accepted", "https://203.0.113.7/hook", false, ""},
		{"an https URL with a public IPv6 address is accepted", "https://[2001:db8::1]/hook", false, ""},
		{"a URL of exactly the longest length is accepted", long[:webhooks.MaxURLLength], false, ""},
		{"http to 127.0.0.1 is accepted in local mode", "http://127.0.0.1:8080/hook", true, ""},
		{"http to anywhere in 127/8 is accepted in local mode", "http://127.9.9.9/hook", true, ""},
		{"http to ::1 is accepted in local mode", "http://[::1]:8080/hook", true, ""},
		{"http to localhost is accepted in local mode", "http://LocalHost:8080/hook", true, ""},
		{"https to a private address is accepted in local mode", "https://10.0.0.1/hook", true, ""},

		{"a URL over the longest length is refused", long, false, "longer than"},
		{"a string that does not parse is refused", "https://exa mple.com/", false, "not a URL"},
		{"a relative URL is refused", "/hook", false, "no host"},
		{"an opaque URL is refused", "https:example.com", false, "no host"},
		{"a URL with a port but no host is refused", "https://:443/hook", false, "no host"},
		{"user info is refused", "https://user:pass@example.com/hook", false, "user info"},
		{"a user name alone is refused", "https://user@example.com/hook", false, "user info"},
		{"http is refused outside local mode", "http://example.com/hook", false, "https"},
		{"http to loopback is refused outside local mode", "http://127.0.0.1/hook", false, "https"},
		{"http to a non-loopback host is refused in local mode", "http://example.com/hook", true, "loopback"},
		{"http to a private address is refused in local mode", "http://192.168.1.1/hook", true, "loopback"},
		{"http to a name under localhost is refused in local mode", "http://evil.localhost/hook", true, "loopback"},
		{"another scheme is refused", "ftp://example.com/hook", false, "scheme"},
		{"another scheme is refused in local mode", "file://localhost/etc/passwd", true, "scheme"},
		{"a decimal IPv4 shorthand is refused", "https://2130706433/hook", true, "dotted-quad"},
		{"a short dotted IPv4 form is refused", "https://127.1/hook", true, "dotted-quad"},
		{"a hex IPv4 form is refused", "https://0x7f000001/hook", true, "dotted-quad"},
		{"a numeric top-level label is refused", "https://example.123/hook", false, "dotted-quad"},
		{"https to localhost is refused outside local mode", "https://localhost/hook", false, "this machine"},
		{"https to a name under localhost is refused outside local mode", "https://a.localhost./hook", false, "this machine"},
		{"https to IPv4 loopback is refused outside local mode", "https://127.0.0.1/hook", false, "not a public address"},
		{"https to IPv6 loopback is refused outside local mode", "https://[::1]/hook", false, "not a public address"},
		{"https to IPv4-mapped loopback is refused outside local mode", "https://[::ffff:127.0.0.1]/hook", false, "not a public address"},
		{"https to 10/8 is refused outside local mode", "https://10.1.2.3/hook", false, "not a public address"},
		{"https to 172.16/12 is refused outside local mode", "https://172.31.255.1/hook", false, "not a public address"},
		{"https to 192.168/16 is refused outside local mode", "https://192.168.0.10/hook", false, "not a public address"},
		{"https to a unique local IPv6 address is refused outside local mode", "https://[fd00::1]/hook", false, "not a public address"},
		{"https to the metadata service is refused outside local mode", "https://169.254.169.254/latest", false, "not a public address"},
		{"https to IPv6 link-local is refused outside local mode", "https://[fe80::1%25eth0]/hook", false, "not a public address"},
		{"https to shared address space is refused outside local mode", "https://100.64.0.1/hook", false, "not a public address"},
		{"https to this network is refused outside local mode", "https://0.1.2.3/hook", false, "not a public address"},
		{"https to the unspecified address is refused outside local mode", "https://0.0.0.0/hook", false, "not a public address"},
		{"https to a multicast address is refused outside local mode", "https://224.0.0.1/hook", false, "not a public address"},
		{"https to the broadcast address is refused outside local mode", "https://255.255.255.255/hook", false, "not a public address"},
		{"https to a NAT64 address of the metadata service is refused outside local mode", "https://[64:ff9b::a9fe:a9fe]/hook", false, "not a public address"},
		{"https to a NAT64 address with a zone is refused outside local mode", "https://[64:ff9b::a9fe:a9fe%25eth0]/hook", false, "not a public address"},
		{"https to a local-use NAT64 address is refused outside local mode", "https://[64:ff9b:1::a9fe:a9fe]/hook", false, "not a public address"},
		{"https to a 6to4 address of the metadata service is refused outside local mode", "https://[2002:a9fe:a9fe::]/hook", false, "not a public address"},
		{"https to a 6to4 address of a public host is refused outside local mode", "https://[2002:cb00:7107::1]/hook", false, "not a public address"},
		{"https to an IPv4-compatible address is refused outside local mode", "https://[::a9fe:a9fe]/hook", false, "not a public address"},
		{"https to an IPv4-compatible address of a public host is refused outside local mode", "https://[::203.0.113.7]/hook", false, "not a public address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhooks.CheckCallbackURL(tt.raw, tt.local)
			if tt.refusal == "" {
				if err != nil {
					t.Fatalf("CheckCallbackURL = %v, want accepted", err)
				}
				return
			}
			var ue *webhooks.URLError
			if !errors.As(err, &ue) || !strings.Contains(ue.Reason, tt.refusal) {
				t.Fatalf("CheckCallbackURL = %v, want a URLError about %q", err, tt.refusal)
			}
		})
	}
}
