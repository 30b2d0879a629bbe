package kms

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Limits on count inflation (issue 13): any machine on the LAN could raise
// a group's count to its threshold by inventing CMIDs. So the host counts
// the new CMIDs of each source network (a /24 for IPv4, a /64 for IPv6)
// over the last hour; past Settings.NewCMIDLimit, further new CMIDs from
// that network are answered as usual (with the current count) but not
// counted, and a count_limit event is journaled as a history row: once per
// network and hour, so a flood costs one event row, not one per request.
// CMIDs already counted keep renewing whatever the limit.
const (
	// DefaultNewCMIDLimit is new CMIDs per network and hour counted when
	// the host's settings (kms set --new-cmid-limit) and the catalog say
	// nothing.
	DefaultNewCMIDLimit = 100
	// CountLimitEvent is the history result of a count_limit event.
	CountLimitEvent = "count_limit"
	// limitWindow is the period the limit counts over.
	limitWindow = time.Hour
)

// ParseRate reads a limit such as 100/h, 100 (per hour) or 0 (no limit).
func ParseRate(s string) (int, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "/hour"), "/h")
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, invalid("limit %q is not a number of new CMIDs per hour such as 100/h (0 = no limit)", s)
	}
	return n, nil
}

// FormatRate prints a limit as ParseRate reads it.
func FormatRate(n int) string {
	if n == 0 {
		return "none"
	}
	return strconv.Itoa(n) + "/h"
}

// NetworkOf is the network a client address is limited as: its /24 for
// IPv4 (and IPv4-mapped IPv6), its /64 for IPv6. An address that does not
// parse is its own network.
func NetworkOf(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap().WithZone("")
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p.String()
}

// netWindow is one network's new CMIDs within the last limitWindow.
type netWindow struct {
	times   []time.Time // when each counted new CMID came, oldest first
	eventAt time.Time   // the last count_limit event of this network
}

// netLimiter holds every network's window. Host.mu guards it.
type netLimiter struct {
	limit     int // 0 = no limit
	nets      map[string]*netWindow
	uncounted atomic.Int64 // requests answered but not counted
	events    atomic.Int64 // count_limit events recorded
}

func newNetLimiter(limit int) *netLimiter {
	return &netLimiter{limit: limit, nets: map[string]*netWindow{}}
}

// admit says whether a new CMID from network may be counted at now, and
// if not, whether a count_limit event is due. An admitted CMID is added to
// the network's window.
func (l *netLimiter) admit(network string, now time.Time) (ok, event bool) {
	if l.limit <= 0 {
		return true, false
	}
	w := l.nets[network]
	if w == nil {
		if len(l.nets) > 4096 {
			l.prune(now)
		}
		w = &netWindow{}
		l.nets[network] = w
	}
	w.expire(now)
	if len(w.times) < l.limit {
		w.times = append(w.times, now)
		return true, false
	}
	l.uncounted.Add(1)
	if w.eventAt.IsZero() || now.Sub(w.eventAt) >= limitWindow {
		w.eventAt = now
		l.events.Add(1)
		return false, true
	}
	return false, false
}

// undo takes back the last admitted CMID of network, when its request
// could not be journaled.
func (l *netLimiter) undo(network string) {
	if w := l.nets[network]; w != nil && len(w.times) > 0 {
		w.times = w.times[:len(w.times)-1]
	}
}

func (w *netWindow) expire(now time.Time) {
	i := 0
	for i < len(w.times) && now.Sub(w.times[i]) >= limitWindow {
		i++
	}
	w.times = w.times[i:]
}

// prune forgets the networks with nothing in their window.
func (l *netLimiter) prune(now time.Time) {
	for k, w := range l.nets {
		w.expire(now)
		if len(w.times) == 0 && now.Sub(w.eventAt) >= limitWindow {
			delete(l.nets, k)
		}
	}
}

// limitNew decides, with h.mu held, whether the request of cmid from addr
// is counted: CMIDs already counted always are; a new one only while its
// network is within the limit. When it is not, a count_limit event is
// journaled if one is due. The returned undo takes an admission back.
func (h *Host) limitNew(c *counter, row HistoryRow, now time.Time) (counted bool, undo func()) {
	if c.Has(row.CMID, now) {
		return true, func() {}
	}
	network := NetworkOf(row.Addr)
	ok, event := h.limits.admit(network, now)
	if ok {
		return true, func() { h.limits.undo(network) }
	}
	if event {
		h.log.Warn("a network passed the limit of new CMIDs per hour; its new CMIDs are answered but not counted",
			"network", network, "limit", FormatRate(h.limits.limit), "group", row.Group)
		ev := row
		ev.Result, ev.Count = CountLimitEvent, c.Count(now)
		if err := h.journal.append(write{hist: ev}); err != nil {
			h.log.Error("cannot journal a count_limit event", "err", err)
		}
	}
	return false, func() {}
}

// countLimitDetail is the text of a count_limit event for kms events.
func countLimitDetail(addr string) string {
	return fmt.Sprintf("network %s passed its limit of new CMIDs per hour: new CMIDs from it are answered but not counted", NetworkOf(addr))
}
