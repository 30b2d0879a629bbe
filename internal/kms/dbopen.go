package kms

import (
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/sqlitefile"
)

// openMode says what openDB may do with the database file.
type openMode int

const (
	dbCreate openMode = iota // install-key: create kms.db (mode 0600) if there is none
	dbOpen                   // status, history: an existing kms.db only
	dbCheck                  // serve, activate, set: an existing kms.db, checked with PRAGMA quick_check
)

// openDB opens the host's SQLite file at path in WAL mode with full
// synchronous commits: each commit is durable, and the applier batches
// requests so that commits are few. Only install-key (dbCreate) makes the
// file: a missing, empty, damaged or foreign kms.db is refused with exit 7
// rather than taken for a new host, which would start every count and the
// history afresh, and so is one of another authority than the catalog
// beside it (checkDirRoot). The file is restricted to its owner (0600);
// SQLite's -wal and -shm files take its mode.
func openDB(path string, mode openMode) (*sql.DB, error) {
	st, err := os.Stat(path)
	switch {
	case mode == dbCreate && errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, dbErr(err, "cannot create "+path)
		}
		f.Close()
	case errors.Is(err, fs.ErrNotExist):
		return nil, missingDB("there is no KMS host database %s", path)
	case err != nil:
		return nil, dbErr(err, "cannot open "+path)
	case st.Size() == 0 && mode != dbCreate:
		return nil, missingDB("the KMS host database %s is empty (0 bytes)", path)
	}
	if err := sqlitefile.Restrict(path); err != nil {
		return nil, dbErr(err, "cannot restrict "+path+" to its owner")
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=journal_size_limit(67108864)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, dbErr(err, "cannot open "+path)
	}
	db.SetMaxOpenConns(1)
	if err := checkDB(db, path, mode); err != nil {
		db.Close()
		return nil, err
	}
	if err := checkDirRoot(db, path, mode); err != nil { // root.go
		db.Close()
		return nil, err
	}
	return db, nil
}

// checkDB checks that db is a KMS host database (with dbCheck, an intact
// one) and creates the tables it lacks: all of them for a new file, those
// added since for an older one.
func checkDB(db *sql.DB, path string, mode openMode) error {
	if mode == dbCheck {
		var res string
		if err := db.QueryRow(`PRAGMA quick_check(1)`).Scan(&res); err != nil {
			return dbErr(err, "cannot check "+path)
		}
		if res != "ok" {
			return damagedErr(errors.New(res), "the KMS host database "+path+" is damaged")
		}
	}
	if mode != dbCreate {
		var n int
		err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('settings', 'host_keys', 'clients', 'history')`).Scan(&n)
		if err != nil {
			return dbErr(err, "cannot read "+path)
		}
		if n != 4 {
			return missingDB("%s holds no KMS host data (it is another program's database)", path)
		}
	}
	if _, err := db.Exec(schema); err != nil {
		return dbErr(err, "cannot create the tables in "+path)
	}
	return ensureStats(db) // statsdb.go
}

// missingDB refuses a data directory without a usable kms.db (exit 7).
func missingDB(format string, args ...any) *hresult.Error {
	return hresult.Newf(hresult.KeyNotInstalled, format, args...).WithExit(hresult.ExitStore).
		WithHint("set up a new host with volactd kms install-key KEY --data DIR; if this host had a database, restore it from a backup: a new one starts the counts and the history afresh")
}

// damagedErr refuses a damaged database (exit 7).
func damagedErr(err error, msg string) *hresult.Error {
	return hresult.Wrap(hresult.StoreTampered, err, msg).
		WithHint("restore " + DBFile + " from a backup, or move it aside and set the host up again (kms install-key, kms activate)")
}

// dbPath is the database file of the data directory dir.
func dbPath(dir string) string { return filepath.Join(dir, DBFile) }
