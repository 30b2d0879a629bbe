package kmsbench_test

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms/kmsbench"
)

// TestProcessCPU reads the test's own CPU time before and after it burns
// some: it must grow, by about what was burnt.
func TestProcessCPU(t *testing.T) {
	before, err := kmsbench.ProcessCPU(os.Getpid())
	if runtime.GOOS != "linux" {
		if !errors.Is(err, kmsbench.ErrNoProcessCPU) {
			t.Fatalf("ProcessCPU on %s = %v, %v; want ErrNoProcessCPU", runtime.GOOS, before, err)
		}
		t.Skip("process CPU time is read on Linux only")
	}
	if err != nil {
		t.Fatal(err)
	}
	after := before
	x := 1
	deadline := time.Now().Add(5 * time.Second)
	for after < before+50*time.Millisecond && time.Now().Before(deadline) {
		for i := range 1_000_000 {
			x = x*31 + i
		}
		if after, err = kmsbench.ProcessCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if after < before+50*time.Millisecond {
		t.Fatalf("CPU time went from %v to %v after 5s of work (%d)", before, after, x)
	}
	if _, err := kmsbench.ProcessCPU(-1); err == nil {
		t.Fatal("ProcessCPU(-1) found a process")
	}
}
