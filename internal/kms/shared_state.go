package kms

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// The client states of a site (issue 11 item 6): hosts on one shared
// database keep, as a host alone does (stateseen.go), the highest state
// each machine reported, and share it in kms_client_state, so that a
// machine that reset its store and asks a host that never saw it is still
// a state_reset.
//
//   - The shipper, after the outbox, upserts the states that changed on
//     the host. The database keeps of two states the one neither host
//     would flag against the other (protocol.ClientState.Merge: the higher
//     rearm count, for equal counts the earlier grace start, the later
//     trusted time); a state with more resets recorded replaces one with
//     fewer, so that a reset is reported once per site, not again by every
//     host that saw the state before it.
//   - The refresher merges the rows changed since its last merge into the
//     host's states, recording no event. Rows are found by the transaction
//     that changed them (updated_tx): the refresher reads those below the
//     oldest transaction still running, and next time from there, so a
//     transaction that commits late is read late, never missed.
//
// A host whose database is away answers from its own states and sends them
// when the database is back; requests never wait on the database.
const pgStateSchema = `
CREATE TABLE IF NOT EXISTS kms_client_state (
	hwid TEXT NOT NULL, sku TEXT NOT NULL, grace_start BIGINT NOT NULL, rearm_count INTEGER NOT NULL,
	trusted_time BIGINT NOT NULL, resets BIGINT NOT NULL, updated_at BIGINT NOT NULL, updated_tx BIGINT NOT NULL,
	PRIMARY KEY (hwid, sku));
CREATE INDEX IF NOT EXISTS kms_client_state_tx ON kms_client_state (updated_tx);
`

// stateBatch is the most states sent in one statement.
const stateBatch = 2000

// ensureStateTable creates kms_client_state in a database that init-db
// set up before it existed, when a host joins it.
func ensureStateTable(ctx context.Context, tx pgx.Tx) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('kms_client_state') IS NOT NULL`).Scan(&exists); err != nil || exists {
		return err
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", pgLockID)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, pgStateSchema)
	return err
}

// earlierGrace holds when the upserted grace start is earlier than the
// kept one (zero is unknown).
const earlierGrace = `excluded.grace_start <> 0 AND (c.grace_start = 0 OR excluded.grace_start < c.grace_start)`

// upsertStateSQL merges a batch of states into kms_client_state; a row
// changes (and so is read by the other hosts) only when the merge changes it.
const upsertStateSQL = `INSERT INTO kms_client_state AS c (hwid, sku, grace_start, rearm_count, trusted_time, resets, updated_at, updated_tx)
SELECT h, k, g, r, tt, n, $7, txid_current()
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::bigint[], $6::bigint[]) AS x(h, k, g, r, tt, n)
ON CONFLICT (hwid, sku) DO UPDATE SET
	rearm_count = CASE WHEN excluded.resets > c.resets THEN excluded.rearm_count ELSE GREATEST(c.rearm_count, excluded.rearm_count) END,
	grace_start = CASE WHEN excluded.resets > c.resets OR excluded.rearm_count > c.rearm_count THEN excluded.grace_start
		WHEN excluded.rearm_count = c.rearm_count AND ` + earlierGrace + ` THEN excluded.grace_start ELSE c.grace_start END,
	trusted_time = CASE WHEN excluded.resets > c.resets THEN excluded.trusted_time ELSE GREATEST(c.trusted_time, excluded.trusted_time) END,
	resets = excluded.resets, updated_at = excluded.updated_at, updated_tx = excluded.updated_tx
WHERE excluded.resets > c.resets OR excluded.resets = c.resets AND (excluded.rearm_count > c.rearm_count
	OR excluded.rearm_count = c.rearm_count AND ` + earlierGrace + ` OR excluded.trusted_time > c.trusted_time)`

// shipStates sends the states that changed on the host since they were
// last sent; those it could not send stay to send.
func (s *shared) shipStates(ctx context.Context) (int, error) {
	total := 0
	for {
		rows := s.h.states.takePending(stateBatch)
		if len(rows) == 0 {
			return total, nil
		}
		if err := s.upsertStates(ctx, rows); err != nil {
			s.h.states.putBack(rows)
			return total, err
		}
		if total += len(rows); len(rows) < stateBatch {
			return total, nil
		}
	}
}

// upsertStates merges rows into the shared table, in one statement.
func (s *shared) upsertStates(ctx context.Context, rows map[stateKey]seenState) error {
	keys := make([]stateKey, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	// One order for every host, so that concurrent upserts never deadlock.
	slices.SortFunc(keys, func(a, b stateKey) int { return strings.Compare(a.hwid+"\x00"+a.sku, b.hwid+"\x00"+b.sku) })
	n := len(keys)
	hw, sku, grace, trusted, resets, rearm := make([]string, n), make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int32, n)
	for i, k := range keys {
		st := rows[k]
		hw[i], sku[i], grace[i], trusted[i], resets[i], rearm[i] = k.hwid, k.sku, nanosOrZero(st.GraceStart), nanosOrZero(st.TrustedTime), st.resets, int32(st.RearmCount)
	}
	_, err := s.pool.Exec(ctx, upsertStateSQL, hw, sku, grace, rearm, trusted, resets, s.h.now().UnixNano())
	return err
}

// pullStates merges into the host's states the rows changed since the
// last pull. Call it with refreshMu held.
func (s *shared) pullStates(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `WITH x AS (SELECT txid_snapshot_xmin(txid_current_snapshot()) AS xmin)
		SELECT x.xmin, c.hwid, COALESCE(c.sku, ''), COALESCE(c.grace_start, 0), COALESCE(c.rearm_count, 0),
			COALESCE(c.trusted_time, 0), COALESCE(c.resets, 0)
		FROM x LEFT JOIN kms_client_state c ON c.updated_tx >= $1 AND c.updated_tx < x.xmin`, s.stateTx)
	if err != nil {
		return err
	}
	var got []siteState
	var xmin int64
	for rows.Next() {
		var hw *string
		var r siteState
		var g, tt int64
		if err := rows.Scan(&xmin, &hw, &r.k.sku, &g, &r.st.RearmCount, &tt, &r.st.resets); err != nil {
			rows.Close()
			return err
		}
		if hw != nil {
			r.k.hwid, r.st.GraceStart, r.st.TrustedTime = *hw, unixOrZero(g), unixOrZero(tt)
			got = append(got, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	s.h.states.merge(got)
	s.stateTx = xmin
	return nil
}

// stateCollectors are the metrics of the client states:
// volact_kms_client_states and volact_kms_client_states_merged_total.
func (h *Host) stateCollectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "volact_kms_client_states", Help: "Machine and product client states the host keeps (the highest each reported).",
		}, func() float64 { return float64(h.states.len()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "volact_kms_client_states_merged_total", Help: "Client states the host took from its site's shared database (another host saw them).",
		}, func() float64 { return float64(h.states.merged.Load()) }),
	}
}
