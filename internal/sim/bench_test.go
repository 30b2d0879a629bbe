package sim_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/sim"
)

// benchScenario is a year of a mixed fleet of n machines: office desktops
// (KMS, daily, reimaged every 90 days), VPN laptops (KMS, 4 days a month),
// MAK desktops and offline lab machines, two hosts sharing a count, a
// 10-day host outage and a 3-day DNS outage.
func benchScenario(n int) string {
	return fmt.Sprintf(`name: bench
seed: 1
days: 365
hosts: [{name: kms1, count: site}, {name: kms2, count: site}]
outages:
  - {of: host, host: kms1, from: 40, to: 50}
  - {of: dns, from: 120, to: 123}
mak_keys: [{name: mak, sku: server-std, activations: %d}]
machines:
  - {name: office, sku: workstation-ent, channel: kms_client, count: %d, connect: daily, at: "08:30", spread_minutes: 60, reimage_every_days: 90}
  - {name: laptops, sku: suite-pro, channel: kms_client, count: %d, connect: 4/month, at: "10:00", spread_minutes: 480}
  - {name: mak, sku: server-std, channel: mak, mak_key: mak, count: %d, connect: daily}
  - {name: lab, sku: suite-pro, channel: kms_client, count: %d, connect: never}
`, n/10, n/2, n*3/10, n/10, n/10)
}

func builtin() *catalog.Catalog {
	c := catalog.Template(make(ed25519.PublicKey, ed25519.PublicKeySize), time.Time{})
	return &c
}

// BenchmarkSim runs a year of 100,000 machines (SIM_BENCH_MACHINES
// overrides the size) and reports machine-days per second and the heap
// bytes per machine. It asserts nothing about time.
func BenchmarkSim(b *testing.B) {
	n := 100_000
	if s := os.Getenv("SIM_BENCH_MACHINES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	cat := builtin()
	sc, err := sim.ParseScenario("bench.yaml", []byte(benchScenario(n)), cat)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var before, peak runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := sim.New(sc, cat)
		start := time.Now()
		_, err := s.Run(context.Background(), func(d int) {
			if d == sc.Days/2 {
				runtime.ReadMemStats(&peak)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		b.ReportMetric(float64(sc.TotalMachines())*float64(sc.Days)/took.Seconds(), "machine-days/s")
		b.ReportMetric(float64(peak.HeapAlloc-before.HeapAlloc)/float64(sc.TotalMachines()), "heap-B/machine")
		runtime.KeepAlive(s)
	}
}
