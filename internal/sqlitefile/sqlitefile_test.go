package sqlitefile

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestRestrict(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not describe access on Windows")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	for _, p := range []string{db, db + "-wal"} { // no -shm: skipped
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Restrict(db); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{db, db + "-wal"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), got)
		}
	}
	if err := Restrict(filepath.Join(dir, "missing.db")); err != nil {
		t.Errorf("a missing database: %v", err)
	}
}

func TestIsDamaged(t *testing.T) {
	dir := t.TempDir()
	query := func(t *testing.T, content []byte) error {
		p := filepath.Join(dir, t.Name()[len("TestIsDamaged/"):]+".db")
		if content != nil {
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		db, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = db.Exec(`CREATE TABLE IF NOT EXISTS t (x INTEGER)`)
		return err
	}
	for _, tc := range []struct {
		name    string
		content []byte
		want    bool
	}{
		{"not-a-database", bytes.Repeat([]byte("this is not SQLite "), 300), true},
		{"new-file", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := query(t, tc.content)
			if got := IsDamaged(err); got != tc.want {
				t.Errorf("IsDamaged(%v) = %v, want %v", err, got, tc.want)
			}
		})
	}
	if IsDamaged(errors.New("database is locked")) || IsDamaged(nil) {
		t.Error("IsDamaged is true for an error that is not SQLite's")
	}
}
