//go:build !transcoder_lambda

package main

import (
	"net"
	"slices"
	"testing"
)

func TestTheServiceReachesItselfOnLoopbackWhenListeningEverywhere(t *testing.T) {
	tests := []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, "http://127.0.0.1:9"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9}, "http://[::1]:9"},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 80}, "http://192.0.2.7:80"},
	}
	for _, tt := range tests {
		if got := baseURL(tt.addr); got != tt.want {
			t.Errorf("baseURL(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestALoopbackPageMayUploadFromEitherLoopbackName(t *testing.T) {
	got := pageOrigins("http://127.0.0.1:8080")
	for _, want := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"} {
		if !slices.Contains(got, want) {
			t.Errorf("origins %v lack %s", got, want)
		}
	}
	if got := pageOrigins("http://192.0.2.7:80"); len(got) != 1 || got[0] != "http://192.0.2.7:80" {
		t.Errorf("a non-loopback service allows %v", got)
	}
}
