package kms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/volact/volact/internal/hresult"
)

// pgSchema is the shared database of a site's KMS hosts (volactd kms
// init-db creates it):
//
//	kms_site      name/value: root_fingerprint (the authority), site_id, site_name, created_at
//	kms_settings  the per-site settings (intervals, retention, new-CMID limit)
//	kms_clients   per group, every CMID counted in the last 30 days and its last request
//	kms_history   every answered request once, keyed by (host_id, seg, rec): the host and
//	              the request's place in that host's journal
//	kms_hosts     the hosts that joined, and when each last reached the database
//	kms_client_state  per machine and product, the highest client state the site's
//	              hosts saw (shared_state.go; a host joining an older database creates it)
const pgSchema = `
CREATE TABLE IF NOT EXISTS kms_site (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kms_settings (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS kms_clients (
	grp TEXT NOT NULL, cmid TEXT NOT NULL, last_seen BIGINT NOT NULL, PRIMARY KEY (grp, cmid));
CREATE INDEX IF NOT EXISTS kms_clients_recent ON kms_clients (grp, last_seen DESC);
CREATE TABLE IF NOT EXISTS kms_history (
	id BIGSERIAL PRIMARY KEY, host_id TEXT NOT NULL, seg BIGINT NOT NULL, rec INTEGER NOT NULL,
	t BIGINT NOT NULL, cmid TEXT NOT NULL, grp TEXT NOT NULL, sku TEXT NOT NULL, result TEXT NOT NULL,
	count INTEGER NOT NULL, addr TEXT NOT NULL, UNIQUE (host_id, seg, rec));
CREATE INDEX IF NOT EXISTS kms_history_t ON kms_history (t);
CREATE TABLE IF NOT EXISTS kms_hosts (
	host_id TEXT PRIMARY KEY, name TEXT NOT NULL, joined_at BIGINT NOT NULL, last_contact BIGINT NOT NULL);
` + pgStateSchema

// pgLockID serialises init-db runs ("volkms" in ASCII).
const pgLockID = 0x766f6c6b6d73

// pgTimeout bounds every statement the host sends the shared database, so
// a host whose database is away notices within it and carries on alone.
const pgTimeout = 2 * time.Second

// IsPostgresURL reports whether dsn names a PostgreSQL database.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// pgSite is a shared database's site record.
type pgSite struct {
	root, id, name string
}

// connectPG connects to dsn and returns the pool with the database's name
// for messages (host:port/database, no password).
func connectPG(ctx context.Context, dsn string) (*pgxpool.Pool, string, error) {
	if !IsPostgresURL(dsn) {
		return nil, "", invalid("--db %q is not a postgres:// URL", redactURL(dsn)).
			WithHint("use postgres://user:password@host:port/database; SQLite in the data directory is the default")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil { // pgx redacts the password in its parse errors
		return nil, "", hresult.Wrap(hresult.InvalidArg, err, "invalid PostgreSQL URL").WithExit(hresult.ExitInvalid).
			WithHint("use postgres://user:password@host:port/database")
	}
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 || cc.ConnectTimeout > pgTimeout {
		cc.ConnectTimeout = pgTimeout
	}
	cfg.MaxConns = 4
	where := fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, "", hresult.Wrap(hresult.InvalidArg, errors.New(strings.ReplaceAll(err.Error(), cc.Password, "xxxxx")), "invalid PostgreSQL URL").
			WithExit(hresult.ExitInvalid)
	}
	pctx, cancel := context.WithTimeout(ctx, 2*pgTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, "", hresult.Newf(hresult.ServiceFailure, "cannot reach the shared PostgreSQL database %s: %s", where, pgReason(err, cc.Password)).
			WithHint("check that PostgreSQL runs and that the --db URL, user and password are right")
	}
	return pool, where, nil
}

// pgReason is err's message without the password.
func pgReason(err error, password string) string {
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	return msg
}

// redactURL hides the password of a URL for a message.
func redactURL(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.Index(dsn, "://"); j > 0 && j < i {
			if k := strings.Index(dsn[j+3:i], ":"); k >= 0 {
				return dsn[:j+3+k] + ":xxxxx" + dsn[i:]
			}
		}
	}
	return dsn
}

// readSite reads the site record of the database at where: a database
// that holds none is refused (exit 7).
func readSite(ctx context.Context, pool *pgxpool.Pool, where string) (pgSite, error) {
	var s pgSite
	rows, err := pool.Query(ctx, `SELECT name, value FROM kms_site`)
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var name, value string
			if err = rows.Scan(&name, &value); err != nil {
				break
			}
			switch name {
			case "root_fingerprint":
				s.root = value
			case "site_id":
				s.id = value
			case "site_name":
				s.name = value
			}
		}
		if err == nil {
			err = rows.Err()
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" || err == nil && s.id == "" { // undefined_table, or empty
		return s, hresult.Newf(hresult.KeyNotInstalled, "PostgreSQL database %s holds no volact KMS site", where).WithExit(hresult.ExitStore).
			WithHint("set it up once, from one host: volactd kms init-db --data DIR --db URL")
	}
	if err != nil {
		return s, hresult.Wrap(hresult.ServiceFailure, err, "cannot read the shared database "+where)
	}
	return s, nil
}

