// Command demo runs volact and volactd end to end on loopback with real processes: an
// activation service, a KMS host and 30 client machines, through the seed's
// story; then, if PostgreSQL is installed, three KMS hosts sharing one count
// on a throwaway PostgreSQL server. It prints a summary, stops every process it started (also on
// Ctrl-C and on failure) and exits non-zero if any step did not give the
// expected result.
//
// Usage: go run ./scripts/demo [path/to/volact] (volactd next to it)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	bin := "bin/volact"
	if len(os.Args) > 1 {
		bin = os.Args[1]
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 150*time.Second)
	defer cancel()

	work, err := os.MkdirTemp("", "volact-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	d := newDemo(ctx, abs, work)
	start := time.Now()
	err = d.story()
	d.stopAll()
	_ = os.RemoveAll(work)
	d.summary(time.Since(start))
	switch {
	case ctx.Err() == context.Canceled:
		fmt.Fprintln(os.Stderr, "demo: interrupted; every process it started was stopped")
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "demo: FAILED:", err)
		os.Exit(1)
	case d.failed > 0:
		fmt.Fprintf(os.Stderr, "demo: FAILED: %d step(s) did not give the expected result\n", d.failed)
		os.Exit(1)
	}
	fmt.Println("demo: every step gave the expected result")
}
