package mak

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
)

// metrics are the service's Prometheus metrics: the kit's request
// histogram (volact_service_request_duration_seconds) and the activation
// counter, in a registry of their own.
type metrics struct {
	http        *httpserve.Metrics
	activations *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		http: httpserve.NewMetrics("service"),
		activations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "volact_service_activations_total",
			Help: "Activation requests by kind (activate, proxy, host) and result code (0x00000000 is success).",
		}, []string{"kind", "code"}),
	}
	m.http.Registry.MustRegister(m.activations)
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
