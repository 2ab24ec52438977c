package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"transcoder/app/jobs"
	"transcoder/app/sqlite"
)

// delivery returns the n-th event of a stream in which every job gets five
// events, each of which changes it: the writes a busy service makes.
func delivery(n int) *jobs.Update {
	id := fmt.Sprintf("job-%d", n/5)
	u := &jobs.Update{JobID: id, At: t0.Add(time.Duration(n) * time.Millisecond)}
	switch n % 5 {
	case 0:
		u.State, u.Engine, u.EngineJobID, u.Queue = jobs.Submitted, jobs.MediaConvert, "mc-"+id, "Default"
		u.Metadata = map[string]string{jobs.MetadataJobID: id}
	case 1:
		u.State = jobs.Progressing
		u.Input = &jobs.Input{URI: "s3://in/" + id + ".mov", DurationMS: 61_440, Details: map[string]any{"codec": "h264"}}
	case 2:
		u.State, u.Progress = jobs.Progressing, 50
	case 3:
		u.State, u.Progress = jobs.Progressing, 90
		u.Warnings = []jobs.Warning{{Code: "230005", Message: "Audio track has silence", Count: 1}}
	default:
		u.State = jobs.Complete
		u.Outputs = []jobs.Output{{URI: "s3://out/" + id + "/master.m3u8", Preset: "hls-1080p", Status: "COMPLETE"}}
	}
	return u
}

// BenchmarkApply measures durable applies (synchronous=FULL) with one caller
// at a time, where every apply pays a commit of its own, and with many callers
// at once, where group commit shares each commit among the calls waiting for
// it. It reports applies/s and the average and largest batch.
func BenchmarkApply(b *testing.B) {
	b.Run("sequential", func(b *testing.B) {
		s := openClosing(b, filepath.Join(b.TempDir(), "transcoder.db"))
		ctx := context.Background()
		b.ResetTimer()
		for n := range b.N {
			if _, err := s.Apply(ctx, delivery(n)); err != nil {
				b.Fatal(err)
			}
		}
		report(b, s)
	})
	for _, callers := range []int{8, 64, 256} {
		b.Run(fmt.Sprintf("parallel-%d-callers", callers), func(b *testing.B) {
			s := openClosing(b, filepath.Join(b.TempDir(), "transcoder.db"))
			ctx := context.Background()
			var next atomic.Int64
			b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Apply(ctx, delivery(int(next.Add(1)-1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			report(b, s)
		})
	}
}

// BenchmarkApplyLatency measures what one delivery waits for the store
// when calls come one after another: p99 and max show the commits that
// stall, which an average hides (a checkpoint inside a commit was one).
func BenchmarkApplyLatency(b *testing.B) {
	s := openClosing(b, filepath.Join(b.TempDir(), "transcoder.db"))
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for n := range b.N {
		t := time.Now()
		if _, err := s.Apply(ctx, delivery(n)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	slices.Sort(lat)
	at := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(at(0.999), "p99.9-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}

func report(b *testing.B, s *sqlite.Store) {
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "applies/s")
	if st.Commits > 0 {
		b.ReportMetric(float64(st.Requests)/float64(st.Commits), "applies/commit")
	}
	b.ReportMetric(float64(st.MaxBatch), "max-batch")
}
