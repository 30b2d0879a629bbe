package kms

import (
	"cmp"
	"time"
)

// Counter is the KMS count of one counted group (design §5): the distinct
// clients (keys of type K; the host uses CMID strings) seen within
// [Window], at most 2 × threshold of them (the oldest is evicted), so the
// count a host reports never exceeds twice the threshold and memory stays
// flat however many distinct clients there are.
//
// Counter is pure: no I/O, and time is always an argument. The host
// counts with it (one per group, behind its lock) and so does the fleet
// simulator (volactd sim), with small integer client ids. It is not safe
// for concurrent use.
type Counter[K cmp.Ordered] struct {
	threshold int
	seen      map[K]time.Time // client -> last request
	// floor is no later than any time in seen (a lower bound, exact after
	// a scan): while now-floor < Window nothing can have expired, so
	// expire and Count skip their scan.
	floor time.Time
}

// counter is the host's counter: clients are CMIDs.
type counter = Counter[string]

// NewCounter returns an empty counter for a group with this threshold.
func NewCounter[K cmp.Ordered](threshold int) *Counter[K] {
	return &Counter[K]{threshold: threshold, seen: make(map[K]time.Time, 2*threshold)}
}

func newCounter(threshold int) *counter { return NewCounter[string](threshold) }

// Capacity is the most clients kept: 2 × threshold.
func (c *Counter[K]) Capacity() int { return 2 * c.threshold }

// Threshold is the group's activation threshold.
func (c *Counter[K]) Threshold() int { return c.threshold }

// Activates reports whether a request that [Counter.Observe] counted with
// the result count is activated: at or above the threshold. Below it the
// host answers 0xC004F038 and the client stays in grace (design §5).
func (c *Counter[K]) Activates(count int) bool { return count >= c.threshold }

// put records t for id and keeps floor a lower bound.
func (c *Counter[K]) put(id K, t time.Time) {
	if len(c.seen) == 0 || t.Before(c.floor) {
		c.floor = t
	}
	c.seen[id] = t
}

// expire forgets clients not seen within Window before now.
func (c *Counter[K]) expire(now time.Time) {
	if len(c.seen) == 0 || now.Sub(c.floor) < Window {
		return
	}
	first := true
	for id, t := range c.seen {
		if now.Sub(t) >= Window {
			delete(c.seen, id)
			continue
		}
		if first || t.Before(c.floor) {
			c.floor, first = t, false
		}
	}
}

// Observation is what [Counter.Observe] changed, so that [Counter.Undo]
// can take it back.
type Observation[K cmp.Ordered] struct {
	id   K
	prev time.Time // id's last request before, if had
	had  bool
	// Evicted is the client evicted to make room (the zero K if none).
	Evicted   K
	evictedAt time.Time
	evicted   bool
}

// Observe records a request of client id at now and returns the new count
// and what changed.
func (c *Counter[K]) Observe(id K, now time.Time) (int, Observation[K]) {
	c.expire(now)
	o := Observation[K]{id: id}
	o.prev, o.had = c.seen[id]
	if !o.had && len(c.seen) >= c.Capacity() {
		o.Evicted, o.evicted = c.oldest()
		o.evictedAt = c.seen[o.Evicted]
		delete(c.seen, o.Evicted)
	}
	c.put(id, now)
	return len(c.seen), o
}

// Undo takes back the last observation, when its request could not be
// recorded.
func (c *Counter[K]) Undo(o Observation[K]) {
	if o.had {
		c.put(o.id, o.prev)
	} else {
		delete(c.seen, o.id)
	}
	if o.evicted {
		c.put(o.Evicted, o.evictedAt)
	}
}

// Restore adds a client loaded from storage (oldest first).
func (c *Counter[K]) Restore(id K, t time.Time) {
	if _, ok := c.seen[id]; !ok && len(c.seen) >= c.Capacity() {
		old, _ := c.oldest()
		delete(c.seen, old)
	}
	c.put(id, t)
}

// Forget drops a client (one a journaled request evicted).
func (c *Counter[K]) Forget(id K) { delete(c.seen, id) }

// Count is the number of clients seen within Window before now, or -1 when
// there is none (no client has asked, or all were forgotten).
func (c *Counter[K]) Count(now time.Time) int {
	if len(c.seen) > 0 && now.Sub(c.floor) < Window {
		return len(c.seen)
	}
	n := 0
	for _, t := range c.seen {
		if now.Sub(t) < Window {
			n++
		}
	}
	if n == 0 {
		return -1
	}
	return n
}

// oldest is the client seen longest ago (the smallest id among equals).
func (c *Counter[K]) oldest() (K, bool) {
	var id K
	var at time.Time
	found := false
	for k, t := range c.seen {
		if !found || t.Before(at) || (t.Equal(at) && k < id) {
			id, at, found = k, t, true
		}
	}
	return id, found
}

// replayCount applies a journaled request to c: its evicted CMID leaves and, if
// it was counted, its CMID is counted at its time.
func replayCount(c *counter, w write) {
	if !w.counted {
		return
	}
	if w.evicted != "" {
		c.Forget(w.evicted)
	}
	c.Restore(w.hist.CMID, w.hist.Time)
}
