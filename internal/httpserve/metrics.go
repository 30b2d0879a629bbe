package httpserve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is a server's Prometheus registry, its own (the global default
// registry is never used), with the kit's request histogram and the Go
// and process collectors already in it. A server registers its own
// metrics in Registry.
type Metrics struct {
	// Registry is the registry served at /metrics.
	Registry *prometheus.Registry
	duration *prometheus.HistogramVec
}

// NewMetrics returns the metrics of the server called name: requests are
// observed in volact_<name>_request_duration_seconds{route,method,status}
// (the KMS host is "kms", the activation service "service").
func NewMetrics(name string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "volact_" + name + "_request_duration_seconds",
			Help:    "HTTP request durations by route, method and status.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 17), // 100 µs to 6.5 s
		}, []string{"route", "method", "status"}),
	}
	m.Registry.MustRegister(m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// observe records one request on route. Methods other than GET, HEAD and
// POST are counted as "other", so clients cannot grow the label set.
func (m *Metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		method = "other"
	}
	m.duration.WithLabelValues(route, method, strconv.Itoa(status)).Observe(d.Seconds())
}
