package kms

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// chunk is the most rows one multi-row statement carries.
const chunk = 64

// Statements of a batch, each for up to chunk rows.
const (
	sqlHistory = `INSERT INTO history(t, cmid, grp, sku, result, count, addr) VALUES `
	rowHistory = `(?,?,?,?,?,?,?)`
	sqlUpsert  = `INSERT INTO clients(grp, cmid, last_seen) VALUES `
	rowUpsert  = `(?,?,?)`
	endUpsert  = ` ON CONFLICT(grp, cmid) DO UPDATE SET last_seen = excluded.last_seen`
	sqlDelete  = `DELETE FROM clients WHERE (grp, cmid) IN (VALUES `
	rowDelete  = `(?,?)`
	endDelete  = `)`
	sqlRefused = `INSERT INTO refused(day, reason, count) VALUES `
	rowRefused = `(?,?,?)`
	endRefused = ` ON CONFLICT(day, reason) DO UPDATE SET count = refused.count + excluded.count`
	sqlOutbox  = `INSERT INTO shared_outbox(seq, rec, t, cmid, grp, sku, result, count, addr, counted) VALUES `
	rowOutbox  = `(?,?,?,?,?,?,?,?,?,?)`
	endOutbox  = ` ON CONFLICT(seq, rec) DO NOTHING`
)

// batchWriter writes batches with multi-row statements it prepares once
// per shape and keeps.
type batchWriter struct {
	db    *sql.DB
	stmts map[string]*sql.Stmt
	ops   []op
	// outbox: the host shares its count through PostgreSQL, so every
	// history row also goes to the shared_outbox table, in the same
	// transaction, for the shipper (shared.go).
	outbox bool
}

// op is one multi-row statement of a batch: head + n × row + tail.
type op struct {
	head, row, tail string
	n               int
	args            []any
}

func (o op) key() string { return o.head + strconv.Itoa(o.n) }

func newBatchWriter(db *sql.DB) *batchWriter {
	return &batchWriter{db: db, stmts: map[string]*sql.Stmt{}, outbox: hasOutbox(db)}
}

func (bw *batchWriter) close() {
	for _, s := range bw.stmts {
		s.Close()
	}
}

// prepare prepares the statements of ops not prepared yet. It runs outside
// any transaction, on the pool's one connection, which the transaction
// then reuses them on.
func (bw *batchWriter) prepare(ctx context.Context, ops []op) error {
	for _, o := range ops {
		if _, ok := bw.stmts[o.key()]; ok {
			continue
		}
		q := make([]byte, 0, len(o.head)+o.n*(len(o.row)+1)+len(o.tail))
		q = append(q, o.head...)
		for i := range o.n {
			if i > 0 {
				q = append(q, ',')
			}
			q = append(q, o.row...)
		}
		q = append(q, o.tail...)
		st, err := bw.db.PrepareContext(ctx, string(q))
		if err != nil {
			return err
		}
		bw.stmts[o.key()] = st
	}
	return nil
}

// clientKey names a counted client.
type clientKey struct{ group, cmid string }

// plan turns a batch into statements: every history row, and the net
// change of the counted clients (a client counted and evicted within the
// batch costs nothing), in chunks of at most chunk rows.
func (bw *batchWriter) plan(batch []write) []op {
	ops := bw.ops[:0]
	hist := op{head: sqlHistory, row: rowHistory}
	var refusedOrder []refusedKey
	refused := map[refusedKey]int{}
	for _, w := range batch {
		if w.refused {
			k := refusedKey{day(w.hist.Time), w.hist.Result}
			if refused[k] == 0 {
				refusedOrder = append(refusedOrder, k)
			}
			refused[k]++
			continue
		}
		h := w.hist
		hist.args, hist.n = append(hist.args, h.Time.UnixNano(), h.CMID, h.Group, h.SKU, h.Result, h.Count, h.Addr), hist.n+1
		if hist.n == chunk {
			ops = append(ops, hist)
			hist.args, hist.n = nil, 0
		}
	}
	if hist.n > 0 {
		ops = append(ops, hist)
	}
	if bw.outbox {
		ops = planOutbox(ops, batch)
	}
	ref := op{head: sqlRefused, row: rowRefused, tail: endRefused}
	for _, k := range refusedOrder {
		ref.args, ref.n = append(ref.args, k.day, k.reason, refused[k]), ref.n+1
		if ref.n == chunk {
			ops = append(ops, ref)
			ref.args, ref.n = nil, 0
		}
	}
	if ref.n > 0 {
		ops = append(ops, ref)
	}
	var order []clientKey
	state := map[clientKey]int64{} // last_seen, or -1 to delete
	set := func(k clientKey, v int64) {
		if _, ok := state[k]; !ok {
			order = append(order, k)
		}
		state[k] = v
	}
	for _, w := range batch {
		if w.counted {
			set(clientKey{w.hist.Group, w.hist.CMID}, w.hist.Time.UnixNano())
			if w.evicted != "" {
				set(clientKey{w.hist.Group, w.evicted}, -1)
			}
		}
	}
	up := op{head: sqlUpsert, row: rowUpsert, tail: endUpsert}
	del := op{head: sqlDelete, row: rowDelete, tail: endDelete}
	for _, k := range order {
		if t := state[k]; t >= 0 {
			up.args, up.n = append(up.args, k.group, k.cmid, t), up.n+1
		} else {
			del.args, del.n = append(del.args, k.group, k.cmid), del.n+1
		}
		for _, o := range []*op{&up, &del} {
			if o.n == chunk {
				ops = append(ops, *o)
				o.args, o.n = nil, 0
			}
		}
	}
	for _, o := range []op{up, del} {
		if o.n > 0 {
			ops = append(ops, o)
		}
	}
	bw.ops = ops
	return ops
}

// apply runs ops, prepared, in tx; prune, when not zero, also deletes
// history older than prune and clients not seen in Window.
func (bw *batchWriter) apply(ctx context.Context, tx *sql.Tx, ops []op, prune, now time.Time) error {
	for _, o := range ops {
		if _, err := tx.StmtContext(ctx, bw.stmts[o.key()]).ExecContext(ctx, o.args...); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(o.head)[2], err)
		}
	}
	if !prune.IsZero() {
		if _, err := tx.ExecContext(ctx, `DELETE FROM history WHERE t < ?`, prune.UnixNano()); err != nil {
			return fmt.Errorf("prune history: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM clients WHERE last_seen <= ?`, now.Add(-Window).UnixNano()); err != nil {
			return fmt.Errorf("prune clients: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM refused WHERE day < ?`, day(prune)); err != nil {
			return fmt.Errorf("prune refused: %w", err)
		}
		if err := pruneStats(ctx, tx, prune, now); err != nil { // statsdb.go
			return fmt.Errorf("prune status aggregates: %w", err)
		}
	}
	return nil
}
