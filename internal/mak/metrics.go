package mak

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/volact/volact/internal/hresult"
)

// metrics are the service's Prometheus metrics, in a registry of its own
// (the global default registry is never used).
type metrics struct {
	reg         *prometheus.Registry
	activations *prometheus.CounterVec
	duration    *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		activations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "volact_service_activations_total",
			Help: "Activation requests by kind (activate, proxy, host) and result code (0x00000000 is success).",
		}, []string{"kind", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "volact_service_request_duration_seconds",
			Help:    "HTTP request durations by route, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status"}),
	}
	m.reg.MustRegister(m.activations, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// activation counts one activation attempt of kind with its outcome.
func (m *metrics) activation(kind string, err error) {
	code := hresult.OK
	if err != nil {
		code = hresult.CodeOf(err)
	}
	m.activations.WithLabelValues(kind, code.String()).Inc()
}

// observe records one request.
func (m *metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		method = "other" // bounded label values, whatever clients send
	}
	m.duration.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
