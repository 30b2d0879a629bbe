package kms

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/sqlitefile"
)

const schema = `
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS host_keys (
	grp TEXT PRIMARY KEY, key TEXT NOT NULL, installed_at INTEGER NOT NULL,
	certificate TEXT NOT NULL DEFAULT '', activated_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS clients (
	grp TEXT NOT NULL, cmid TEXT NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (grp, cmid));
CREATE TABLE IF NOT EXISTS history (
	id INTEGER PRIMARY KEY, t INTEGER NOT NULL, cmid TEXT NOT NULL, grp TEXT NOT NULL,
	sku TEXT NOT NULL, result TEXT NOT NULL, count INTEGER NOT NULL, addr TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS history_t ON history(t);
CREATE TABLE IF NOT EXISTS refused (
	day TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (day, reason));
`

// querier runs queries: a database, or a transaction for a consistent view.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// dbErr reports a database failure: a damaged file as such (exit 7),
// anything else as a failure to retry.
func dbErr(err error, msg string) *hresult.Error {
	if sqlitefile.IsDamaged(err) {
		return damagedErr(err, msg+": the KMS host database is damaged")
	}
	return hresult.Wrap(hresult.ServiceFailure, err, msg).
		WithHint("check that the data directory is writable and the disk is not full")
}

// loadSettings reads the settings, with defaults for those never set.
func loadSettings(ctx context.Context, db querier) (Settings, error) {
	s := DefaultSettings()
	rows, err := db.QueryContext(ctx, `SELECT name, value FROM settings`)
	if err != nil {
		return s, dbErr(err, "cannot read settings")
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return s, dbErr(err, "cannot read settings")
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			continue
		}
		s.setStored(name, n)
	}
	if err := rows.Err(); err != nil {
		return s, dbErr(err, "cannot read settings")
	}
	return s, nil
}

// saveSettings writes every setting in one transaction.
func saveSettings(ctx context.Context, db *sql.DB, s Settings) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		for _, name := range settingNames {
			if err := putSetting(ctx, tx, name, strconv.FormatInt(s.stored(name), 10)); err != nil {
				return err
			}
		}
		return nil
	})
}

// putSetting writes one settings row in tx.
func putSetting(ctx context.Context, tx *sql.Tx, name, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings(name, value) VALUES(?, ?)
		ON CONFLICT(name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(err, "cannot start a transaction")
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		var he *hresult.Error
		if errors.As(err, &he) {
			return he
		}
		return dbErr(err, "cannot write the KMS database")
	}
	if err := tx.Commit(); err != nil {
		return dbErr(err, "cannot commit to the KMS database")
	}
	return nil
}

// HostKey is an installed KMS host key and its certificate, if activated.
type HostKey struct {
	Group       string    `json:"group"`
	Last5       string    `json:"key_last5"`
	InstalledAt time.Time `json:"installed_at"`
	Activated   bool      `json:"activated"`
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	key         string
	certificate string
}

func loadHostKeys(ctx context.Context, db querier) ([]HostKey, error) {
	rows, err := db.QueryContext(ctx, `SELECT grp, key, installed_at, certificate, activated_at FROM host_keys ORDER BY grp`)
	if err != nil {
		return nil, dbErr(err, "cannot read host keys")
	}
	defer rows.Close()
	var out []HostKey
	for rows.Next() {
		var k HostKey
		var inst, act int64
		if err := rows.Scan(&k.Group, &k.key, &inst, &k.certificate, &act); err != nil {
			return nil, dbErr(err, "cannot read host keys")
		}
		k.InstalledAt = time.Unix(0, inst).UTC()
		if k.certificate != "" {
			k.Activated, k.ActivatedAt = true, time.Unix(0, act).UTC()
		}
		if len(k.key) >= 5 {
			k.Last5 = k.key[len(k.key)-5:]
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "cannot read host keys")
	}
	return out, nil
}

// clientRow is a counted client as stored.
type clientRow struct {
	group, cmid string
	seen        time.Time
}

// loadClients reads the clients seen within Window before now, oldest first.
func loadClients(ctx context.Context, db querier, now time.Time) ([]clientRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT grp, cmid, last_seen FROM clients WHERE last_seen > ? ORDER BY last_seen, cmid`,
		now.Add(-Window).UnixNano())
	if err != nil {
		return nil, dbErr(err, "cannot read counted clients")
	}
	defer rows.Close()
	var out []clientRow
	for rows.Next() {
		var r clientRow
		var t int64
		if err := rows.Scan(&r.group, &r.cmid, &t); err != nil {
			return nil, dbErr(err, "cannot read counted clients")
		}
		r.seen = time.Unix(0, t).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err, "cannot read counted clients")
	}
	return out, nil
}

// clientsSeen counts the distinct CMIDs per group in the history since t:
// every client that asked, not capped like the count.
func clientsSeen(ctx context.Context, db querier, since time.Time) (map[string]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT grp, COUNT(DISTINCT cmid) FROM history WHERE t >= ? AND cmid != '' GROUP BY grp`, since.UnixNano())
	if err != nil {
		return nil, dbErr(err, "cannot read the history")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var g string
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			return nil, dbErr(err, "cannot read the history")
		}
		out[g] = n
	}
	return out, rows.Err()
}

// HistoryRow is one activation request as the history keeps it.
type HistoryRow struct {
	Time   time.Time `json:"time"`
	CMID   string    `json:"cmid"`
	Group  string    `json:"group"`
	SKU    string    `json:"sku"`
	Result string    `json:"result"` // 0x00000000 when activated, else the error code
	Count  int       `json:"count"`  // the count after the request; -1 unknown
	Addr   string    `json:"client_address"`
}

// queryHistory returns history rows at or after since, oldest first.
func queryHistory(ctx context.Context, db querier, since time.Time, each func(HistoryRow) error) error {
	rows, err := db.QueryContext(ctx, `SELECT t, cmid, grp, sku, result, count, addr FROM history WHERE t >= ? ORDER BY id`, since.UnixNano())
	if err != nil {
		return dbErr(err, "cannot read the history")
	}
	defer rows.Close()
	for rows.Next() {
		var r HistoryRow
		var t int64
		if err := rows.Scan(&t, &r.CMID, &r.Group, &r.SKU, &r.Result, &r.Count, &r.Addr); err != nil {
			return dbErr(err, "cannot read the history")
		}
		r.Time = time.Unix(0, t).UTC()
		if err := each(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err, "cannot read the history")
	}
	return nil
}

// write is one request's changes: the history row, and for a counted
// request the client's upsert and the CMID it evicted. A refused request
// is no history row: it adds one to the refused counter of its day and
// reason (hist.Time, hist.Result).
//
// seq and rec are the record's identity in the journal: its segment and
// its place in it. Hosts sharing a PostgreSQL database key the shared
// history by them and the host's id (shared.go), so a request is there
// once however often it is shipped.
type write struct {
	hist    HistoryRow
	counted bool
	refused bool
	evicted string
	seq     uint64
	rec     uint32
}
