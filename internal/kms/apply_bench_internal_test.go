package kms

import (
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkApply writes batches of 350 new clients' requests (each evicting
// an older one), as the applier does at about 3,500 requests/s.
func BenchmarkApply(b *testing.B) {
	db, err := openDB(filepath.Join(b.TempDir(), DBFile), dbCreate)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := newApplier(db, nil, time.Now, func() time.Duration { return DefaultHistoryRetention }, slog.New(slog.DiscardHandler))
	defer a.bw.close()
	const batch = 350
	ws := make([]write, batch)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range ws {
			n++
			ws[i] = write{hist: HistoryRow{Time: time.Now(), CMID: "bench-" + strconv.Itoa(n), Group: "suite", SKU: "suite-pro",
				Result: "0x00000000", Count: 10, Addr: "127.0.0.1"}, counted: true, evicted: "bench-" + strconv.Itoa(n-10)}
		}
		if err := a.apply(ws, uint64(n), false, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/request")
}
