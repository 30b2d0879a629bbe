package ledger

import (
	"context"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// migrations[i] brings the schema from version i to version i+1. Never edit
// a released migration; append a new one. Statements are portable between
// SQLite and PostgreSQL; times are RFC 3339 text in UTC.
var migrations = [][]string{
	{ // 1: keys, MAK activations, host-key activations
		`CREATE TABLE keys (
			id         TEXT PRIMARY KEY,
			last5      TEXT NOT NULL,
			sku        TEXT NOT NULL,
			type       TEXT NOT NULL,
			lim        INTEGER NOT NULL,
			used       INTEGER NOT NULL DEFAULT 0,
			blocked    BOOLEAN NOT NULL DEFAULT FALSE,
			created_at TEXT NOT NULL,
			blocked_at TEXT
		)`,
		`CREATE TABLE activations (
			key_id       TEXT NOT NULL REFERENCES keys (id),
			install_id   TEXT NOT NULL,
			activated_at TEXT NOT NULL,
			PRIMARY KEY (key_id, install_id)
		)`,
		`CREATE TABLE host_activations (
			key_id   TEXT NOT NULL REFERENCES keys (id),
			host_id  TEXT NOT NULL,
			count    INTEGER NOT NULL,
			first_at TEXT NOT NULL,
			last_at  TEXT NOT NULL,
			PRIMARY KEY (key_id, host_id)
		)`,
	},
	{ // 2: the authority the ledger belongs to (infoRoot)
		`CREATE TABLE ledger_info (
			name  TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
	},
	{ // 3: client state per machine and product, and state_reset events (clientstate.go)
		`CREATE TABLE client_state (
			hardware_id  TEXT NOT NULL,
			sku          TEXT NOT NULL,
			grace_start  TEXT NOT NULL,
			rearm_count  INTEGER NOT NULL,
			trusted_time TEXT NOT NULL,
			updated_at   TEXT NOT NULL,
			PRIMARY KEY (hardware_id, sku)
		)`,
		`CREATE TABLE events (
			at          TEXT NOT NULL,
			kind        TEXT NOT NULL,
			hardware_id TEXT NOT NULL,
			sku         TEXT NOT NULL,
			detail      TEXT NOT NULL
		)`,
		`CREATE INDEX events_hardware_id ON events (hardware_id, at)`,
	},
	{ // 4: new activations per MAK key and clock hour (velocity.go)
		`CREATE TABLE velocity (
			key_id  TEXT NOT NULL REFERENCES keys (id),
			hour    TEXT NOT NULL,
			count   INTEGER NOT NULL,
			evented BOOLEAN NOT NULL DEFAULT FALSE,
			PRIMARY KEY (key_id, hour)
		)`,
		`CREATE INDEX events_kind ON events (kind, at)`,
	},
	{ // 5: the newest checkpoint of each KMS host that reports to the service (witness.go)
		`CREATE TABLE witnessed_hosts (
			origin        TEXT PRIMARY KEY,
			subject       TEXT NOT NULL,
			groups        TEXT NOT NULL,
			tree_size     BIGINT NOT NULL,
			checkpoint    TEXT NOT NULL,
			summary       TEXT NOT NULL,
			first_report  TEXT NOT NULL,
			last_report   TEXT NOT NULL,
			reported_size BIGINT NOT NULL,
			consistent    BOOLEAN NOT NULL,
			conflict      TEXT NOT NULL DEFAULT '',
			conflict_at   TEXT NOT NULL DEFAULT ''
		)`,
	},
	{ // 6: the identity sources of each MAK activation (install.go)
		`ALTER TABLE activations ADD COLUMN sources TEXT NOT NULL DEFAULT ''`,
	},
}

// migrate applies the missing migrations in one transaction. On PostgreSQL
// an advisory lock makes replicas that start at once take turns; the later
// ones find nothing to do. Without create, a database with no ledger in it
// (no schema_version table, or an empty one) is refused, not set up.
func (l *Ledger) migrate(ctx context.Context, create bool) error {
	return l.tx(ctx, "migrate schema", func(q querier) error {
		if lock := l.b.migrationLock(); lock != "" {
			if _, err := q.exec(ctx, lock); err != nil {
				return err
			}
		}
		if create {
			if err := l.checkEmpty(ctx, q); err != nil {
				return err
			}
			if _, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
				version    INTEGER PRIMARY KEY,
				applied_at TEXT NOT NULL
			)`); err != nil {
				return err
			}
		}
		var have int
		if err := q.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&have); err != nil {
			if l.b.noTable(err) {
				return l.notLedger()
			}
			return err
		}
		if have == 0 && !create {
			return l.notLedger()
		}
		if have > len(migrations) {
			return hresult.Newf(hresult.ServiceFailure,
				"database schema version %d is newer than this volact understands (%d)", have, len(migrations)).
				WithHint("upgrade volact on this replica")
		}
		for v := have + 1; v <= len(migrations); v++ {
			for _, stmt := range migrations[v-1] {
				if _, err := q.exec(ctx, stmt); err != nil {
					return err
				}
			}
			if _, err := q.exec(ctx, `INSERT INTO schema_version (version, applied_at) VALUES ($1, CAST(CURRENT_TIMESTAMP AS TEXT))`, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkEmpty refuses, for Create, a database that holds tables but no
// ledger (no schema_version table): another program's data, such as a KMS
// host's kms.db given to mak init --db by mistake, which a ledger set up
// beside it would mix with its own.
func (l *Ledger) checkEmpty(ctx context.Context, q querier) error {
	var tables, version int
	if err := q.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN name = 'schema_version' THEN 1 ELSE 0 END), 0) FROM (`+
		l.b.tableNames()+`) t`).Scan(&tables, &version); err != nil {
		return err
	}
	if tables > 0 && version == 0 {
		return refused("the %s holds another program's data (%d tables, no volact ledger)", l.where, tables).
			WithHint("give mak init --db a new file or an empty database: a ledger is never set up beside other data")
	}
	return nil
}

// stamp formats t for the database.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
