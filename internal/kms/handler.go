package kms

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/protocol"
)

// DefaultAllow are the networks a host answers unless told otherwise:
// loopback, RFC 1918, RFC 4193 and link-local. The seed warns never to
// expose a KMS host to the Internet.
var DefaultAllow = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("fe80::/10"),
}

// ParseAllow reads a comma-separated list of CIDRs (or single addresses).
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, invalid("--allow: %q is not a CIDR such as 10.0.0.0/8", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	if len(out) == 0 {
		return nil, invalid("--allow lists no network")
	}
	return out, nil
}

// allowed reports whether addr (host:port from the connection) is in nets.
func allowed(nets []netip.Prefix, remote string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}, false
	}
	a := ap.Addr().Unmap().WithZone("")
	for _, p := range nets {
		if p.Contains(a) {
			return a, true
		}
	}
	return a, false
}

// metrics are the host's Prometheus metrics: the kit's request histogram
// (volact_kms_request_duration_seconds{route,method,status}) and the
// host's own, in a registry of their own.
type metrics struct {
	http     *httpserve.Metrics
	requests *prometheus.CounterVec
	refused  *prometheus.CounterVec
	batch    prometheus.Histogram
}

func newMetrics(h *Host) *metrics {
	m := &metrics{
		http: httpserve.NewMetrics("kms"),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "volact_kms_requests_total", Help: "Activation requests by result code.",
		}, []string{"result"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "volact_kms_refused_total", Help: "Requests refused before counting, by reason (clock_skew, unknown_product, network_not_allowed, ...).",
		}, []string{"reason"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "volact_kms_commit_batch_size", Help: "Requests per database commit (journal segment applied).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
	}
	count := prometheus.NewDesc("volact_kms_current_count", "Distinct clients counted per group (-1 before any).", []string{"group"}, nil)
	resets := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "volact_kms_state_resets_total", Help: "Activation requests whose client state went backwards (state_reset).",
	}, func() float64 { return float64(h.states.resets.Load()) })
	lost := prometheus.NewDesc("volact_kms_journal_lost_bytes_total", "Bytes of damaged journal segments that could not be read (answered requests missing from counts and history).", nil, nil)
	lostRecords := prometheus.NewDesc("volact_kms_journal_lost_records_total", "Records of damaged journal segments that were not applied: the damaged one and the intact ones after it.", nil, nil)
	damaged := prometheus.NewDesc("volact_kms_journal_damaged_segments_total", "Damaged journal segments moved aside (journal-N.log.damaged).", nil, nil)
	m.http.Registry.MustRegister(m.requests, m.refused, m.batch, resets, collectorFunc{desc: count, collect: func(ch chan<- prometheus.Metric) {
		for g, n := range h.Counts() {
			ch <- prometheus.MustNewConstMetric(count, prometheus.GaugeValue, float64(n), g)
		}
	}}, collectorFunc{desc: lost, collect: func(ch chan<- prometheus.Metric) {
		ch <- prometheus.MustNewConstMetric(lost, prometheus.CounterValue, float64(h.loss.Bytes))
	}}, collectorFunc{desc: lostRecords, collect: func(ch chan<- prometheus.Metric) {
		ch <- prometheus.MustNewConstMetric(lostRecords, prometheus.CounterValue, float64(h.loss.Records))
	}}, collectorFunc{desc: damaged, collect: func(ch chan<- prometheus.Metric) {
		ch <- prometheus.MustNewConstMetric(damaged, prometheus.CounterValue, float64(h.loss.Segments))
	}})
	m.http.Registry.MustRegister(h.limitCollectors()...)  // events.go
	m.http.Registry.MustRegister(h.sharedCollectors()...) // shared_status.go
	m.http.Registry.MustRegister(h.stateCollectors()...)  // shared_state.go
	return m
}

// collectorFunc is a collector of one metric computed at each scrape.
type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

// Describe sends the one metric description.
func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect sends the current values.
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// Handler returns the host's HTTP handler, on the httpserve kit:
// POST /v1/kms/activate, GET /healthz, GET /metrics and the log's
// GET /v1/log/checkpoint and /v1/log/consistency. Requests from
// addresses outside allow (nil = DefaultAllow) are refused with 403.
// Refusals (most are 409 until a group reaches its threshold) are logged
// at debug level only: the history records every counted request, and
// requests refused before counting add to the per-day counters of their
// reason (refused table, volact_kms_refused_total).
func (h *Host) Handler(allow []netip.Prefix) http.Handler {
	why := "only loopback and private networks are allowed"
	if allow == nil {
		allow = DefaultAllow
	} else {
		why = "it is not in the networks given with --allow"
	}
	m := newMetrics(h)
	onBatch := func(n int, _ error) { m.batch.Observe(float64(n)) }
	h.applier.onBatch.Store(&onBatch)
	onRefused := func(reason string) { m.refused.WithLabelValues(reason).Inc() }
	h.onRefused.Store(&onRefused)
	ok := m.requests.WithLabelValues(hresult.OK.String())
	rt := httpserve.NewRouter(httpserve.Options{
		Logger: h.log, Metrics: m.http, RefusedLevel: slog.LevelDebug,
		Guard: func(r *http.Request) error {
			if a, ok := allowed(allow, r.RemoteAddr); !ok {
				h.log.Warn("refused a client outside the allowed networks", "addr", a.String())
				return h.refuse(RefusedNetwork, httpserve.WithStatus(http.StatusForbidden, hresult.Newf(hresult.ServiceFailure,
					"this KMS host does not serve address %s: %s", a, why).
					WithHint("never expose a KMS host to the Internet; to admit another network start the host with --allow CIDR,...")))
			}
			return nil
		},
	})
	rt.HandleJSON(http.MethodPost, "/v1/kms/activate", func(w http.ResponseWriter, r *http.Request) (any, error) {
		env, err := h.serveActivate(w, r)
		if err != nil {
			m.requests.WithLabelValues(hresult.CodeOf(err).String()).Inc()
			return nil, err
		}
		ok.Inc()
		return env, nil
	})
	m.http.RegisterLogMetrics("kms", h.tlog)
	rt.LogRoutes(h.tlog)
	rt.Health(func(context.Context) (any, error) {
		return h.health(), nil // shared_status.go
	})
	rt.Handle(http.MethodGet, "/", h.statusHandler()) // statuspage.go
	return rt
}

// serveActivate decodes one request and activates it.
func (h *Host) serveActivate(w http.ResponseWriter, r *http.Request) (*protocol.Envelope, error) {
	var req protocol.ActivationRequest
	if err := httpserve.DecodeJSON(w, r, MaxRequestBody, &req); err != nil {
		return nil, h.refuse(RefusedBadRequest, err)
	}
	addr, _, _ := net.SplitHostPort(r.RemoteAddr)
	return h.Activate(r.Context(), req, addr)
}
