package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"transcoder/app/jobs"
	"transcoder/app/lambdafn"
	appserver "transcoder/app/server"
	"transcoder/app/sqlite"
)

// lambdaPagesBench measures what open job pages cost on Lambda, where every
// invocation in progress is one concurrent execution: pages pages follow an
// open job for window, once by event streams (each open stream is an
// invocation for its whole life, the baseline) and once by polling GET
// /jobs/:id with If-None-Match every pollEvery. Both run in process through
// the function's own handler (lambdafn.Handler, as the Lambda runtime calls
// it) over the real SQLite store, while the jobs progress.
func lambdaPagesBench(pages int, window, pollEvery time.Duration) error {
	dir, err := os.MkdirTemp("", "transcoder-lambda-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "jobs.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	ctx := context.Background()
	for i := range pages {
		if _, err := store.Apply(ctx, &jobs.Update{JobID: pageJob(i), Owner: "bench", At: time.Now(), State: jobs.Progressing, Progress: 1}); err != nil {
			return err
		}
	}
	fmt.Printf("Lambda live updates: %d open job pages for %s each way, through the Lambda handler in process (jobs progress every 5 s)\n", pages, window)
	streams, err := lambdaPages(store, pages, window, false, 0)
	if err != nil {
		return err
	}
	polls, err := lambdaPages(store, pages, window, true, pollEvery)
	if err != nil {
		return err
	}
	fmt.Printf("  %-38s %7.1f invocations/s, average %8.2f ms, %6.2f execution-seconds per second (= concurrent executions; baseline)\n",
		"event streams (10 s each, reconnecting)", streams.rate(), streams.avgMS(), streams.concurrency())
	fmt.Printf("  %-38s %7.1f invocations/s, average %8.2f ms, %6.2f execution-seconds per second = %.4f of the streams' (%.0f%% answered 304)\n",
		"polling every "+pollEvery.String()+" with If-None-Match", polls.rate(), polls.avgMS(), polls.concurrency(),
		polls.concurrency()/streams.concurrency(), 100*float64(polls.notModified)/float64(max(polls.invocations, 1)))
	fmt.Printf("  goal: %d open pages hold less than 1 execution (a fresh account may have 10): %s\n", pages, verdict(polls.concurrency() < 1))
	return nil
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "not met"
}

func pageJob(i int) string { return "j-page-" + strconv.Itoa(i) }

type pagesResult struct {
	window      time.Duration
	invocations int
	notModified int
	busy        time.Duration
}

func (r *pagesResult) rate() float64        { return float64(r.invocations) / r.window.Seconds() }
func (r *pagesResult) concurrency() float64 { return r.busy.Seconds() / r.window.Seconds() }
func (r *pagesResult) avgMS() float64 {
	return float64(r.busy.Microseconds()) / 1000 / float64(max(r.invocations, 1))
}

// lambdaPages runs one way of following jobs and adds up the time spent
// inside invocations.
func lambdaPages(store *sqlite.Store, pages int, window time.Duration, poll bool, every time.Duration) (*pagesResult, error) {
	srv := appserver.New(appserver.Deps{
		Logger: slog.New(slog.DiscardHandler), Store: store, APIToken: benchToken,
		Poll: poll, StreamLifetime: 10 * time.Second, // as on Lambda
	})
	srv.SetReady(true)
	handle := lambdafn.Handler(srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()

	// The jobs move on meanwhile, as running jobs do.
	var progress sync.WaitGroup
	progress.Go(func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for p := 2; ; p++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for i := range pages {
				store.Apply(context.Background(), &jobs.Update{JobID: pageJob(i), At: time.Now(), State: jobs.Progressing, Progress: min(p, 99)})
			}
		}
	})
	defer progress.Wait()

	res := &pagesResult{window: window}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for i := range pages {
		wg.Go(func() {
			path := "/jobs/" + pageJob(i)
			if !poll {
				path += "/events"
			} else {
				// Pages opened at different moments poll at different ones.
				select {
				case <-ctx.Done():
					return
				case <-time.After(rand.N(every)):
				}
			}
			tag := ""
			for ctx.Err() == nil {
				start := time.Now()
				status, etag, err := invoke(ctx, handle, path, tag)
				took := time.Since(start)
				mu.Lock()
				res.invocations++
				res.busy += took
				if status == 304 {
					res.notModified++
				}
				if err != nil && firstErr == nil && ctx.Err() == nil {
					firstErr = err
				}
				mu.Unlock()
				if etag != "" {
					tag = etag
				}
				if poll {
					select {
					case <-ctx.Done():
					case <-time.After(every - took):
					}
				}
			}
		})
	}
	wg.Wait()
	return res, firstErr
}

const benchToken = "bench-token-0123456789"

// invoke sends one Function URL request as the Lambda runtime would hand it
// to the function, and reads the streamed answer to its end (for a stream,
// until the window closes it).
func invoke(ctx context.Context, handle func(context.Context, json.RawMessage) (any, error), path, tag string) (int, string, error) {
	req := lambdaevents.LambdaFunctionURLRequest{RawPath: path, Headers: map[string]string{"authorization": "Bearer " + benchToken}}
	if tag != "" {
		req.Headers["if-none-match"] = tag
	}
	req.RequestContext.DomainName = "abc.lambda-url.us-east-1.on.aws"
	req.RequestContext.HTTP.Method = "GET"
	payload, _ := json.Marshal(req)
	out, err := handle(ctx, payload)
	if err != nil {
		return 0, "", err
	}
	resp, ok := out.(*lambdaevents.LambdaFunctionURLStreamingResponse)
	if !ok {
		return 0, "", fmt.Errorf("a Function URL request was answered with %T, not a stream", out)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil && ctx.Err() == nil {
		return resp.StatusCode, "", err
	}
	if resp.StatusCode != 200 && resp.StatusCode != 304 {
		return resp.StatusCode, "", fmt.Errorf("GET %s answered %d", path, resp.StatusCode)
	}
	return resp.StatusCode, resp.Headers["Etag"], nil
}
