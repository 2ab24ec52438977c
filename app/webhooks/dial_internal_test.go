package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"testing"

	"transcoder/app/jobs"
)

func TestTheDialPoliciesJudgeTheAddressDialledUnmapped(t *testing.T) {
	tests := []struct {
		name   string
		policy dialPolicy
		addr   string
		allow  bool
	}{
		{"public only allows a public IPv4 address", publicOnly, "203.0.113.7", true},
		{"public only allows a public IPv6 address", publicOnly, "2001:db8::1", true},
		{"public only refuses loopback", publicOnly, "127.0.0.1", false},
		{"public only refuses IPv4-mapped loopback", publicOnly, "::ffff:127.0.0.1", false},
		{"public only refuses IPv6 loopback", publicOnly, "::1", false},
		{"public only refuses the metadata service", publicOnly, "169.254.169.254", false},
		{"public only refuses the metadata service through NAT64", publicOnly, "64:ff9b::a9fe:a9fe", false},
		{"public only refuses a private address", publicOnly, "10.0.0.1", false},
		{"public only refuses IPv4-mapped private addresses", publicOnly, "::ffff:192.168.0.1", false},
		{"loopback only allows 127/8", loopbackOnly, "127.9.9.9", true},
		{"loopback only allows IPv4-mapped loopback", loopbackOnly, "::ffff:127.0.0.1", true},
		{"loopback only allows IPv6 loopback", loopbackOnly, "::1", true},
		{"loopback only refuses a public address", loopbackOnly, "203.0.113.7", false},
		{"loopback only refuses a private address", loopbackOnly, "192.168.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy(netip.MustParseAddr(tt.addr))
			if allowed := err == nil; allowed != tt.allow {
				t.Fatalf("policy(%s) = %v, want allowed %v", tt.addr, err, tt.allow)
			}
		})
	}
}

// nopStore is a store that New accepts; these tests make no call.
type nopStore struct{ jobs.Store }

func TestTheDefaultClientUsesNoProxy(t *testing.T) {
	for _, local := range []bool{false, true} {
		d, err := New(Options{Store: nopStore{}, Secret: []byte("0123456789abcdef"), View: func(*jobs.Job) any { return nil }, AllowLoopbackHTTP: local})
		if err != nil {
			t.Fatal(err)
		}
		var ts []*http.Transport
		switch rt := d.client.Transport.(type) {
		case nil:
			ts = append(ts, http.DefaultTransport.(*http.Transport))
		case *http.Transport:
			ts = append(ts, rt)
		case *schemeTransport:
			ts = append(ts, rt.http, rt.https)
		default:
			t.Fatalf("local %v: transport %T", local, rt)
		}
		for _, tr := range ts {
			if tr.Proxy != nil {
				t.Errorf("local %v: the default client's transport has a proxy function, which would dial in the dial policy's stead", local)
			}
			if tr.DialContext == nil {
				t.Errorf("local %v: the default client's transport dials without the dial policy", local)
			}
		}
	}
}

func TestTheDialPolicyRefusesALoopbackListenerReachedByName(t *testing.T) {
	// The transport's own dialer, called directly: "localhost" resolves to
	// loopback without DNS.
	for _, host := range []string{"localhost", "127.0.0.1", "[::ffff:127.0.0.1]"} {
		conn, err := policyTransport(publicOnly).DialContext(context.Background(), "tcp", host+":1")
		if err == nil {
			conn.Close()
		}
		var ae *addressError
		if !errors.As(err, &ae) {
			t.Errorf("dialling %s: %v, want the address refused", host, err)
		}
	}
}
