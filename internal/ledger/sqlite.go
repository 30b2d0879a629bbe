package ledger

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/volact/volact/internal/hresult"
)

// sqliteBackend is an SQLite file in WAL mode. One connection serialises
// this process's transactions; BEGIN IMMEDIATE and busy_timeout serialise
// writers across processes.
type sqliteBackend struct {
	db *sql.DB
}

func openSQLite(ctx context.Context, path string) (backend, error) {
	if path == "" {
		return nil, hresult.New(hresult.InvalidArg, "no SQLite file given").WithHint("pass sqlite:PATH or a file path")
	}
	// A plain file name: the driver strips its own query parameters.
	dsn := path + "?_busy_timeout=5000&_journal_mode=WAL&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, sqliteOpenErr(path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, sqliteOpenErr(path, err)
	}
	return &sqliteBackend{db: db}, nil
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
