package main

import (
	"bufio"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The load generator's response reader must read what a real server writes,
// one response after another on a keep-alive connection, and refuse what it
// cannot read exactly rather than lose its place in the stream.
func TestReadResponseFollowsAKeepAliveConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/refused":
			http.Error(w, "no", http.StatusForbidden)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/chunked":
			w.Write([]byte("part"))
			w.(http.Flusher).Flush()
			w.Write([]byte(" two"))
		default:
			w.Write([]byte(`{"outcome":"updated"}`))
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	ask := func(path string) (int, error) {
		t.Helper()
		if _, err := conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		return readResponse(br)
	}
	for _, c := range []struct {
		path string
		want int
	}{{"/ok", 200}, {"/refused", 403}, {"/empty", 204}, {"/ok", 200}} {
		got, err := ask(c.path)
		if err != nil || got != c.want {
			t.Fatalf("%s: status %d, error %v; want %d", c.path, got, err, c.want)
		}
	}
	if _, err := ask("/chunked"); err == nil || !strings.Contains(err.Error(), "Transfer-Encoding") {
		t.Fatalf("a chunked response read as %v, want an error naming Transfer-Encoding", err)
	}
}

func TestReadResponseRefusesWhatIsNotHTTP(t *testing.T) {
	for _, in := range []string{
		"SSH-2.0-OpenSSH\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
	} {
		if status, err := readResponse(bufio.NewReader(strings.NewReader(in))); err == nil {
			t.Errorf("%q read as status %d, want an error", in, status)
		}
	}
}

// A full-load phase that leaves the cores idle is bounded by latency, not
// by the CPU: the run must say so, and must not when the cores were busy.
func TestSaturationSaysWhenTheCoresWereNotBusy(t *testing.T) {
	cores := time.Duration(runtime.GOMAXPROCS(0))
	busy := saturation(cores*800*time.Millisecond, cores*150*time.Millisecond, time.Second)
	if !strings.HasPrefix(busy, "cores busy: 95% (server 80%, load generator 15%)") || strings.Contains(busy, "-conns") {
		t.Errorf("busy cores read as %q", busy)
	}
	idle := saturation(cores*600*time.Millisecond, cores*150*time.Millisecond, time.Second)
	if !strings.HasPrefix(idle, "cores busy: 75%") || !strings.Contains(idle, "more -conns") {
		t.Errorf("cores a quarter idle read as %q, want a warning that names -conns", idle)
	}
}
