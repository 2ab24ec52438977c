package server

import (
	"net/http"
	"time"

	"transcoder/app/internal/metrics"
)

// Metrics are the service's instruments, written in Prometheus's text
// format at /metrics. They are made before the server so that the SNS
// verifier's fetch hook can count into them too.
type Metrics struct {
	reg         *metrics.Registry
	deliveries  *metrics.CounterVec
	verify      *metrics.Histogram
	certFetches *metrics.CounterVec
	transitions *metrics.CounterVec
}

// NewMetrics registers the service's instruments, and the Go runtime's, on
// reg.
func NewMetrics(reg *metrics.Registry) *Metrics {
	m := &Metrics{
		reg: reg,
		deliveries: reg.CounterVec("transcoder_sns_deliveries_total",
			"SNS deliveries to /transcode-complete by outcome.", "outcome"),
		verify: reg.Histogram("transcoder_sns_verify_seconds",
			"Time to verify one SNS delivery (rules, certificate, signature).",
			[]float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 5e-3, 25e-3, 100e-3, 1, 5}),
		certFetches: reg.CounterVec("transcoder_sns_cert_fetches_total",
			"SNS signing certificate fetches by result (ok or error).", "result"),
		transitions: reg.CounterVec("transcoder_job_transitions_total",
			"Job state transitions recorded, by state.", "state"),
	}
	reg.GoRuntime()
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
	return m.reg.Handler()
}
