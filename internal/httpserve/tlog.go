package httpserve

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/translog"
	"golang.org/x/mod/sumdb/tlog"
)

// LogCheckpoint is the answer of GET /v1/log/checkpoint: the newest
// signed checkpoint of a server's transparency log.
type LogCheckpoint struct {
	Origin     string `json:"origin"`
	Size       int64  `json:"size"`
	Checkpoint []byte `json:"checkpoint"` // the signed note; nil while empty
}

// LogConsistency is the answer of GET /v1/log/consistency?from=N&to=M:
// the proof that the tree of size To extends the tree of size From.
type LogConsistency struct {
	From  int64          `json:"from"`
	To    int64          `json:"to"`
	Proof tlog.TreeProof `json:"proof"`
}

// LogRoutes serves the read side of l for auditors and witnesses:
// GET /v1/log/checkpoint and GET /v1/log/consistency?from=N&to=M (to
// defaults to the newest size).
func (rt *Router) LogRoutes(l *translog.Log) {
	rt.HandleJSON(http.MethodGet, "/v1/log/checkpoint", func(http.ResponseWriter, *http.Request) (any, error) {
		return LogCheckpoint{Origin: l.Origin(), Size: l.Size(), Checkpoint: l.Checkpoint()}, nil
	})
	rt.HandleJSON(http.MethodGet, "/v1/log/consistency", func(_ http.ResponseWriter, r *http.Request) (any, error) {
		q := r.URL.Query()
		from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
		to, err2 := l.Size(), error(nil)
		if s := q.Get("to"); s != "" {
			to, err2 = strconv.ParseInt(s, 10, 64)
		}
		if err1 != nil || err2 != nil {
			return nil, hresult.New(hresult.BadRequest, "want ?from=N[&to=M] with decimal tree sizes")
		}
		proof, err := l.ConsistencyProof(from, to)
		if err != nil {
			return nil, WithStatus(http.StatusNotFound, hresult.Wrap(hresult.BadRequest, err, "no such consistency proof"))
		}
		return LogConsistency{From: from, To: to, Proof: proof}, nil
	})
}

// RegisterLogMetrics adds l's counters to m as volact_<name>_log_*: its
// size, appends, batches, signatures and fsyncs since start, and what
// opening it recovered after a crash.
func (m *Metrics) RegisterLogMetrics(name string, l *translog.Log) {
	p := "volact_" + name + "_log_"
	gauge := func(n, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: p + n, Help: help}, f)
	}
	counter := func(n, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: p + n, Help: help}, f)
	}
	rec := l.Recovery()
	m.Registry.MustRegister(
		gauge("size", "Leaves covered by the newest signed checkpoint of the transparency log.", func() float64 { return float64(l.Size()) }),
		counter("appends_total", "Leaves appended since start.", func() float64 { return float64(l.Stats().Appends) }),
		counter("batches_total", "Batches written since start, one fsync and one checkpoint each.", func() float64 { return float64(l.Stats().Batches) }),
		counter("signatures_total", "Checkpoints signed since start.", func() float64 { return float64(l.Stats().Signatures) }),
		counter("syncs_total", "fsync calls of the log since start.", func() float64 { return float64(l.Stats().Syncs) }),
		gauge("recovered_dropped_leaves", "Unacknowledged leaves moved aside when the log was opened after a crash.", func() float64 { return float64(rec.DroppedLeaves) }),
		gauge("recovered_torn_bytes", "Bytes cut from the log's end when it was opened after a crash.", func() float64 { return float64(rec.TornBytes) }),
	)
}
