package ledger

import (
	"context"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// keyState is a key's row, read under its lock.
type keyState struct {
	typ     string
	used    int
	lim     int
	blocked bool
}

// lockKey creates k's row if it is new and reads it, locking it until the
// transaction ends, so that every change to one key is serialised.
func (l *Ledger) lockKey(ctx context.Context, q querier, k KeyRef, now time.Time) (keyState, error) {
	if _, err := q.exec(ctx, `INSERT INTO keys (id, last5, sku, type, lim, used, blocked, created_at)
		VALUES ($1, $2, $3, $4, $5, 0, FALSE, $6) ON CONFLICT (id) DO NOTHING`,
		k.ID, k.Last5, k.SKU, k.Type, k.limit(), stamp(now)); err != nil {
		return keyState{}, err
	}
	var st keyState
	err := q.queryRow(ctx, `SELECT type, used, lim, blocked FROM keys WHERE id = $1`+l.b.forUpdate(), k.ID).
		Scan(&st.typ, &st.used, &st.lim, &st.blocked)
	return st, err
}

// ActivateMAK spends one activation of MAK k on the installation in. The
// key's row is created on first use with limit k.Limit. A machine that was
// activated before spends nothing (Spent false): one with in's
// installation id whose recorded identity sources in's still match, within
// machineid's tolerance; its record then follows in's sources. A machine
// with the same installation id and other hardware (a clone that kept the
// hardware id) is another instance and spends an activation of its own.
// Errors: hresult.KeyExhausted when no activation is left,
// hresult.KeyBlocked for a blocked key (even for an installation activated
// before the block), hresult.ServiceFailure when the database fails.
func (l *Ledger) ActivateMAK(ctx context.Context, k KeyRef, in Installation, now time.Time) (ActivateResult, error) {
	if err := k.check(TypeMAK); err != nil {
		return ActivateResult{}, err
	}
	switch {
	case k.Limit <= 0:
		return ActivateResult{}, hresult.Newf(hresult.InvalidArg, "MAK ...%s has no activation limit", k.Last5)
	case in.ID == "":
		return ActivateResult{}, hresult.New(hresult.InvalidArg, "installation id is empty")
	}
	var res ActivateResult
	var refused bool // by the velocity limit, which blocked the key (velocity.go)
	err := l.tx(ctx, "activate MAK", func(q querier) error {
		refused = false
		st, err := l.lockKey(ctx, q, k, now)
		if err != nil {
			return err
		}
		res = ActivateResult{Used: st.used, Limit: st.lim}
		if !st.blocked && st.typ != k.Type {
			return wrongTypeErr(k, st.typ)
		}
		n, found, err := findInstance(ctx, q, k, in)
		if err != nil {
			return err
		}
		res.Instance = n
		id := instanceID(in.ID, n)
		switch license.DecideMAK(st.blocked, found, st.used, st.lim) {
		case license.MAKBlocked:
			return blockedErr(k)
		case license.MAKAgain:
			if len(in.Sources) == 0 {
				return nil // idempotent, nothing spent
			}
			_, err := q.exec(ctx, `UPDATE activations SET sources = $3 WHERE key_id = $1 AND install_id = $2`,
				k.ID, id, sourcesText(in.Sources))
			return err
		case license.MAKExhausted:
			return exhaustedErr(k, st.used, st.lim)
		}
		if refused, err = l.checkVelocity(ctx, q, k, in.ID, now); err != nil || refused {
			return err // refused: commit the block and its event, then refuse
		}
		inserted, err := q.exec(ctx, `INSERT INTO activations (key_id, install_id, activated_at, sources)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, k.ID, id, stamp(now), sourcesText(in.Sources))
		if err != nil {
			return err
		}
		if inserted == 0 {
			return nil // a racing twin of this installation won; nothing spent
		}
		// The row lock makes this guard redundant; it stays as a second
		// line of defence against overspending.
		updated, err := q.exec(ctx, `UPDATE keys SET used = used + 1 WHERE id = $1 AND used < lim AND NOT blocked`, k.ID)
		if err != nil {
			return err
		}
		if updated == 0 {
			return exhaustedErr(k, st.used, st.lim) // rolls the activation row back
		}
		res = ActivateResult{Spent: true, Used: st.used + 1, Limit: st.lim, Instance: n}
		return nil
	})
	if err == nil && refused {
		return ActivateResult{}, velocityRefused(k, l.velocityNow().Limit)
	}
	return res, err
}

// ActivateHost records one activation of the KMS host hostID with host key
// k. A host key activates at most MaxHosts distinct hosts, each at most
// MaxHostActivations times; beyond that the error is hresult.HostKeyLimit,
// saying which limit was hit. A blocked key gives hresult.KeyBlocked.
func (l *Ledger) ActivateHost(ctx context.Context, k KeyRef, hostID string, now time.Time) (HostResult, error) {
	if err := k.check(TypeKMSHost); err != nil {
		return HostResult{}, err
	}
	if hostID == "" {
		return HostResult{}, hresult.New(hresult.InvalidArg, "host id is empty")
	}
	var res HostResult
	err := l.tx(ctx, "activate KMS host", func(q querier) error {
		st, err := l.lockKey(ctx, q, k, now)
		if err != nil {
			return err
		}
		switch {
		case st.blocked:
			return blockedErr(k)
		case st.typ != k.Type:
			return wrongTypeErr(k, st.typ)
		}
		var count int
		err = q.queryRow(ctx, `SELECT count FROM host_activations WHERE key_id = $1 AND host_id = $2`,
			k.ID, hostID).Scan(&count)
		switch {
		case err == errNoRows: // a new host
			if st.used >= st.lim {
				return hresult.Newf(hresult.HostKeyLimit, "%s already activated %d hosts", k.keyName(), st.used).
					WithHint("activate one of the hosts already activated, or use another host key")
			}
			if _, err := q.exec(ctx, `INSERT INTO host_activations (key_id, host_id, count, first_at, last_at)
				VALUES ($1, $2, 1, $3, $3)`, k.ID, hostID, stamp(now)); err != nil {
				return err
			}
			if _, err := q.exec(ctx, `UPDATE keys SET used = used + 1 WHERE id = $1`, k.ID); err != nil {
				return err
			}
			res = HostResult{Hosts: st.used + 1, Activations: 1}
		case err != nil:
			return err
		case count >= MaxHostActivations:
			return hresult.Newf(hresult.HostKeyLimit, "host %s activated %d times with this key", hostID, count).
				WithHint("keep the host's existing activation, or use another host key")
		default:
			if _, err := q.exec(ctx, `UPDATE host_activations SET count = count + 1, last_at = $3
				WHERE key_id = $1 AND host_id = $2`, k.ID, hostID, stamp(now)); err != nil {
				return err
			}
			res = HostResult{Hosts: st.used, Activations: count + 1}
		}
		return nil
	})
	return res, err
}

// Block blocks key k: every later activation with it is refused with
// hresult.KeyBlocked. A key can be blocked before its first use (its row
// is then created from k). Blocking a blocked key changes nothing.
func (l *Ledger) Block(ctx context.Context, k KeyRef, now time.Time) error {
	if err := k.check(k.Type); err != nil {
		return err
	}
	return l.tx(ctx, "block key", func(q querier) error {
		if _, err := l.lockKey(ctx, q, k, now); err != nil {
			return err
		}
		_, err := q.exec(ctx, `UPDATE keys SET blocked = TRUE, blocked_at = $2 WHERE id = $1 AND NOT blocked`,
			k.ID, stamp(now))
		return err
	})
}

// Remaining reports how much of key k is used. A key the ledger has never
// seen reports nothing used and its whole limit remaining.
func (l *Ledger) Remaining(ctx context.Context, k KeyRef) (KeyStatus, error) {
	if k.ID == "" {
		return KeyStatus{}, hresult.New(hresult.InvalidArg, "key id is empty")
	}
	var ks KeyStatus
	err := l.tx(ctx, "read key", func(q querier) error {
		ks = KeyStatus{Limit: k.limit()}
		err := q.queryRow(ctx, `SELECT used, lim, blocked FROM keys WHERE id = $1`, k.ID).
			Scan(&ks.Used, &ks.Limit, &ks.Blocked)
		switch {
		case err == errNoRows:
			return nil
		case err != nil:
			return err
		}
		return q.queryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM activations WHERE key_id = $1) +
			(SELECT COUNT(*) FROM host_activations WHERE key_id = $1)`, k.ID).Scan(&ks.Activations)
	})
	ks.Remaining = nonNegative(ks.Limit - ks.Used)
	return ks, err
}
