package kms

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"

	"github.com/volact/volact/internal/hresult"
)

// The local half of a shared count (shared.go): what a host on a shared
// PostgreSQL database keeps in its own kms.db.
//
// Every history row the applier writes into kms.db also goes, in the same
// transaction, into shared_outbox, keyed by its journal identity (segment,
// record). The shipper copies the outbox to PostgreSQL in batches and then
// deletes what it copied, so a host that loses the database keeps every
// answered request in the outbox until it is back, across restarts too.
//
// The settings rows below name the site and the database the host joined,
// and its id in the shared history. A host that joined a site starts only
// with --db: counting alone again would split the site's count.
const outboxSchema = `CREATE TABLE IF NOT EXISTS shared_outbox (
	seq INTEGER NOT NULL, rec INTEGER NOT NULL, t INTEGER NOT NULL, cmid TEXT NOT NULL,
	grp TEXT NOT NULL, sku TEXT NOT NULL, result TEXT NOT NULL, count INTEGER NOT NULL,
	addr TEXT NOT NULL, counted INTEGER NOT NULL, PRIMARY KEY (seq, rec)) WITHOUT ROWID`

// Local settings rows of a host on a shared database.
const (
	settingSharedSite  = "shared_site"    // the site id of the database joined
	settingSharedHost  = "shared_host_id" // this host's id in the shared history
	settingSharedWhere = "shared_where"   // host:port/database, for messages (no password)
)

// hasOutbox reports whether db has the shared_outbox table: the host
// joined a shared database.
func hasOutbox(db *sql.DB) bool {
	var n int
	err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'shared_outbox'`).Scan(&n)
	return err == nil && n == 1
}

// planOutbox adds to ops the outbox rows of batch: every request that is a
// history row.
func planOutbox(ops []op, batch []write) []op {
	o := op{head: sqlOutbox, row: rowOutbox, tail: endOutbox}
	for _, w := range batch {
		if w.refused {
			continue
		}
		h := w.hist
		o.args = append(o.args, int64(w.seq), int64(w.rec), h.Time.UnixNano(), h.CMID, h.Group, h.SKU, h.Result, h.Count, h.Addr, w.counted)
		if o.n++; o.n == chunk {
			ops = append(ops, o)
			o.args, o.n = nil, 0
		}
	}
	if o.n > 0 {
		ops = append(ops, o)
	}
	return ops
}

// joined is what a host's kms.db says about the shared database it joined.
type joined struct {
	site, hostID, where string
}

// readJoined reads the shared database a host joined ("" site: none).
func readJoined(ctx context.Context, q querier) (joined, error) {
	var j joined
	rows, err := q.QueryContext(ctx, `SELECT name, value FROM settings WHERE name IN (?, ?, ?)`,
		settingSharedSite, settingSharedHost, settingSharedWhere)
	if err != nil {
		return j, dbErr(err, "cannot read settings")
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return j, dbErr(err, "cannot read settings")
		}
		switch name {
		case settingSharedSite:
			j.site = value
		case settingSharedHost:
			j.hostID = value
		case settingSharedWhere:
			j.where = value
		}
	}
	return j, rows.Err()
}

// join records in kms.db that the host counts with site at where, gives
// it a host id if it has none, and creates the outbox.
func join(ctx context.Context, db *sql.DB, j joined) (joined, error) {
	if j.hostID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		j.hostID = hex.EncodeToString(b)
	}
	err := inTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, outboxSchema); err != nil {
			return err
		}
		for name, v := range map[string]string{settingSharedSite: j.site, settingSharedHost: j.hostID, settingSharedWhere: j.where} {
			if err := putSetting(ctx, tx, name, v); err != nil {
				return err
			}
		}
		return nil
	})
	return j, err
}

// notJoined refuses to serve alone a host that joined a shared database.
func notJoined(j joined) error {
	return hresult.Newf(hresult.InvalidArg, "this KMS host counts with the other hosts of its site in PostgreSQL database %s: start it with --db", j.where).
		WithExit(hresult.ExitInvalid).
		WithHint("volactd kms serve --data DIR --db postgres://USER:PASSWORD@" + j.where)
}

// outboxRow is a history row waiting to be shipped.
type outboxRow struct {
	seq     int64
	rec     int32
	hist    HistoryRow
	counted bool
}

// readOutbox returns the first n rows of the outbox, in journal order.
func readOutbox(ctx context.Context, db *sql.DB, n int) ([]outboxRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, rec, t, cmid, grp, sku, result, count, addr, counted
		FROM shared_outbox ORDER BY seq, rec LIMIT ?`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var t int64
		if err := rows.Scan(&r.seq, &r.rec, &t, &r.hist.CMID, &r.hist.Group, &r.hist.SKU, &r.hist.Result, &r.hist.Count, &r.hist.Addr, &r.counted); err != nil {
			return nil, err
		}
		r.hist.Time = unixUTC(t)
		out = append(out, r)
	}
	return out, rows.Err()
}

// dropOutbox deletes the outbox rows up to and including (seq, rec).
func dropOutbox(ctx context.Context, db *sql.DB, seq int64, rec int32) error {
	_, err := db.ExecContext(ctx, `DELETE FROM shared_outbox WHERE seq < ? OR (seq = ? AND rec <= ?)`, seq, seq, rec)
	return err
}

// outboxLen counts the rows waiting to be shipped (0 without an outbox).
func outboxLen(ctx context.Context, q querier) int {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM shared_outbox`).Scan(&n); err != nil {
		return 0
	}
	return n
}
