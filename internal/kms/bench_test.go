package kms_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/protocol"
)

// benchHandler sends b.N activation requests, each from a new CMID, through
// h from 32 goroutines per CPU and reports requests/s. The floors' twin is
// BenchmarkFloor in package kmsbench.
func benchHandler(b *testing.B, h http.Handler) {
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			cmid := "bench-" + strconv.FormatInt(n.Add(1), 10)
			body, _ := json.Marshal(protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: "suite-pro",
				HardwareID: "hw-" + cmid, CMID: cmid, ClientTime: time.Now(), Nonce: "n-" + cmid})
			r := httptest.NewRequest(http.MethodPost, "/v1/kms/activate", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.RemoteAddr = "127.0.0.1:1"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK && w.Code != http.StatusConflict {
				b.Fatalf("answer %d: %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkHost is the host's handler with counting, the journal, the
// applier (synchronous=FULL batches) and signing.
func BenchmarkHost(b *testing.B) {
	now := time.Now()
	a := kmstest.Authority(b, now)
	dir := kmstest.ActivatedDir(b, a, now, "suite-pro")
	h, err := kms.Open(kms.Options{Dir: dir, Name: "kms1"})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	benchHandler(b, h.Handler(nil))
}
