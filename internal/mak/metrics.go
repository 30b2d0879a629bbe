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
	stateResets prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		http: httpserve.NewMetrics("service"),
		activations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "volact_service_activations_total",
			Help: "Activation requests by kind (activate, proxy, host) and result code (0x00000000 is success).",
		}, []string{"kind", "code"}),
	}
	m.stateResets = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "volact_mak_state_resets_total",
		Help: "Activation requests whose client state went backwards (state_reset), by online and proxy activation.",
	})
	m.http.Registry.MustRegister(m.activations, m.stateResets)
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
