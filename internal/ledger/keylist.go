package ledger

import (
	"context"
	"time"
)

// KeyInfo is one key as the status page lists it: never the key, only its
// last 5 characters.
type KeyInfo struct {
	Last5     string
	SKU       string
	Type      string // TypeMAK or TypeKMSHost
	Used      int    // activations spent (distinct hosts for a host key)
	Limit     int
	Remaining int // Limit - Used, never negative
	Blocked   bool
	BlockedAt time.Time // zero when not blocked
}

// KeyTotals sums up the keys of a ledger.
type KeyTotals struct {
	Keys    int // keys the ledger knows (activated or blocked at least once)
	Blocked int
	Used    int // MAK activations spent, all keys
}

// Keys returns up to limit keys of the ledger, MAKs first, then by SKU and
// last 5 characters, and the totals over all of them. It only reads.
func (l *Ledger) Keys(ctx context.Context, limit int) ([]KeyInfo, KeyTotals, error) {
	var out []KeyInfo
	var tot KeyTotals
	err := l.tx(ctx, "list keys", func(q querier) error {
		out = nil
		if err := q.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN blocked THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN type = $1 THEN used ELSE 0 END), 0) FROM keys`, TypeMAK).
			Scan(&tot.Keys, &tot.Blocked, &tot.Used); err != nil {
			return err
		}
		// The backends' querier reads one row at a time: read by offset.
		for i := range min(tot.Keys, limit) {
			var k KeyInfo
			var at *string
			if err := q.queryRow(ctx, `SELECT last5, sku, type, used, lim, blocked, blocked_at FROM keys
				ORDER BY CASE WHEN type = $1 THEN 0 ELSE 1 END, sku, last5, id LIMIT 1 OFFSET $2`, TypeMAK, i).
				Scan(&k.Last5, &k.SKU, &k.Type, &k.Used, &k.Limit, &k.Blocked, &at); err != nil {
				return err
			}
			if at != nil {
				k.BlockedAt = unstamp(*at)
			}
			k.Remaining = nonNegative(k.Limit - k.Used)
			out = append(out, k)
		}
		return nil
	})
	return out, tot, err
}
