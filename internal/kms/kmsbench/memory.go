package kmsbench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/protocol"
)

// MemoryPoint is the process's memory once Clients distinct clients have
// asked the host.
type MemoryPoint struct {
	Clients int     `json:"clients"`
	RSS     uint64  `json:"rss_bytes"`      // resident set (VmRSS); 0 where unknown
	Peak    uint64  `json:"peak_rss_bytes"` // VmHWM; 0 where unknown
	Heap    uint64  `json:"heap_bytes"`     // Go heap in use
	Seconds float64 `json:"seconds"`        // time since the start
}

// MemoryBench opens the host in dir and feeds it activation requests for
// sku from distinct CMIDs, through Host.Activate (no HTTP), with workers
// concurrent submitters, and reports the process's memory each time the
// number of distinct clients reaches the next of totals. It measures; it asserts nothing.
func MemoryBench(ctx context.Context, dir, sku string, totals []int, workers int, report func(MemoryPoint)) error {
	h, err := kms.Open(kms.Options{Dir: dir, Name: "bench"})
	if err != nil {
		return err
	}
	defer h.Close()
	if workers < 1 {
		workers = 1
	}
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	start := time.Now()
	var next atomic.Int64
	for _, total := range totals {
		var wg sync.WaitGroup
		var firstErr atomic.Value
		for range workers {
			wg.Go(func() {
				for ctx.Err() == nil {
					i := next.Add(1) - 1
					if i >= int64(total) {
						return
					}
					cmid := "mem-" + run + "-" + strconv.FormatInt(i, 10)
					_, err := h.Activate(ctx, protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: sku,
						HardwareID: "hw-" + cmid, CMID: cmid, ClientTime: time.Now(), Nonce: "n"}, "127.0.0.1")
					if err != nil && hresult.CodeOf(err) != hresult.CountTooLow {
						firstErr.CompareAndSwap(nil, err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err, _ := firstErr.Load().(error); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss, peak := procMemory()
		report(MemoryPoint{Clients: total, RSS: rss, Peak: peak, Heap: ms.HeapInuse, Seconds: time.Since(start).Seconds()})
	}
	return nil
}

// procMemory reads VmRSS and VmHWM of this process (Linux); 0, 0 elsewhere.
func procMemory() (rss, peak uint64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb uint64
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			if _, err := fmt.Sscanf(strings.TrimPrefix(line, "VmRSS:"), "%d", &kb); err == nil {
				rss = kb << 10
			}
		case strings.HasPrefix(line, "VmHWM:"):
			if _, err := fmt.Sscanf(strings.TrimPrefix(line, "VmHWM:"), "%d", &kb); err == nil {
				peak = kb << 10
			}
		}
	}
	return rss, peak
}
