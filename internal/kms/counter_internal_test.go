package kms

import (
	"cmp"
	"fmt"
	"maps"
	"testing"
	"time"
)

func TestCounterWindowAndCap(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newCounter(5)
	if got := c.Count(t0); got != -1 {
		t.Fatalf("count before any request = %d, want -1", got)
	}
	for i := range 12 {
		n, _ := c.Observe(fmt.Sprintf("c%02d", i), t0.Add(time.Duration(i)*time.Minute))
		if want := min(i+1, 10); n != want {
			t.Fatalf("after %d clients count = %d, want %d", i+1, n, want)
		}
	}
	if _, ok := c.seen["c00"]; ok {
		t.Error("the oldest client was not evicted")
	}
	if got := c.Count(t0.Add(Window + time.Minute)); got != 10 {
		t.Errorf("count just before the window ends for most = %d, want 10", got)
	}
	if got := c.Count(t0.Add(Window + 12*time.Minute)); got != -1 {
		t.Errorf("count after 30 days = %d, want -1", got)
	}
	n, _ := c.Observe("new", t0.Add(Window+12*time.Minute))
	if n != 1 {
		t.Errorf("first client after the window: count %d, want 1", n)
	}
}

// TestCounterUndo takes back observations of a new client (evicting the
// oldest at the cap) and of a known one: the counter is as before.
func TestCounterUndo(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		clients int
		cmid    string
	}{{"new client below the cap", 3, "new"}, {"new client at the cap", 10, "new"}, {"known client", 10, "c03"}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCounter(5)
			for i := range tc.clients {
				c.Observe(fmt.Sprintf("c%02d", i), t0.Add(time.Duration(i)*time.Minute))
			}
			before := snapshot(c)
			_, o := c.Observe(tc.cmid, t0.Add(time.Hour))
			c.Undo(o)
			if got := snapshot(c); !maps.Equal(got, before) {
				t.Fatalf("after undo the counter holds %v, want %v", got, before)
			}
		})
	}
}

// TestCounterFloor checks the scan-skipping floor against a counter whose
// clients are refreshed, forgotten and restored out of order: Count and
// Observe give what a full scan gives.
func TestCounterFloor(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewCounter[int](3)
	c.Observe(1, t0)
	c.Observe(2, t0.Add(24*time.Hour))
	c.Observe(1, t0.Add(48*time.Hour)) // refreshed: the floor is now stale
	if got := c.Count(t0.Add(Window)); got != 2 {
		t.Fatalf("count after the first request's window = %d, want 2", got)
	}
	c.Restore(3, t0.Add(-time.Hour)) // older than every other
	if got := c.Count(t0.Add(Window + 30*time.Minute)); got != 2 {
		t.Fatalf("count with a restored old client = %d, want 2 (3 expired)", got)
	}
	if n, _ := c.Observe(4, t0.Add(Window+25*time.Hour)); n != 2 {
		t.Fatalf("count after 2 expired = %d, want 2 (1 and 4)", n)
	}
}

// snapshot is what c holds: client -> last request.
func snapshot[K cmp.Ordered](c *Counter[K]) map[K]time.Time {
	m := map[K]time.Time{}
	for e := c.head; e != nil; e = e.next {
		m[e.id] = e.t
	}
	if len(m) != len(c.seen) {
		panic("the list and the map of the counter differ")
	}
	return m
}

// TestCounterOrder checks the list order against the rule of the oldest:
// the earliest request, and among equal times the smallest id, is evicted.
func TestCounterOrder(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewCounter[int](2)
	c.Observe(7, t0)
	c.Observe(3, t0)
	c.Restore(9, t0.Add(-time.Minute))
	c.Observe(5, t0.Add(time.Minute))
	// Full: 9 (oldest), then 3 and 7 at t0, then 5.
	_, o := c.Observe(1, t0.Add(2*time.Minute))
	if !o.evicted || o.Evicted != 9 {
		t.Fatalf("evicted %v, want 9", o.Evicted)
	}
	_, o = c.Observe(2, t0.Add(2*time.Minute))
	if o.Evicted != 3 {
		t.Fatalf("evicted %v, want 3 (same time as 7, smaller id)", o.Evicted)
	}
	c.Observe(7, t0.Add(3*time.Minute)) // refreshed: 5 is now the oldest
	if _, o = c.Observe(4, t0.Add(4*time.Minute)); o.Evicted != 5 {
		t.Fatalf("evicted %v, want 5", o.Evicted)
	}
}
