package kms

import (
	"fmt"
	"testing"
	"time"
)

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
