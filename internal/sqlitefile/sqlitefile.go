// Package sqlitefile holds what the servers' SQLite databases (the KMS
// host's kms.db, the service's ledger) share on disk.
package sqlitefile

import (
	"errors"
	"io/fs"
	"os"
	"runtime"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Restrict makes path and SQLite's files beside it (-wal, -shm) readable
// by their owner only: they hold counts, history and key material. Files
// that do not exist yet are skipped. On Windows file modes do not describe
// access, so it does nothing there.
func Restrict(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, st.Mode().Perm()&0o700); err != nil {
				return err
			}
		}
	}
	return nil
}

// IsDamaged reports whether err is SQLite saying that the database file is
// damaged or is not a database at all.
func IsDamaged(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}
