package kms

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A kms.db from before host-keys.json keeps its host keys in full: the
// first locked open moves them out and leaves the redacted form.
func TestMoveHostKeys(t *testing.T) {
	dir := t.TempDir()
	db, err := openDB(dbPath(dir), dbCreate)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const key = "BCDFG-HJKMP-QRTVW-XY234-6789B"
	if _, err := db.Exec(`INSERT INTO host_keys(grp, key, installed_at) VALUES('suite', ?, 1)`, key); err != nil {
		t.Fatal(err)
	}
	if err := moveHostKeys(context.Background(), db, dir); err != nil {
		t.Fatal(err)
	}
	keys, err := readHostKeys(dir)
	if err != nil || keys["suite"] != key {
		t.Fatalf("host-keys.json = %v, %v; want the key of suite", keys, err)
	}
	var stored string
	if err := db.QueryRow(`SELECT key FROM host_keys`).Scan(&stored); err != nil || stored != redactedPrefix+"6789B" {
		t.Fatalf("kms.db keeps %q, %v; want the redacted key", stored, err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, DBFile))
	if strings.Contains(string(data), key) {
		t.Fatal("kms.db still holds the key's text")
	}
	if st, _ := os.Stat(filepath.Join(dir, KeysFile)); !isWindows && st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %04o", KeysFile, st.Mode().Perm())
	}
}
