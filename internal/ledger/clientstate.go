package ledger

import (
	"context"
	"time"

	"github.com/volact/volact/internal/protocol"
)

// Event is one row of the events table: something the service recorded
// about a machine, such as a state_reset.
type Event struct {
	At         time.Time
	Kind       string // protocol.StateReset
	HardwareID string
	SKU        string
	Detail     string
}

// ObserveClientState records the client state a machine (hardware id)
// reported for product sku at now, in one transaction: it compares it
// with the state kept for that machine and product, if any
// (protocol.ClientState.Reset: it went back, or no client writes it),
// keeps the next one (protocol.ClientState.Next) and, on a reset, adds a
// state_reset event. It reports whether it did. It never refuses: a
// reimaged machine is legitimately reset.
func (l *Ledger) ObserveClientState(ctx context.Context, hwid, sku string, cs protocol.ClientState, now time.Time) (bool, error) {
	var reset bool
	err := l.tx(ctx, "record client state", func(q querier) error {
		reset = false
		var g, tt string
		var seen protocol.ClientState
		err := q.queryRow(ctx, `SELECT grace_start, rearm_count, trusted_time FROM client_state
			WHERE hardware_id = $1 AND sku = $2`+l.b.forUpdate(), hwid, sku).Scan(&g, &seen.RearmCount, &tt)
		known := err == nil
		if err != nil && err != errNoRows {
			return err
		}
		var prev *protocol.ClientState
		if known {
			seen.GraceStart, seen.TrustedTime = unstamp(g), unstamp(tt)
			prev = &seen
		}
		var why string
		if reset, why = cs.Reset(prev); reset {
			if _, err := q.exec(ctx, `INSERT INTO events (at, kind, hardware_id, sku, detail) VALUES ($1, $2, $3, $4, $5)`,
				stamp(now), protocol.StateReset, hwid, sku, why); err != nil {
				return err
			}
		}
		next := cs
		if known {
			next = cs.Next(seen, reset)
		}
		_, err = q.exec(ctx, `INSERT INTO client_state (hardware_id, sku, grace_start, rearm_count, trusted_time, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (hardware_id, sku) DO UPDATE SET grace_start = excluded.grace_start,
				rearm_count = excluded.rearm_count, trusted_time = excluded.trusted_time, updated_at = excluded.updated_at`,
			hwid, sku, stampOrEmpty(next.GraceStart), next.RearmCount, stampOrEmpty(next.TrustedTime), stamp(now))
		return err
	})
	return reset, err
}

// Events returns the events recorded for hardware id hwid ("" = every
// machine), oldest first, at most limit of them (the latest).
func (l *Ledger) Events(ctx context.Context, hwid string, limit int) ([]Event, error) {
	var out []Event
	err := l.tx(ctx, "read events", func(q querier) error {
		out = nil
		var n int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM events WHERE CAST($1 AS TEXT) = '' OR hardware_id = $1`, hwid).Scan(&n); err != nil {
			return err
		}
		// The backends' querier reads one row at a time: read by offset.
		for i := max(0, n-limit); i < n; i++ {
			var e Event
			var at string
			if err := q.queryRow(ctx, `SELECT at, kind, hardware_id, sku, detail FROM events
				WHERE CAST($1 AS TEXT) = '' OR hardware_id = $1 ORDER BY at, hardware_id, sku LIMIT 1 OFFSET $2`, hwid, i).
				Scan(&at, &e.Kind, &e.HardwareID, &e.SKU, &e.Detail); err != nil {
				return err
			}
			e.At = unstamp(at)
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

func stampOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stamp(t)
}

// unstamp reads a time written by stamp; "" or a damaged value is zero.
func unstamp(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
