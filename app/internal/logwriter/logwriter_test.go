package logwriter

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// file records every write it is given; while held, each write first says it
// has started and then waits to be let go.
type file struct {
	mu     sync.Mutex
	writes [][]byte
	err    error

	held    bool
	started chan struct{}
	release chan struct{}
}

func heldFile() *file {
	return &file{held: true, started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (f *file) Write(p []byte) (int, error) {
	if f.held {
		f.started <- struct{}{}
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, bytes.Clone(p))
	return len(p), f.err
}

func (f *file) text() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(bytes.Join(f.writes, nil))
}

func (f *file) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.writes)
}

func TestEveryLineReachesTheFileWholeAndInEachWritersOrder(t *testing.T) {
	f := &file{}
	w := New(f)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "writer %d line %d\n", g, i)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(f.text(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("the file has %d lines, want %d", len(got), writers*lines)
	}
	for _, line := range got {
		var g, i int
		if _, err := fmt.Sscanf(line, "writer %d line %d", &g, &i); err != nil || g < 0 || g >= writers {
			t.Fatalf("a line came out torn: %q", line)
		}
		if i != next[g] {
			t.Fatalf("writer %d's line %d came where its line %d was due", g, i, next[g])
		}
		next[g]++
	}
}

// The point of the package: a caller never waits for the file, and what is
// logged while the file is busy reaches it in one write.
func TestLinesLoggedWhileTheFileIsBusyGoOutInOneWrite(t *testing.T) {
	f := heldFile()
	w := New(f)
	w.Write([]byte("first\n"))
	<-f.started // the goroutine is in the file with the first line
	for i := range 99 {
		if _, err := fmt.Fprintf(w, "line %d\n", i); err != nil { // returns although the file is held
			t.Fatal(err)
		}
	}
	close(f.release)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := f.calls(); n != 2 {
		t.Errorf("100 lines took %d writes, want 2: the first, then the 99 logged while it was in the file", n)
	}
	if got := f.text(); !strings.HasPrefix(got, "first\nline 0\n") || !strings.HasSuffix(got, "line 98\n") {
		t.Errorf("the file reads %q...", got[:min(len(got), 40)])
	}
}

// Under load a write goes out at most once every Gather: a line logged just
// after a write waits for the rest of it. The bound is a lower one, which
// a slow machine only makes longer.
func TestALineLoggedRightAfterAWriteWaitsOutGather(t *testing.T) {
	f := &file{}
	w := New(f)
	defer w.Close()
	start := time.Now()
	w.Write([]byte("first\n"))
	waitUntil(t, func() bool { return f.calls() == 1 })
	w.Write([]byte("second\n"))
	waitUntil(t, func() bool { return f.calls() == 2 })
	if took := time.Since(start); took < Gather {
		t.Errorf("the second line was written %v after the first was logged, want at least Gather (%v)", took, Gather)
	}
	if got := f.text(); got != "first\nsecond\n" {
		t.Errorf("the file reads %q", got)
	}
}

// waitUntil polls cond for up to ten seconds. It yields rather than
// sleeps between polls: a sleep can take a millisecond here, as long as
// what is measured.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("not written after 10s")
		}
	}
}

func TestACallerWaitsOnceMostBytesAreWaiting(t *testing.T) {
	f := heldFile()
	w := New(f)
	w.Write([]byte("first\n"))
	<-f.started
	if _, err := w.Write(bytes.Repeat([]byte("x"), Most-1)); err != nil {
		t.Fatal(err)
	}
	returned := make(chan struct{})
	go func() {
		w.Write([]byte("more than Most\n"))
		close(returned)
	}()
	select {
	case <-returned:
		t.Fatal("a write beyond Most returned while the file was stalled: a stalled file would fill the memory")
	case <-time.After(50 * time.Millisecond):
	}
	close(f.release)
	<-returned
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := f.text(); !strings.HasSuffix(got, "x\nmore than Most\n") && !strings.HasSuffix(got, "xmore than Most\n") {
		t.Errorf("the line that waited is not last: ...%q", got[max(0, len(got)-20):])
	}
}

func TestCloseWritesOutWhatIsPendingAndLaterLinesGoDirectly(t *testing.T) {
	f := heldFile()
	w := New(f)
	w.Write([]byte("a\n"))
	<-f.started
	w.Write([]byte("b\n"))
	closed := make(chan error)
	go func() { closed <- w.Close() }()
	close(f.release) // every write goes through from now on
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("c\n"))
	if err := w.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if got := f.text(); got != "a\nb\nc\n" {
		t.Errorf("the file reads %q, want a, b, c in order", got)
	}
}

func TestCloseReportsTheFilesFirstError(t *testing.T) {
	full := errors.New("no space left on device")
	f := &file{err: full}
	w := New(f)
	w.Write([]byte("lost\n"))
	if err := w.Close(); !errors.Is(err, full) {
		t.Errorf("Close returned %v, want the file's error", err)
	}
	if !slices.EqualFunc(f.writes, [][]byte{[]byte("lost\n")}, bytes.Equal) {
		t.Errorf("the file was given %q", f.writes)
	}
}
