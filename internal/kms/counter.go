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
	seen      map[K]*entry[K] // client -> its entry in the list
	// head..tail lists the clients by last request, oldest first (ties by
	// id), so the oldest is at hand and the expired ones are a prefix.
	head, tail *entry[K]
	free       *entry[K] // entries to reuse
}

// entry is one client in the list.
type entry[K cmp.Ordered] struct {
	id         K
	t          time.Time // last request
	prev, next *entry[K]
}

// before reports whether e comes before a client id seen at t.
func (e *entry[K]) before(t time.Time, id K) bool {
	return e.t.Before(t) || (e.t.Equal(t) && e.id < id)
}

// counter is the host's counter: clients are CMIDs.
type counter = Counter[string]

// NewCounter returns an empty counter for a group with this threshold.
func NewCounter[K cmp.Ordered](threshold int) *Counter[K] {
	return &Counter[K]{threshold: threshold, seen: make(map[K]*entry[K], 2*threshold)}
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

// put records t as id's last request.
func (c *Counter[K]) put(id K, t time.Time) {
	e := c.seen[id]
	if e != nil {
		c.unlink(e)
	} else {
		e, c.free = c.free, nil
		if e == nil {
			e = &entry[K]{}
		}
		e.id = id
		c.seen[id] = e
	}
	e.t = t
	// From the newest back: requests mostly arrive in time order.
	at := c.tail
	for at != nil && !at.before(t, id) {
		at = at.prev
	}
	e.prev = at
	if at == nil {
		e.next, c.head = c.head, e
	} else {
		e.next, at.next = at.next, e
	}
	if e.next == nil {
		c.tail = e
	} else {
		e.next.prev = e
	}
}

func (c *Counter[K]) unlink(e *entry[K]) {
	if e.prev == nil {
		c.head = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		c.tail = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.prev, e.next = nil, nil
}

// remove forgets e.
func (c *Counter[K]) remove(e *entry[K]) {
	c.unlink(e)
	delete(c.seen, e.id)
	*e = entry[K]{}
	c.free = e
}

// expire forgets clients not seen within Window before now.
func (c *Counter[K]) expire(now time.Time) {
	for c.head != nil && now.Sub(c.head.t) >= Window {
		c.remove(c.head)
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
	if e := c.seen[id]; e != nil {
		o.prev, o.had = e.t, true
	} else if len(c.seen) >= c.Capacity() && c.head != nil {
		o.Evicted, o.evictedAt, o.evicted = c.head.id, c.head.t, true
		c.remove(c.head)
	}
	c.put(id, now)
	return len(c.seen), o
}

// Undo takes back the last observation, when its request could not be
// recorded.
func (c *Counter[K]) Undo(o Observation[K]) {
	if o.had {
		c.put(o.id, o.prev)
	} else if e := c.seen[o.id]; e != nil {
		c.remove(e)
	}
	if o.evicted {
		c.put(o.Evicted, o.evictedAt)
	}
}

// Restore adds a client loaded from storage (oldest first).
func (c *Counter[K]) Restore(id K, t time.Time) {
	if _, ok := c.seen[id]; !ok && len(c.seen) >= c.Capacity() && c.head != nil {
		c.remove(c.head)
	}
	c.put(id, t)
}

// Merge adds a client that another host counted (a shared database): its
// last request is the later of the two; when the counter is full it takes
// the place of the oldest client only if it is more recent.
func (c *Counter[K]) Merge(id K, t time.Time) {
	if e := c.seen[id]; e != nil {
		if t.After(e.t) {
			c.put(id, t)
		}
		return
	}
	if len(c.seen) >= c.Capacity() && c.head != nil {
		if !t.After(c.head.t) {
			return
		}
		c.remove(c.head)
	}
	c.put(id, t)
}

// Has reports whether id is counted at now: seen within the window (a
// renewal, not a new client).
func (c *Counter[K]) Has(id K, now time.Time) bool {
	e := c.seen[id]
	return e != nil && now.Sub(e.t) < Window
}

// Forget drops a client (one a journaled request evicted).
func (c *Counter[K]) Forget(id K) {
	if e := c.seen[id]; e != nil {
		c.remove(e)
	}
}

// Count is the number of clients seen within Window before now, or -1 when
// there is none (no client has asked, or all were forgotten).
func (c *Counter[K]) Count(now time.Time) int {
	n := len(c.seen)
	for e := c.head; e != nil && now.Sub(e.t) >= Window; e = e.next {
		n--
	}
	if n == 0 {
		return -1
	}
	return n
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
