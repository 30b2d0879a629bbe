package kms

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// Reasons a request is refused before it is counted. A refused request is
// not kept in the history: the host adds one to the counter of its day and
// reason (the refused table), so that a flood of bad requests costs a row
// per day and reason, not a row per request kept for a year.
const (
	RefusedClockSkew      = "clock_skew"          // client and host clocks differ by more than 4 hours
	RefusedUnknownProduct = "unknown_product"     // SKU not in the host's catalog
	RefusedNotServed      = "group_not_served"    // no activated host key for the product's group
	RefusedBadRequest     = "bad_request"         // malformed, wrong kind, fields too long
	RefusedNetwork        = "network_not_allowed" // client address outside the allowed networks
)

// refusedKey is one counter: a UTC day (2006-01-02) and a reason.
type refusedKey struct{ day, reason string }

// day is the UTC day of t, as the refused table keeps it.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// RefusedCount is the number of requests refused for reason on day.
type RefusedCount struct {
	Day    string `json:"day"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// refusalReason names the reason of a refusal that check returned.
func refusalReason(err error) string {
	switch hresult.CodeOf(err) {
	case hresult.ClockSkew:
		return RefusedClockSkew
	case hresult.SKUNotFound:
		return RefusedUnknownProduct
	case hresult.ServiceFailure:
		return RefusedNotServed
	}
	return RefusedBadRequest
}

// refuse counts a refused request (in the journal, then the refused table,
// and in the metrics) and returns answer. A request that could not be
// journaled is refused all the same.
func (h *Host) refuse(reason string, answer error) error {
	if f := h.onRefused.Load(); f != nil {
		(*f)(reason)
	}
	_ = h.journal.append(write{refused: true, hist: HistoryRow{Time: h.now().UTC(), Result: reason, Count: -1}})
	return answer
}

// onRefusedHook is the metrics hook of refuse, set by Handler.
type onRefusedHook = atomic.Pointer[func(reason string)]

// loadRefused reads the refused counters at or after since, adds those of
// the journaled writes ws, and returns them by day, then reason.
func loadRefused(ctx context.Context, q querier, since time.Time, ws []write) ([]RefusedCount, error) {
	rows, err := q.QueryContext(ctx, `SELECT day, reason, count FROM refused WHERE day >= ?`, day(since))
	if err != nil {
		return nil, dbErr(err, "cannot read the refused requests")
	}
	defer rows.Close()
	sum := map[refusedKey]int{}
	for rows.Next() {
		var k refusedKey
		var n int
		if err := rows.Scan(&k.day, &k.reason, &n); err != nil {
			return nil, dbErr(err, "cannot read the refused requests")
		}
		sum[k] += n
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "cannot read the refused requests")
	}
	for _, w := range ws {
		if w.refused && !w.hist.Time.Before(since) {
			sum[refusedKey{day(w.hist.Time), w.hist.Result}]++
		}
	}
	out := make([]RefusedCount, 0, len(sum))
	for k, n := range sum {
		out = append(out, RefusedCount{Day: k.day, Reason: k.reason, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Day != out[j].Day {
			return out[i].Day < out[j].Day
		}
		return out[i].Reason < out[j].Reason
	})
	return out, nil
}
