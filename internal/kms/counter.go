package kms

import "time"

// counter holds the CMIDs of one counted group seen within Window, at most
// 2 × threshold of them (the oldest is evicted), so the count a host
// reports never exceeds twice the threshold and memory stays flat however
// many distinct clients there are.
type counter struct {
	threshold int
	seen      map[string]time.Time // CMID -> last request
}

func newCounter(threshold int) *counter {
	return &counter{threshold: threshold, seen: make(map[string]time.Time, 2*threshold)}
}

// capacity is the most CMIDs kept.
func (c *counter) capacity() int { return 2 * c.threshold }

// expire forgets clients not seen within Window before now.
func (c *counter) expire(now time.Time) {
	for id, t := range c.seen {
		if now.Sub(t) >= Window {
			delete(c.seen, id)
		}
	}
}

// observation is what observe changed, so that undo can take it back.
type observation struct {
	cmid      string
	prev      time.Time // cmid's last request before, if had
	had       bool
	evicted   string // the CMID evicted to make room ("" if none)
	evictedAt time.Time
}

// observe records a request of cmid at now and returns the new count and
// what changed.
func (c *counter) observe(cmid string, now time.Time) (int, observation) {
	c.expire(now)
	o := observation{cmid: cmid}
	o.prev, o.had = c.seen[cmid]
	if !o.had && len(c.seen) >= c.capacity() {
		o.evicted = c.oldest()
		o.evictedAt = c.seen[o.evicted]
		delete(c.seen, o.evicted)
	}
	c.seen[cmid] = now
	return len(c.seen), o
}

// undo takes back the last observation, when its request could not be
// recorded.
func (c *counter) undo(o observation) {
	if o.had {
		c.seen[o.cmid] = o.prev
	} else {
		delete(c.seen, o.cmid)
	}
	if o.evicted != "" {
		c.seen[o.evicted] = o.evictedAt
	}
}

// restore adds a client loaded from the database (oldest first).
func (c *counter) restore(cmid string, t time.Time) {
	if _, ok := c.seen[cmid]; !ok && len(c.seen) >= c.capacity() {
		delete(c.seen, c.oldest())
	}
	c.seen[cmid] = t
}

// count is the number of clients seen within Window before now, or -1 when
// there is none (no client has asked, or all were forgotten).
func (c *counter) count(now time.Time) int {
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

func (c *counter) oldest() string {
	var id string
	var at time.Time
	for k, t := range c.seen {
		if id == "" || t.Before(at) || (t.Equal(at) && k < id) {
			id, at = k, t
		}
	}
	return id
}

// replay applies a journaled request: its evicted CMID leaves and, if it
// was counted, its CMID is counted at its time.
func (c *counter) replay(w write) {
	if !w.counted {
		return
	}
	if w.evicted != "" {
		delete(c.seen, w.evicted)
	}
	c.restore(w.hist.CMID, w.hist.Time)
}
