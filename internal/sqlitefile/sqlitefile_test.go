package sqlitefile

import (
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
