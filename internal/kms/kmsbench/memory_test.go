package kmsbench_test

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms/kmsbench"
	"github.com/volact/volact/internal/kms/kmstest"
)

func TestMemoryBench(t *testing.T) {
	now := time.Now()
	dir := kmstest.ActivatedDir(t, kmstest.Authority(t, now), now, "suite-pro")
	for _, tc := range []struct {
		name    string
		totals  []int
		workers int
	}{
		{"one worker", []int{3, 10}, 1},
		{"no workers means one", []int{12}, 0},
		{"more workers than clients", []int{15, 40}, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			err := kmsbench.MemoryBench(context.Background(), dir, "suite-pro", tc.totals, tc.workers, func(p kmsbench.MemoryPoint) {
				got = append(got, p.Clients)
				if p.Heap == 0 || (runtime.GOOS == "linux" && (p.RSS == 0 || p.Peak < p.RSS)) {
					t.Errorf("implausible memory point %+v", p)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.totals) {
				t.Fatalf("reported after %v clients, want %v", got, tc.totals)
			}
		})
	}
}
