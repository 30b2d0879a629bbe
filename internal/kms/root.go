package kms

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"

	"github.com/volact/volact/internal/hresult"
)

// settingRoot is the settings row of kms.db that names the authority the
// host's counts and history belong to: its root fingerprint,
// "sha256:<hex>" (catalog.Catalog.RootFingerprint). The catalog.json
// beside it pins the root for install-key, but it is a plain file: one
// copied in by hand from another authority must not make this host count
// that authority's clients on top of the old one's.
const settingRoot = "root_fingerprint"

// checkRoot refuses (exit 7) the kms.db at path when it belongs to
// another authority than root. With claim, a database that names no
// authority yet (a new one, or one made before kms.db recorded it) is
// recorded as root's.
func checkRoot(ctx context.Context, db *sql.DB, path, root string, claim bool) error {
	var have string
	err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, settingRoot).Scan(&have)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if !claim {
			return nil
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO settings(name, value) VALUES(?, ?) ON CONFLICT(name) DO NOTHING`, settingRoot, root); err != nil {
			return dbErr(err, "cannot record the authority in "+path)
		}
		return nil
	case err != nil:
		return dbErr(err, "cannot read "+path)
	case have != root:
		return hresult.Newf(hresult.StoreTampered, "the KMS host database %s belongs to another authority (root %s), not to the one of the catalog in %s (root %s)",
			path, shortRoot(have), filepath.Dir(path), shortRoot(root)).WithExit(hresult.ExitStore).
			WithHint("put this host's own catalog.json back; a host for another authority needs a data directory of its own")
	}
	return nil
}

// checkDirRoot checks the kms.db at path against the catalog in its
// directory (checkRoot; claiming unless mode is dbOpen, which only reads).
// A directory without a readable catalog is left to the caller, which
// reports it: install-key's first run has none yet.
func checkDirRoot(db *sql.DB, path string, mode openMode) error {
	cat, err := readCatalog(filepath.Dir(path))
	if err != nil {
		return nil
	}
	return checkRoot(context.Background(), db, path, cat.RootFingerprint(), mode != dbOpen)
}

// shortRoot shortens a root fingerprint for a message: "sha256:" and 16
// hex digits.
func shortRoot(fp string) string {
	if n := len("sha256:") + 16; len(fp) > n {
		return fp[:n] + "..."
	}
	return fp
}
