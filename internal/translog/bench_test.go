package translog

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend appends from 1, 8 and 64 concurrent clients and reports,
// besides ns/op, the signatures and fsyncs per 1000 appends, the process
// CPU time per append, and that CPU as a fraction of one Ed25519
// signature (cpu/sig; the goal at 64 clients is at most 0.5).
func BenchmarkAppend(b *testing.B) {
	sigCost := ed25519SignCost()
	for _, clients := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			k := newTestKey(b, 1)
			l := mustOpen(b, b.TempDir(), k)
			defer mustClose(b, l)
			leaf := leafText(1)
			before := l.Stats()
			var next atomic.Int64
			var wg sync.WaitGroup
			cpu0 := processCPU()
			b.ResetTimer()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := l.Append(context.Background(), leaf); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			cpu := processCPU() - cpu0
			st := l.Stats()
			n := float64(st.Appends - before.Appends)
			b.ReportMetric(1000*float64(st.Signatures-before.Signatures)/n, "sigs/1000")
			b.ReportMetric(1000*float64(st.Syncs-before.Syncs)/n, "fsyncs/1000")
			if cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/op")
				b.ReportMetric(float64(cpu)/n/float64(sigCost), "cpu/sig")
			}
		})
	}
}

// ed25519SignCost measures one Ed25519 signature of a checkpoint-sized
// message.
func ed25519SignCost() time.Duration {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	msg := make([]byte, 150)
	const n = 2000
	start := time.Now()
	for range n {
		ed25519.Sign(key, msg)
	}
	return time.Since(start) / n
}
