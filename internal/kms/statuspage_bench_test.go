package kms_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/protocol"
)

// BenchmarkStatusPage measures the server-side time of GET / on a host
// whose history holds VOLACT_STATUS_CLIENTS distinct clients (default
// 100,000; scripts/bench-status.sh sets 1,000,000) spread over the last 30
// days, with a state_reset event every 1,000 rows. Each iteration serves
// 100 pages, with a new activation before each (so the page reads the
// journal and its charts are drawn afresh, as on a busy host), and
// reports the median and the p99 in ms. It measures; it asserts nothing.
func BenchmarkStatusPage(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("VOLACT_STATUS_CLIENTS")); err == nil && v > 0 {
		n = v
	}
	now := time.Now().UTC()
	a := kmstest.Authority(b, now)
	dir := kmstest.ActivatedDir(b, a, now, "workstation-ent")
	clk := &clock{t: now}
	h, err := kms.Open(kms.Options{Dir: dir, Now: clk.Now, Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	start := time.Now()
	const per = 100_000
	for done := 0; done < n; done += per {
		rows := make([]kms.HistoryRow, 0, per)
		for i := done; i < min(done+per, n); i++ {
			r := kms.HistoryRow{Time: now.Add(-kms.Window + time.Duration(int64(kms.Window)/int64(n)*int64(i))),
				CMID: fmt.Sprintf("bench-%09d", i), Group: "workstation", SKU: "workstation-ent",
				Result: hresult.CountTooLow.String(), Count: min(i+1, 50), Addr: "10.0.0.1"}
			if i%1000 == 999 {
				r.Result = protocol.StateReset
			}
			rows = append(rows, r)
		}
		if err := h.FillHistory(rows); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("history of %d clients written in %s", n, time.Since(start).Round(time.Millisecond))
	hd := h.Handler(nil)
	var times []time.Duration
	seq := 0
	for b.Loop() {
		for range 100 {
			seq++
			cmid := "page-" + strconv.Itoa(seq)
			_, _ = h.Activate(b.Context(), req(cmid, "workstation-ent", now), "10.1.1.1")
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = "127.0.0.1:1"
			w := httptest.NewRecorder()
			t0 := time.Now()
			hd.ServeHTTP(w, r)
			times = append(times, time.Since(t0))
			if w.Code != http.StatusOK {
				b.Fatalf("GET /: %d %s", w.Code, w.Body)
			}
		}
	}
	b.Logf("first pages: %v", times[:min(5, len(times))])
	slices.Sort(times)
	b.Logf("slowest pages: %v", times[len(times)-min(5, len(times)):])
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
	b.ReportMetric(ms(times[(len(times)*99+99)/100-1]), "p99-ms") // nearest rank
	b.ReportMetric(float64(n), "clients")
}
