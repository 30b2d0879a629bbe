package ledger

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// Velocity limits (issue 13): a leaked MAK shows as a burst of new
// activations. The ledger counts the new activations of each MAK per
// clock hour (UTC) in the velocity table; the one that passes
// Velocity.Limit records a velocity_limit event (once per key and hour)
// and is activated all the same, or, with Velocity.Block, is refused with
// hresult.KeyBlocked and blocks the key (a velocity_block event) until an
// admin lifts the block with Unblock. Repeats of an installation spend
// nothing and count nothing. Counting in the ledger makes the limit exact
// across service replicas on one PostgreSQL database and across restarts.
const (
	EventVelocityLimit = "velocity_limit" // a MAK passed its limit; still activated
	EventVelocityBlock = "velocity_block" // a MAK passed its limit and was blocked
	EventUnblocked     = "unblocked"      // an admin lifted a key's block
)

// EventKinds are the kinds of event the ledger records.
var EventKinds = []string{"state_reset", EventVelocityLimit, EventVelocityBlock, EventUnblocked}

// Velocity is the limit on new activations per MAK and hour.
type Velocity struct {
	Limit int  // new activations per key and clock hour; 0 = no limit
	Block bool // block the key when it passes the limit
}

// velocitySetting holds a Ledger's Velocity.
type velocitySetting struct{ v atomic.Pointer[Velocity] }

// SetVelocity sets the limit on new activations per MAK and hour that
// ActivateMAK applies from now on.
func (l *Ledger) SetVelocity(v Velocity) { l.velocity.v.Store(&v) }

// velocityNow is the current setting (zero = no limit).
func (l *Ledger) velocityNow() Velocity {
	if v := l.velocity.v.Load(); v != nil {
		return *v
	}
	return Velocity{}
}

// hourOf is the velocity window of t.
func hourOf(t time.Time) string { return t.UTC().Format("2006-01-02T15") }

// checkVelocity counts one new activation of k at now by installation
// installID (hardware id "/" SKU, without the instance suffix of a clone:
// events name a hardware id and a SKU), with k's row locked. It returns refuse = true when the activation must be refused
// (the key is now blocked); the block and the event are written in q
// either way, so the caller commits before refusing.
func (l *Ledger) checkVelocity(ctx context.Context, q querier, k KeyRef, installID string, now time.Time) (refuse bool, err error) {
	v := l.velocityNow()
	if v.Limit <= 0 {
		return false, nil
	}
	hour := hourOf(now)
	var count int
	var evented bool
	switch err := q.queryRow(ctx, `SELECT count, evented FROM velocity WHERE key_id = $1 AND hour = $2`, k.ID, hour).Scan(&count, &evented); {
	case err == errNoRows:
		if _, err := q.exec(ctx, `INSERT INTO velocity (key_id, hour, count, evented) VALUES ($1, $2, 0, FALSE)`, k.ID, hour); err != nil {
			return false, err
		}
	case err != nil:
		return false, err
	}
	if count < v.Limit {
		_, err := q.exec(ctx, `UPDATE velocity SET count = count + 1 WHERE key_id = $1 AND hour = $2`, k.ID, hour)
		return false, err
	}
	hwid, sku := splitInstall(installID)
	if v.Block {
		if _, err := q.exec(ctx, `UPDATE keys SET blocked = TRUE, blocked_at = $2 WHERE id = $1`, k.ID, stamp(now)); err != nil {
			return false, err
		}
		detail := fmt.Sprintf("%s passed %d new activations in the hour from %s:00 UTC and was blocked; lift with volactd mak unblock", k.keyName(), v.Limit, hour)
		return true, addEvent(ctx, q, now, EventVelocityBlock, hwid, sku, detail)
	}
	if _, err := q.exec(ctx, `UPDATE velocity SET count = count + 1, evented = TRUE WHERE key_id = $1 AND hour = $2`, k.ID, hour); err != nil {
		return false, err
	}
	if evented {
		return false, nil
	}
	detail := fmt.Sprintf("%s passed %d new activations in the hour from %s:00 UTC (activations go on; serve with --velocity-block to block)", k.keyName(), v.Limit, hour)
	return false, addEvent(ctx, q, now, EventVelocityLimit, hwid, sku, detail)
}

// splitInstall splits an installation id (hardware id "/" SKU).
func splitInstall(id string) (hwid, sku string) {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[:i], id[i+1:]
		}
	}
	return id, ""
}

func addEvent(ctx context.Context, q querier, at time.Time, kind, hwid, sku, detail string) error {
	_, err := q.exec(ctx, `INSERT INTO events (at, kind, hardware_id, sku, detail) VALUES ($1, $2, $3, $4, $5)`,
		stamp(at), kind, hwid, sku, detail)
	return err
}

// Unblock lifts the block of key k, whether an admin or the velocity
// limit set it, and starts its velocity count afresh; it records an
// unblocked event. Unblocking a key that is not blocked changes nothing.
func (l *Ledger) Unblock(ctx context.Context, k KeyRef, now time.Time) error {
	if err := k.check(k.Type); err != nil {
		return err
	}
	return l.tx(ctx, "unblock key", func(q querier) error {
		st, err := l.lockKey(ctx, q, k, now)
		if err != nil || !st.blocked {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE keys SET blocked = FALSE, blocked_at = NULL WHERE id = $1`, k.ID); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM velocity WHERE key_id = $1`, k.ID); err != nil {
			return err
		}
		return addEvent(ctx, q, now, EventUnblocked, "", k.SKU, k.keyName()+" unblocked by an admin")
	})
}

// EventCounts returns how many events of each kind in EventKinds the
// ledger holds.
func (l *Ledger) EventCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := l.tx(ctx, "count events", func(q querier) error {
		for _, kind := range EventKinds {
			var n int
			if err := q.queryRow(ctx, `SELECT COUNT(*) FROM events WHERE kind = $1`, kind).Scan(&n); err != nil {
				return err
			}
			out[kind] = n
		}
		return nil
	})
	return out, err
}

// velocityRefused is the answer to the activation that blocked its key.
func velocityRefused(k KeyRef, limit int) error {
	return hresult.Newf(hresult.KeyBlocked, "%s is blocked: more than %d new activations in one hour", k.keyName(), limit).
		WithHint("a burst of activations may mean a leaked key; the key's owner can lift the block with volactd mak unblock")
}
