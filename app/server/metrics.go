package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's Prometheus instruments. They are made before the
// server so that the SNS verifier's fetch hook can count into them too.
type Metrics struct {
	reg         *prometheus.Registry
	deliveries  *prometheus.CounterVec
	verify      prometheus.Histogram
	certFetches *prometheus.CounterVec
	transitions *prometheus.CounterVec
}

// NewMetrics registers the service's instruments, and the Go runtime's and
// process's, on reg.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		reg: reg,
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "transcoder_sns_deliveries_total",
			Help: "SNS deliveries to /transcode-complete by outcome.",
		}, []string{"outcome"}),
		verify: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "transcoder_sns_verify_seconds",
			Help:    "Time to verify one SNS delivery (rules, certificate, signature).",
			Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 5e-3, 25e-3, 100e-3, 1, 5},
		}),
		certFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "transcoder_sns_cert_fetches_total",
			Help: "SNS signing certificate fetches by result (ok or error).",
		}, []string{"result"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "transcoder_job_transitions_total",
			Help: "Job state transitions recorded, by state.",
		}, []string{"state"}),
	}
	reg.MustRegister(m.deliveries, m.verify, m.certFetches, m.transitions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CertFetched counts one signing-certificate fetch; it has the shape of the
// SNS verifier's fetch hook.
func (m *Metrics) CertFetched(url string, err error, d time.Duration) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.certFetches.WithLabelValues(result).Inc()
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