// checkSite refuses a database of another authority, or of another site
// than the one this host joined (site "" = none yet).
func checkSite(s pgSite, root, site, where string) error {
	if s.root != root {
		return hresult.Newf(hresult.StoreTampered, "PostgreSQL database %s belongs to another authority (root %s), not this host's (%s)",
			where, clipID(s.root), clipID(root)).WithExit(hresult.ExitStore).
			WithHint("point --db at your own site's database, or set one up with volactd kms init-db")
	}
	if site != "" && s.id != site {
		return hresult.Newf(hresult.StoreTampered, "PostgreSQL database %s is site %q (%s), not the site this host joined (%s)",
			where, s.name, s.id, site).WithExit(hresult.ExitStore).
			WithHint("point --db at the database this host counts with: another site's database would mix two sites' counts")
	}
	return nil
}

// SiteInfo describes a shared database as init-db leaves it.
type SiteInfo struct {
	Database string `json:"database"` // host:port/database
	SiteID   string `json:"site_id"`
	SiteName string `json:"site_name"`
	Created  bool   `json:"created"` // false: it was set up already
}

// InitSharedDB sets up the PostgreSQL database dsn as the shared database
// of a site (named name) whose hosts belong to the authority of the host
// in dir: it creates the tables, records the authority's root and a new
// site id, and copies the per-site settings of the host in dir. A database
// already set up for this authority is left as it is; one of another
// authority is refused (exit 7).
func InitSharedDB(ctx context.Context, dir, dsn, name string, now time.Time) (SiteInfo, error) {
	var info SiteInfo
	cat, err := readCatalog(dir)
	if err != nil {
		return info, err
	}
	db, err := openDB(dbPath(dir), dbOpen)
	if err != nil {
		return info, err
	}
	settings, err := loadSettings(ctx, db)
	db.Close()
	if err != nil {
		return info, err
	}
	pool, where, err := connectPG(ctx, dsn)
	if err != nil {
		return info, err
	}
	defer pool.Close()
	info.Database = where
	if name == "" {
		name = "default"
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", pgLockID)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, pgSchema); err != nil {
			return err
		}
		var root, id, site string
		_ = tx.QueryRow(ctx, `SELECT COALESCE(MAX(value) FILTER (WHERE name = 'root_fingerprint'), ''),
			COALESCE(MAX(value) FILTER (WHERE name = 'site_id'), ''), COALESCE(MAX(value) FILTER (WHERE name = 'site_name'), '')
			FROM kms_site`).Scan(&root, &id, &site)
		if id != "" {
			info.SiteID, info.SiteName = id, site
			return checkSite(pgSite{root: root, id: id, name: site}, cat.RootFingerprint(), "", where)
		}
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		info.SiteID, info.SiteName, info.Created = hex.EncodeToString(b), name, true
		for k, v := range map[string]string{"root_fingerprint": cat.RootFingerprint(), "site_id": info.SiteID,
			"site_name": name, "created_at": now.UTC().Format(time.RFC3339)} {
			if _, err := tx.Exec(ctx, `INSERT INTO kms_site(name, value) VALUES ($1, $2)`, k, v); err != nil {
				return err
			}
		}
		return putSiteSettings(ctx, tx, settings)
	})
	var he *hresult.Error
	if errors.As(err, &he) {
		return info, he
	}
	if err != nil {
		return info, hresult.Wrap(hresult.ServiceFailure, err, "cannot set up the shared database "+where)
	}
	return info, nil
}

// putSiteSettings writes the per-site settings of s.
func putSiteSettings(ctx context.Context, tx pgx.Tx, s Settings) error {
	for _, name := range siteSettingNames {
		if _, err := tx.Exec(ctx, `INSERT INTO kms_settings(name, value) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, s.stored(name)); err != nil {
			return err
		}
	}
	return nil
}

// loadSiteSettings returns s with the per-site settings of the database.
func loadSiteSettings(ctx context.Context, q pgxQuerier, s Settings) (Settings, error) {
	rows, err := q.Query(ctx, `SELECT name, value FROM kms_settings`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return s, err
		}
		if slices.Contains(siteSettingNames, name) {
			s.setStored(name, v)
		}
	}
	return s, rows.Err()
}

// pgxQuerier is a pool or a transaction.
type pgxQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// UpdateSiteSettings changes the per-site settings in the shared database
// dsn with fn (which may change the port too: it is ignored), validates and
// saves them. Hosts apply them at their next start.
func UpdateSiteSettings(ctx context.Context, dsn string, fn func(*Settings)) (Settings, error) {
	pool, where, err := connectPG(ctx, dsn)
	if err != nil {
		return Settings{}, err
	}
	defer pool.Close()
	if _, err := readSite(ctx, pool, where); err != nil {
		return Settings{}, err
	}
	s, err := loadSiteSettings(ctx, pool, DefaultSettings())
	if err != nil {
		return s, hresult.Wrap(hresult.ServiceFailure, err, "cannot read the shared settings in "+where)
	}
	fn(&s)
	s.RetentionDays = int(s.HistoryRetention / (24 * time.Hour))
	if err := s.Validate(); err != nil {
		return s, err
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return putSiteSettings(ctx, tx, s) }); err != nil {
		return s, hresult.Wrap(hresult.ServiceFailure, err, "cannot write the shared settings in "+where)
	}
	return s, nil
}

// unixUTC is the time of Unix nanoseconds ns, in UTC.
func unixUTC(ns int64) time.Time { return time.Unix(0, ns).UTC() }
