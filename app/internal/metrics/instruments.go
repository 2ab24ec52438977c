package metrics

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// CounterVec is a family of counters told apart by their label values, such
// as deliveries by outcome. A series appears once it is first counted.
type CounterVec struct {
	name, help string
	labels     []string
	mu         sync.RWMutex
	series     map[string]*Counter
}

// Counter is one series of a CounterVec: a number that only goes up.
type Counter struct {
	values []string
	n      atomic.Uint64
}

// CounterVec registers a counter family named name (by convention ending in
// _total) with the given label names.
func (r *Registry) CounterVec(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{name: name, help: help, labels: slices.Clone(labels), series: map[string]*Counter{}}
	r.add(name, labels, c)
	return c
}

// WithLabelValues is the counter for these label values, in the order of the
// family's label names; it panics when their number differs, a programming
// error.
func (c *CounterVec) WithLabelValues(values ...string) *Counter {
	if len(values) != len(c.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values (%s), got %d", c.name, len(c.labels), strings.Join(c.labels, ", "), len(values)))
	}
	key := strings.Join(values, "\xff")
	c.mu.RLock()
	s := c.series[key]
	c.mu.RUnlock()
	if s != nil {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s = c.series[key]; s == nil {
		s = &Counter{values: slices.Clone(values)}
		c.series[key] = s
	}
	return s
}

// Inc counts one.
func (c *Counter) Inc() { c.n.Add(1) }

// Value is the count so far.
func (c *Counter) Value() uint64 { return c.n.Load() }

func (c *CounterVec) write(b *strings.Builder) {
	c.mu.RLock()
	all := make([]*Counter, 0, len(c.series))
	for _, s := range c.series {
		all = append(all, s)
	}
	c.mu.RUnlock()
	if len(all) == 0 {
		return
	}
	slices.SortFunc(all, func(x, y *Counter) int { return slices.Compare(x.values, y.values) })
	header(b, c.name, c.help, "counter")
	for _, s := range all {
		sample(b, c.name, c.labels, s.values, float64(s.Value()))
	}
}

// Histogram counts observations, such as durations, into fixed buckets and
// keeps their sum; it is written with cumulative buckets up to +Inf.
type Histogram struct {
	name, help string
	bounds     []float64       // upper bounds, ascending, without +Inf
	counts     []atomic.Uint64 // per bucket, not cumulative; the last is above every bound
	sum        atomicFloat
}

// Histogram registers a histogram named name with the given bucket upper
// bounds, which must ascend strictly; +Inf is added by itself.
func (r *Registry) Histogram(name, help string, buckets []float64) *Histogram {
	for i := 1; i < len(buckets); i++ {
		if buckets[i] <= buckets[i-1] {
			panic(fmt.Sprintf("metrics: the buckets of %s must ascend strictly, but %v comes after %v", name, buckets[i], buckets[i-1]))
		}
	}
	h := &Histogram{name: name, help: help, bounds: slices.Clone(buckets), counts: make([]atomic.Uint64, len(buckets)+1)}
	r.add(name, nil, h)
	return h
}

// Observe records one value: it falls into the first bucket whose upper
// bound is at least v.
func (h *Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v)
	h.counts[i].Add(1)
	h.sum.add(v)
}

func (h *Histogram) write(b *strings.Builder) {
	header(b, h.name, h.help, "histogram")
	le := []string{"le"}
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		bound := "+Inf"
		if i < len(h.bounds) {
			bound = formatFloat(h.bounds[i])
		}
		sample(b, h.name+"_bucket", le, []string{bound}, float64(cum))
	}
	sample(b, h.name+"_sum", nil, nil, h.sum.load())
	// The count is the +Inf bucket, so the two always agree.
	sample(b, h.name+"_count", nil, nil, float64(cum))
}

// gaugeFunc is a gauge whose value is read when the registry is written.
type gaugeFunc struct {
	name, help string
	labels     []string
	values     []string
	read       func() float64
}

// GaugeFunc registers a gauge whose value read returns at each scrape, with
// constant labels (names and values alternating), as go_info carries the Go
// version.
func (r *Registry) GaugeFunc(name, help string, read func() float64, constLabels ...string) {
	if len(constLabels)%2 != 0 {
		panic(fmt.Sprintf("metrics: the constant labels of %s come in name, value pairs, got %d strings", name, len(constLabels)))
	}
	g := &gaugeFunc{name: name, help: help, read: read}
	for i := 0; i < len(constLabels); i += 2 {
		g.labels = append(g.labels, constLabels[i])
		g.values = append(g.values, constLabels[i+1])
	}
	r.add(name, g.labels, g)
}

func (g *gaugeFunc) write(b *strings.Builder) {
	header(b, g.name, g.help, "gauge")
	sample(b, g.name, g.labels, g.values, g.read())
}
