package metrics

import (
	"bufio"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestTheRegistryWritesTheTextFormat(t *testing.T) {
	tests := []struct {
		name  string
		build func(r *Registry)
		want  string
	}{
		{
			name:  "a counter family with no series yet writes nothing",
			build: func(r *Registry) { r.CounterVec("jobs_total", "Jobs.", "state") },
			want:  "",
		},
		{
			name: "a counter family writes HELP and TYPE once and its series sorted by label value",
			build: func(r *Registry) {
				c := r.CounterVec("jobs_total", "Jobs by state.", "state")
				c.WithLabelValues("SUBMITTED").Inc()
				c.WithLabelValues("COMPLETE").Inc()
				c.WithLabelValues("SUBMITTED").Inc()
			},
			want: "# HELP jobs_total Jobs by state.\n# TYPE jobs_total counter\n" +
				"jobs_total{state=\"COMPLETE\"} 1\njobs_total{state=\"SUBMITTED\"} 2\n",
		},
		{
			name: "families are sorted by name whatever the order they were registered in",
			build: func(r *Registry) {
				r.CounterVec("zeta_total", "Z.", "l").WithLabelValues("x").Inc()
				r.CounterVec("alpha_total", "A.", "l").WithLabelValues("y").Inc()
			},
			want: "# HELP alpha_total A.\n# TYPE alpha_total counter\nalpha_total{l=\"y\"} 1\n" +
				"# HELP zeta_total Z.\n# TYPE zeta_total counter\nzeta_total{l=\"x\"} 1\n",
		},
		{
			name: "label values escape backslash, double quote and newline",
			build: func(r *Registry) {
				r.CounterVec("odd_total", "Odd.", "v").WithLabelValues("a\\b\"c\nd").Inc()
			},
			want: "# HELP odd_total Odd.\n# TYPE odd_total counter\nodd_total{v=\"a\\\\b\\\"c\\nd\"} 1\n",
		},
		{
			name: "help text escapes backslash and newline but keeps double quotes",
			build: func(r *Registry) {
				r.CounterVec("h_total", "Say \"hi\"\\bye\nnow.", "v").WithLabelValues("x").Inc()
			},
			want: "# HELP h_total Say \"hi\"\\\\bye\\nnow.\n# TYPE h_total counter\nh_total{v=\"x\"} 1\n",
		},
		{
			name: "several labels keep the order they were declared in",
			build: func(r *Registry) {
				r.CounterVec("two_total", "Two.", "b", "a").WithLabelValues("1", "2").Inc()
			},
			want: "# HELP two_total Two.\n# TYPE two_total counter\ntwo_total{b=\"1\",a=\"2\"} 1\n",
		},
		{
			name: "a histogram writes cumulative buckets up to +Inf, then its sum and count",
			build: func(r *Registry) {
				h := r.Histogram("wait_seconds", "Waits.", []float64{2.5e-05, 0.5, 1})
				for _, v := range []float64{0.00001, 0.5, 0.75, 3} {
					h.Observe(v)
				}
			},
			want: "# HELP wait_seconds Waits.\n# TYPE wait_seconds histogram\n" +
				"wait_seconds_bucket{le=\"2.5e-05\"} 1\n" +
				"wait_seconds_bucket{le=\"0.5\"} 2\n" + // a value on a bound falls into that bucket
				"wait_seconds_bucket{le=\"1\"} 3\n" +
				"wait_seconds_bucket{le=\"+Inf\"} 4\n" +
				"wait_seconds_sum 4.25001\nwait_seconds_count 4\n",
		},
		{
			name:  "a histogram with no observation still writes its zero buckets",
			build: func(r *Registry) { r.Histogram("idle_seconds", "Idle.", []float64{1}) },
			want: "# HELP idle_seconds Idle.\n# TYPE idle_seconds histogram\n" +
				"idle_seconds_bucket{le=\"1\"} 0\nidle_seconds_bucket{le=\"+Inf\"} 0\nidle_seconds_sum 0\nidle_seconds_count 0\n",
		},
		{
			name: "a gauge is read at each write, with its constant labels",
			build: func(r *Registry) {
				r.GaugeFunc("build_info", "Build.", func() float64 { return 1 }, "version", "v1.2")
				r.GaugeFunc("temperature", "Now.", func() float64 { return -1.5 })
				r.GaugeFunc("limit", "None.", func() float64 { return math.Inf(1) })
			},
			want: "# HELP build_info Build.\n# TYPE build_info gauge\nbuild_info{version=\"v1.2\"} 1\n" +
				"# HELP limit None.\n# TYPE limit gauge\nlimit +Inf\n" +
				"# HELP temperature Now.\n# TYPE temperature gauge\ntemperature -1.5\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRegistry()
			tt.build(r)
			if got := r.Text(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// parsed is one sample line of the text format, read back by the format's
// rules rather than by a Prometheus library.
type parsed struct {
	name   string
	labels map[string]string
	value  float64
}

// parseText reads an exposition and checks the format's rules as it goes:
// HELP then TYPE once per family, before its samples; every sample belongs
// to the family just declared; label values unescape cleanly.
func parseText(t *testing.T, text string) (types map[string]string, samples []parsed) {
	t.Helper()
	types = map[string]string{}
	helped := map[string]bool{}
	family := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			if helped[name] {
				t.Fatalf("HELP for %s twice", name)
			}
			helped[name], family = true, name
		case strings.HasPrefix(line, "# TYPE "):
			name, typ, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
			if name != family || types[name] != "" {
				t.Fatalf("TYPE %s is not right after its HELP, or comes twice", name)
			}
			types[name] = typ
		default:
			p := parseSample(t, line)
			base := p.name
			if types[family] == "histogram" {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					base = strings.TrimSuffix(base, suffix)
					if base != p.name {
						break
					}
				}
			}
			if base != family {
				t.Fatalf("sample %q is outside its family (the last declared is %s)", line, family)
			}
			samples = append(samples, p)
		}
	}
	return types, samples
}

func parseSample(t *testing.T, line string) parsed {
	t.Helper()
	p := parsed{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		t.Fatalf("sample %q has no value", line)
	}
	p.name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for line[0] != '}' {
			eq := strings.Index(line, `="`)
			if eq < 0 {
				t.Fatalf("label without =\" in %q", line)
			}
			name := line[:eq]
			line = line[eq+2:]
			var v strings.Builder
			for line[0] != '"' {
				if line[0] == '\\' {
					switch line[1] {
					case '\\':
						v.WriteByte('\\')
					case '"':
						v.WriteByte('"')
					case 'n':
						v.WriteByte('\n')
					default:
						t.Fatalf("unknown escape \\%c", line[1])
					}
					line = line[2:]
					continue
				}
				v.WriteByte(line[0])
				line = line[1:]
			}
			p.labels[name] = v.String()
			line = strings.TrimPrefix(line[1:], ",")
		}
		line = line[1:]
	}
	v, err := strconv.ParseFloat(strings.TrimPrefix(line, " "), 64)
	if err != nil {
		t.Fatalf("value of %s: %v", p.name, err)
	}
	p.value = v
	return p
}

func TestTheTextReadsBackByTheFormatsRules(t *testing.T) {
	r := NewRegistry()
	c := r.CounterVec("deliveries_total", "Deliveries.", "outcome")
	odd := "quote\" back\\slash\nnewline"
	c.WithLabelValues(odd).Inc()
	c.WithLabelValues("ok").Inc()
	h := r.Histogram("verify_seconds", "Verify.", []float64{0.001, 0.01, 0.1})
	for i := range 100 {
		h.Observe(float64(i) / 500) // 0 .. 0.198; 0.01 and 0.1 fall on bounds
	}
	r.GoRuntime()

	types, samples := parseText(t, r.Text())
	if types["deliveries_total"] != "counter" || types["verify_seconds"] != "histogram" || types["go_goroutines"] != "gauge" {
		t.Errorf("types = %v", types)
	}
	var buckets []parsed
	var count, goroutines float64
	found := false
	for _, s := range samples {
		switch s.name {
		case "deliveries_total":
			found = found || s.labels["outcome"] == odd
		case "verify_seconds_bucket":
			buckets = append(buckets, s)
		case "verify_seconds_count":
			count = s.value
		case "go_goroutines":
			goroutines = s.value
		}
	}
	if !found {
		t.Errorf("the label value %q did not read back", odd)
	}
	if len(buckets) != 4 || buckets[3].labels["le"] != "+Inf" {
		t.Fatalf("buckets = %v, want 3 bounds and +Inf last", buckets)
	}
	for i := 1; i < len(buckets); i++ {
		if buckets[i].value < buckets[i-1].value {
			t.Errorf("bucket le=%s (%v) is below the one before it: buckets must be cumulative", buckets[i].labels["le"], buckets[i].value)
		}
	}
	if want := []float64{1, 6, 51, 100}; buckets[0].value != want[0] || buckets[1].value != want[1] || buckets[2].value != want[2] || buckets[3].value != want[3] {
		t.Errorf("bucket counts %v, want %v", buckets, want)
	}
	if count != 100 {
		t.Errorf("count = %v, want 100, the +Inf bucket", count)
	}
	if goroutines < 1 {
		t.Errorf("go_goroutines = %v, want at least this one", goroutines)
	}
}

func TestCountsFromManyGoroutinesAddUp(t *testing.T) {
	r := NewRegistry()
	c := r.CounterVec("hits_total", "Hits.", "worker")
	h := r.Histogram("size", "Sizes.", []float64{1})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for range 1000 {
				c.WithLabelValues(strconv.Itoa(w % 2)).Inc()
				h.Observe(1)
				_ = r.Text()
			}
		})
	}
	wg.Wait()
	if a, b := c.WithLabelValues("0").Value(), c.WithLabelValues("1").Value(); a != 4000 || b != 4000 {
		t.Errorf("counts %d and %d, want 4000 each", a, b)
	}
	if !strings.Contains(r.Text(), "size_sum 8000\nsize_count 8000\n") {
		t.Errorf("histogram lost observations:\n%s", r.Text())
	}
}

