package ledger

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/sqlitefile"
)

// sqliteBackend is an SQLite file in WAL mode. One connection serialises
// this process's transactions; BEGIN IMMEDIATE and busy_timeout serialise
// writers across processes.
type sqliteBackend struct {
	db *sql.DB
}

// openSQLite opens the SQLite file at path. With create it makes the file
// (mode 0600, so that SQLite's -wal and -shm files get that mode too) if
// there is none; without, a missing or empty file is refused (exit 7), for
// SQLite would take it for a new database. A file readable by other users
// is restricted to its owner.
func openSQLite(ctx context.Context, path string, create bool) (backend, error) {
	if path == "" {
		return nil, hresult.New(hresult.InvalidArg, "no SQLite file given").WithHint("pass sqlite:PATH or a file path")
	}
	st, err := os.Stat(path)
	switch {
	case create && errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) { // ErrExist: a twin made it
			return nil, sqliteOpenErr(path, err)
		}
		if f != nil {
			f.Close()
		}
	case errors.Is(err, fs.ErrNotExist):
		return nil, refused("there is no ledger at %s", path).WithHint(initHint)
	case err != nil:
		return nil, sqliteOpenErr(path, err)
	case st.IsDir():
		return nil, refused("the ledger %s is a directory, not an SQLite file", path)
	case st.Size() == 0 && !create:
		return nil, refused("the ledger %s is empty (0 bytes)", path).WithHint(initHint)
	}
	if err := sqlitefile.Restrict(path); err != nil {
		return nil, sqliteOpenErr(path, err)
	}
	// A plain file name: the driver strips its own query parameters.
	dsn := path + "?_busy_timeout=5000&_journal_mode=WAL&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, sqliteOpenErr(path, err)
	}
	db.SetMaxOpenConns(1)
	b := &sqliteBackend{db: db}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if b.damaged(err) {
			return nil, (&Ledger{where: "SQLite file " + path}).damagedErr(err)
		}
		return nil, sqliteOpenErr(path, err)
	}
	return b, nil
}

func sqliteOpenErr(path string, err error) error {
	hint := "check that the directory exists and is writable"
	if _, statErr := os.Stat(filepath.Dir(path)); statErr != nil {
		hint = "create the directory " + filepath.Dir(path) + " first"
	}
	return hresult.Wrap(hresult.ServiceFailure, err, "cannot open SQLite database "+path).WithHint(hint)
}

func (s *sqliteBackend) name() string          { return "sqlite" }
func (s *sqliteBackend) forUpdate() string     { return "" }
func (s *sqliteBackend) migrationLock() string { return "" }
func (s *sqliteBackend) close() error          { return s.db.Close() }

func (s *sqliteBackend) ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *sqliteBackend) inTx(ctx context.Context, fn func(querier) error) error {
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE, from _txlock
	if err != nil {
		return err
	}
	if err := fn(sqliteTx{tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *sqliteBackend) noTable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such table")
}

func (s *sqliteBackend) tableNames() string {
	return `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
}

func (s *sqliteBackend) damaged(err error) bool { return sqlitefile.IsDamaged(err) }

func (s *sqliteBackend) retryable(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

type sqliteTx struct{ tx *sql.Tx }

func (t sqliteTx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t sqliteTx) queryRow(ctx context.Context, query string, args ...any) row {
	return sqliteRow{t.tx.QueryRowContext(ctx, query, args...)}
}

type sqliteRow struct{ r *sql.Row }

func (r sqliteRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoRows
	}
	return err
}
