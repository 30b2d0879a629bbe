package kms

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/volact/volact/internal/hresult"
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

// metrics are the host's Prometheus metrics, on a private registry.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  prometheus.Histogram
	batch    prometheus.Histogram
}

func newMetrics(h *Host) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "volact_kms_requests_total", Help: "Activation requests by result code.",
		}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "volact_kms_request_duration_seconds", Help: "Time to answer an activation request.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "volact_kms_commit_batch_size", Help: "Requests per database commit (journal segment applied).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
	}
	count := prometheus.NewDesc("volact_kms_current_count", "Distinct clients counted per group (-1 before any).", []string{"group"}, nil)
	m.reg.MustRegister(m.requests, m.latency, m.batch, collectorFunc{desc: count, collect: func(ch chan<- prometheus.Metric) {
		for g, n := range h.Counts() {
			ch <- prometheus.MustNewConstMetric(count, prometheus.GaugeValue, float64(n), g)
		}
	}})
	return m
}

type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

// Handler returns the host's HTTP handler: POST /v1/kms/activate,
// GET /healthz and GET /metrics. Requests from addresses outside allow
// (nil = DefaultAllow) are refused with 403.
func (h *Host) Handler(allow []netip.Prefix) http.Handler {
	if allow == nil {
		allow = DefaultAllow
	}
	m := newMetrics(h)
	onBatch := func(n int, _ error) { m.batch.Observe(float64(n)) }
	h.applier.onBatch.Store(&onBatch)
	ok := m.requests.WithLabelValues(hresult.OK.String())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/kms/activate", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		env, err := h.serveActivate(r)
		m.latency.Observe(time.Since(start).Seconds())
		if err != nil {
			m.requests.WithLabelValues(hresult.CodeOf(err).String()).Inc()
			writeError(w, h.log, err)
			return
		}
		ok.Inc()
		writeEnvelope(w, env)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "groups": h.Groups()})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := allowed(allow, r.RemoteAddr); !ok {
			h.log.Warn("refused a client outside the allowed networks", "addr", a.String())
			writeError(w, h.log, withStatus(http.StatusForbidden, hresult.Newf(hresult.ServiceFailure,
				"this KMS host does not serve address %s: only loopback and private networks are allowed", a).
				WithHint("never expose a KMS host to the Internet; to admit another network start the host with --allow CIDR,...")))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// serveActivate decodes one request and activates it.
func (h *Host) serveActivate(r *http.Request) (*protocol.Envelope, error) {
	req, err := decodeRequest(r)
	if err != nil {
		return nil, err
	}
	addr, _, _ := net.SplitHostPort(r.RemoteAddr)
	return h.Activate(r.Context(), req, addr)
}

// bodyPool holds the buffers request bodies are read into.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeRequest reads and strictly decodes an activation request body of at
// most MaxRequestBody bytes.
func decodeRequest(r *http.Request) (protocol.ActivationRequest, error) {
	var req protocol.ActivationRequest
	buf := bodyPool.Get().(*bytes.Buffer)
	defer bodyPool.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, MaxRequestBody)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return req, withStatus(http.StatusRequestEntityTooLarge, hresult.Newf(hresult.BadRequest, "activation request is larger than %d bytes", MaxRequestBody))
		}
		return req, hresult.Wrap(hresult.BadRequest, err, "cannot read the activation request")
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, hresult.New(hresult.BadRequest, "activation request is not valid JSON")
	}
	if dec.More() {
		return req, hresult.New(hresult.BadRequest, "activation request has data after the JSON document")
	}
	return req, nil
}

// statusError gives an error an HTTP status other than its code's.
type statusError struct {
	status int
	error
}

func (e statusError) Unwrap() error { return e.error }

func withStatus(status int, err error) error { return statusError{status, err} }

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	var se statusError
	if errors.As(err, &se) {
		return se.status
	}
	switch hresult.CodeOf(err) {
	case hresult.BadRequest:
		return http.StatusBadRequest
	case hresult.SKUNotFound:
		return http.StatusNotFound
	case hresult.CountTooLow, hresult.ClockSkew:
		return http.StatusConflict
	case hresult.ServiceFailure:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	if s := statusOf(err); s >= 500 {
		log.Error("activation failed", "err", err)
	}
	writeJSON(w, statusOf(err), protocol.ErrorFrom(err))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// envPool holds the buffers answers are encoded into.
var envPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// writeEnvelope writes env as JSON (200) without reflection: its three
// fields are base64, which JSON carries unescaped.
func writeEnvelope(w http.ResponseWriter, env *protocol.Envelope) {
	bp := envPool.Get().(*[]byte)
	b := append((*bp)[:0], `{"payload":"`...)
	b = append(b, env.Payload...)
	b = append(b, `","signature":"`...)
	b = append(b, env.Signature...)
	b = append(b, `","certificate":"`...)
	b = append(b, env.Certificate...)
	b = append(b, "\"}\n"...)
	hd := w.Header()
	hd["Content-Type"] = jsonContentType
	hd["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*bp = b
	envPool.Put(bp)
}

var jsonContentType = []string{"application/json"}
