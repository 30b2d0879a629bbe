package kms

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestGroupCommitAcksOnlyAfterCommit holds a batch between write and
// commit and checks that no submitter is answered before the commit, and
// that concurrent submitters share batches.
func TestGroupCommitAcksOnlyAfterCommit(t *testing.T) {
	db, err := openDB(filepath.Join(t.TempDir(), DBFile), true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCommitter(db, func() time.Time { return now }, func() time.Duration { return DefaultHistoryRetention })
	release := make(chan struct{})
	inCommit := make(chan int, 100)
	c.beforeCommit = func(n int) {
		inCommit <- n
		<-release
	}
	const n = 20
	acked := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := write{hist: HistoryRow{Time: now, CMID: fmt.Sprintf("c%d", i), Group: "suite", SKU: "suite-pro", Result: "0x00000000"}, counted: true}
			if err := c.submit(context.Background(), w)(); err != nil {
				t.Error(err)
			}
			acked <- i
		}()
	}
	first := <-inCommit // a batch is written, not committed
	select {
	case i := <-acked:
		t.Fatalf("request %d acknowledged before its batch committed", i)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	close(acked)
	got := 0
	for range acked {
		got++
	}
	if got != n {
		t.Fatalf("acked %d of %d", got, n)
	}
	c.close()
	var rows int
	if err := db.QueryRow(`SELECT COUNT(*) FROM history`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != n {
		t.Fatalf("history has %d rows after %d acknowledged requests", rows, n)
	}
	batches := 1
	for len(inCommit) > 0 {
		<-inCommit
		batches++
	}
	if batches >= n {
		t.Errorf("%d commits for %d concurrent requests (first batch %d): no group commit", batches, n, first)
	}
}

// TestCommitFailureIsReported closes the database under the committer: the
// submitter gets an error, not a silent acknowledgement.
func TestCommitFailureIsReported(t *testing.T) {
	db, err := openDB(filepath.Join(t.TempDir(), DBFile), true)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := newCommitter(db, func() time.Time { return now }, func() time.Duration { return DefaultHistoryRetention })
	db.Close()
	err = c.submit(context.Background(), write{hist: HistoryRow{Time: now, CMID: "x"}})()
	if err == nil {
		t.Fatal("a write to a closed database was acknowledged")
	}
	c.close()
	if err := c.submit(context.Background(), write{})(); err == nil {
		t.Fatal("a write after close was acknowledged")
	}
}

func TestCounterWindowAndCap(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCounter(5)
	if got := c.count(t0); got != -1 {
		t.Fatalf("count before any request = %d, want -1", got)
	}
	for i := range 12 {
		n, _ := c.observe(fmt.Sprintf("c%02d", i), t0.Add(time.Duration(i)*time.Minute))
		if want := min(i+1, 10); n != want {
			t.Fatalf("after %d clients count = %d, want %d", i+1, n, want)
		}
	}
	if _, ok := c.seen["c00"]; ok {
		t.Error("the oldest client was not evicted")
	}
	if got := c.count(t0.Add(Window + time.Minute)); got != 10 {
		t.Errorf("count just before the window ends for most = %d, want 10", got)
	}
	if got := c.count(t0.Add(Window + 12*time.Minute)); got != -1 {
		t.Errorf("count after 30 days = %d, want -1", got)
	}
	n, _ := c.observe("new", t0.Add(Window+12*time.Minute))
	if n != 1 {
		t.Errorf("first client after the window: count %d, want 1", n)
	}
}
