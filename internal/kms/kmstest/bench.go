package kmstest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volact/volact/internal/protocol"
)

// BenchHandler sends b.N KMS activation requests for suite-pro, each from
// a new CMID, through h from 32 goroutines per CPU, and fails on an answer
// whose status is not one of ok; it reports requests/s. The host's benchmark (package kms) and
// the floors' (package kmsbench) both use it, so they measure alike.
func BenchHandler(b *testing.B, h http.Handler, ok ...int) {
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
			if !slices.Contains(ok, w.Code) {
				b.Fatalf("answer %d: %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
