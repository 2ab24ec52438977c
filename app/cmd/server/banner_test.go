//go:build !transcoder_lambda

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestForPeopleTheServiceSaysInPlainWordsWhereToOpenItAndWhereTheTokenIs(t *testing.T) {
	env := pipelineEnv(t)
	delete(env, "API_TOKEN")
	env["LOG_FORMAT"] = "text"
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"server"}, func(k string) string { return env[k] }, pw)
		pw.Close()
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, pr)
	}()
	var seen []string
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the service stopped; it said:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if json.Valid([]byte(l)) && strings.HasPrefix(l, "{") {
				t.Fatalf("LOG_FORMAT=text wrote a JSON line: %s", l)
			}
			if !strings.HasPrefix(l, "  state is kept in") {
				continue
			}
			out := strings.Join(seen, "\n")
			for _, want := range []string{"transcoder is ready: open http://127.0.0.1:", filepath.Join(env["DATA_DIR"], "api-token"), "Ctrl-C stops everything"} {
				if !strings.Contains(out, want) {
					t.Fatalf("the start-up words lack %q:\n%s", want, out)
				}
			}
			return
		case <-deadline:
			t.Fatalf("no plain words in time; the service said:\n%s", strings.Join(seen, "\n"))
		}
	}
}
