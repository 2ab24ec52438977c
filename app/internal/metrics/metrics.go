// Package metrics is the service's own small metrics registry: counter
// vectors with labels, histograms with fixed buckets and gauges read at
// scrape time, written in the Prometheus text exposition format 0.0.4.
//
// It replaces prometheus/client_golang, whose protobuf encoding and
// collectors were the largest piece of the Lambda bootstrap that nothing
// there needed: a scraper reads the same names and meanings from /metrics as
// before, with a fraction of the code loaded at every cold start.
package metrics

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds the metric families of one process (or of one test's
// server) and writes them out. Its zero value is not usable: make one with
// NewRegistry.
type Registry struct {
	mu       sync.Mutex
	families map[string]family
}

// family is one metric family: it writes its HELP and TYPE lines and its
// samples.
type family interface {
	// write appends the family's text, or nothing when it has no sample yet.
	write(b *strings.Builder)
}

// NewRegistry makes an empty registry.
func NewRegistry() *Registry {
	return &Registry{families: map[string]family{}}
}

var (
	nameRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// add registers f under name. A bad or duplicate name is a programming
// error, found by the first test that builds the registry, so it panics.
func (r *Registry) add(name string, labels []string, f family) {
	if !nameRE.MatchString(name) {
		panic(fmt.Sprintf("metrics: %q is not a valid metric name: use letters, digits, _ and :, not starting with a digit", name))
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) || strings.HasPrefix(l, "__") || l == "le" {
			panic(fmt.Sprintf("metrics: %q is not a valid label name for %s: use letters, digits and _, not starting with a digit or __, and not le", l, name))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.families[name]; ok {
		panic(fmt.Sprintf("metrics: %s is registered twice: register each metric once per registry", name))
	}
	r.families[name] = f
}

// Text is the whole exposition: every family that has a sample, sorted by
// name, each with its HELP and TYPE lines once.
func (r *Registry) Text() string {
	r.mu.Lock()
	names := make([]string, 0, len(r.families))
	for n := range r.families {
		names = append(names, n)
	}
	fams := make([]family, 0, len(names))
	slices.Sort(names)
	for _, n := range names {
		fams = append(fams, r.families[n])
	}
	r.mu.Unlock()
	var b strings.Builder
	for _, f := range fams {
		f.write(&b)
	}
	return b.String()
}

// ContentType is the media type of the text exposition format 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves the registry's text at every scrape.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		io.WriteString(w, r.Text())
	})
}

// header writes a family's HELP and TYPE lines.
func header(b *strings.Builder, name, help, typ string) {
	b.WriteString("# HELP ")
	b.WriteString(name)
	b.WriteByte(' ')
	b.WriteString(escapeHelp(help))
	b.WriteString("\n# TYPE ")
	b.WriteString(name)
	b.WriteByte(' ')
	b.WriteString(typ)
	b.WriteByte('\n')
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// escapeHelp escapes a docstring as the format asks: backslash and newline.
func escapeHelp(s string) string { return helpEscaper.Replace(s) }

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// sample writes one line: name{labels} value.
func sample(b *strings.Builder, name string, names, values []string, v float64) {
	b.WriteString(name)
	if len(names) > 0 {
		b.WriteByte('{')
		for i, n := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n)
			b.WriteString(`="`)
			b.WriteString(escapeLabel(values[i]))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

// formatFloat writes a value as Go's ParseFloat reads it, with the format's
// spellings of the infinities and NaN.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// atomicFloat is a float64 that goroutines add to without a lock.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) add(d float64) {
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }
