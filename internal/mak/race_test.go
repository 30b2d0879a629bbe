package mak

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/pgtest"
	"github.com/volact/volact/internal/productkey"
)

// backends are the databases the service runs on; each func returns the
// DSN of a fresh, empty database.
var backends = []struct {
	name string
	dsn  func(testing.TB) string
}{
	{"sqlite", sqliteDSN},
	{"postgres", pgtest.Start},
}

// TestRaceActivations sends 500 concurrent HTTP activations with distinct
// hardware ids against a 50-activation key: exactly 50 succeed, every
// other one is refused with KeyExhausted, and the ledger says 50 used.
func TestRaceActivations(t *testing.T) {
	const n, limit = 500, 50
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.dsn(t))
			key := e.mint(productkey.MAK, "workstation-ent", limit)
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
			defer hc.CloseIdleConnections()
			var ok, exhausted atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan string, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					body, _ := json.Marshal(makReq(key, "workstation-ent", fmt.Sprintf("race-%03d", i)))
					resp, err := hc.Post(e.ts.URL+"/v1/activate", "application/json", bytes.NewReader(body))
					if err != nil {
						errs <- err.Error()
						return
					}
					data, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					switch {
					case resp.StatusCode == http.StatusOK:
						ok.Add(1)
					case resp.StatusCode == http.StatusForbidden && errorOf(t, data).Code == hresult.KeyExhausted:
						exhausted.Add(1)
					default:
						errs <- fmt.Sprintf("HTTP %d %s", resp.StatusCode, data)
					}
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			for msg := range errs {
				t.Errorf("unexpected answer: %s", msg)
			}
			if ok.Load() != limit || exhausted.Load() != n-limit {
				t.Fatalf("%d succeeded and %d exhausted, want exactly %d and %d", ok.Load(), exhausted.Load(), limit, n-limit)
			}
			if st := e.remaining(key); st != (KeyStatus{Used: limit, Limit: limit}) {
				t.Errorf("ledger says %+v, want all %d used", st, limit)
			}
		})
	}
}

// BenchmarkActivate measures MAK activations per second through HTTP:
// every iteration is a new installation on a key large enough for all.
// Run with -cpu 1,8,64 for that many concurrent clients (see
// scripts/bench-mak.sh).
func BenchmarkActivate(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			e := newEnv(b, be.dsn(b))
			key := e.mint(productkey.MAK, "workstation-ent", productkey.MaxActivations)
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer hc.CloseIdleConnections()
			var seq atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					body, _ := json.Marshal(makReq(key, "workstation-ent", fmt.Sprintf("bench-%d", seq.Add(1))))
					resp, err := hc.Post(e.ts.URL+"/v1/activate", "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("HTTP %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "activations/s")
		})
	}
}