func TestMistakesInRegistrationPanicWithTheReason(t *testing.T) {
	tests := []struct {
		name  string
		build func(r *Registry)
		says  string
	}{
		{"a name registered twice", func(r *Registry) { r.CounterVec("a_total", "", "l"); r.CounterVec("a_total", "", "l") }, "registered twice"},
		{"a metric name starting with a digit", func(r *Registry) { r.CounterVec("1a", "", "l") }, "not a valid metric name"},
		{"a label named le", func(r *Registry) { r.CounterVec("a_total", "", "le") }, "not a valid label name"},
		{"buckets out of order", func(r *Registry) { r.Histogram("h", "", []float64{1, 0.5}) }, "ascend strictly"},
		{"the wrong number of label values", func(r *Registry) { r.CounterVec("a_total", "", "l").WithLabelValues("x", "y") }, "takes 1 label values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.says) {
					t.Errorf("panic %q, want one saying %q", msg, tt.says)
				}
			}()
			tt.build(NewRegistry())
		})
	}
}

func TestTheHandlerServesTheTextWithItsContentType(t *testing.T) {
	r := NewRegistry()
	r.CounterVec("x_total", "X.", "l").WithLabelValues("v").Inc()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if rec.Body.String() != r.Text() {
		t.Errorf("body = %q, want the registry's text", rec.Body.String())
	}
}
