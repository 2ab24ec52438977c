package metrics

import (
	"runtime"
	rtm "runtime/metrics"
)

// goRuntime maps the few Go runtime figures worth watching on the service to
// the names Prometheus's Go collector gives them, so dashboards keep
// working.
var goRuntime = []struct{ name, help, sample string }{
	{"go_goroutines", "Number of goroutines that currently exist.", "/sched/goroutines:goroutines"},
	{"go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.", "/memory/classes/heap/objects:bytes"},
	{"go_memstats_sys_bytes", "Number of bytes obtained from the system.", "/memory/classes/total:bytes"},
	{"go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting.", "/sched/gomaxprocs:threads"},
}

// GoRuntime registers gauges for the Go runtime's goroutines, heap, memory
// from the system, GOMAXPROCS and GC cycles (read from runtime/metrics at
// each scrape), and go_info with the Go version.
func (r *Registry) GoRuntime() {
	for _, m := range goRuntime {
		r.GaugeFunc(m.name, m.help, func() float64 {
			s := []rtm.Sample{{Name: m.sample}}
			rtm.Read(s)
			switch s[0].Value.Kind() {
			case rtm.KindUint64:
				return float64(s[0].Value.Uint64())
			case rtm.KindFloat64:
				return s[0].Value.Float64()
			}
			return 0 // not supported by this Go: reads as zero rather than failing the scrape
		})
	}
	r.GaugeFunc("go_info", "Information about the Go environment.", func() float64 { return 1 }, "version", runtime.Version())
}
