package kms

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gofrs/flock"

	"github.com/volact/volact/internal/atomicfile"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
)

const isWindows = runtime.GOOS == "windows"

// dirLock is the lock a process holds on a data directory.
type dirLock struct {
	dir string
	fl  *flock.Flock
}

// lockDir takes the data directory's lock, creating the directory when
// create is set. A directory held by another process is hresult.StoreLocked
// (exit 7).
func lockDir(dir string, create bool) (*dirLock, error) {
	if dir == "" {
		return nil, invalid("no KMS host data directory given").WithHint("pass --data DIR")
	}
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, hresult.Wrap(hresult.Internal, err, "cannot create data directory "+dir).WithExit(hresult.ExitStore)
		}
	} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, hresult.Newf(hresult.KeyNotInstalled, "%s is not a KMS host data directory", dir).
			WithHint("set up the host first: volactd kms install-key KEY --data DIR")
	}
	fl := flock.New(filepath.Join(dir, LockFile))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, hresult.Wrap(hresult.StoreLocked, err, "cannot lock KMS host data directory "+dir)
	}
	if !ok {
		return nil, hresult.Newf(hresult.StoreLocked, "KMS host data directory %s is in use by another volact process", dir).
			WithHint("only one host may run on a data directory; stop the other one (kms serve) first")
	}
	return &dirLock{dir: dir, fl: fl}, nil
}

func (l *dirLock) unlock() { _ = l.fl.Unlock() }

// readCatalog loads the data directory's catalog.
func readCatalog(dir string) (*catalog.Catalog, error) {
	data, err := os.ReadFile(filepath.Join(dir, CatalogFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, hresult.Newf(hresult.NoCatalog, "no catalog in KMS host data directory %s", dir).
			WithHint("pass the activation service's catalog once: volactd kms install-key KEY --data DIR --catalog catalog.json")
	}
	if err != nil {
		return nil, hresult.Wrap(hresult.CatalogInvalid, err, "cannot read the host's catalog")
	}
	return catalog.Parse(data)
}

// installCatalog verifies data and stores it in dir. A catalog already
// there pins the root: one from another root is refused.
func installCatalog(dir string, data []byte) (*catalog.Catalog, error) {
	cat, err := catalog.Parse(data)
	if err != nil {
		return nil, err
	}
	if old, err := readCatalog(dir); err == nil {
		if err := cat.CheckPinned(old.Root()); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CatalogFile), data, 0o644); err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot store the catalog").WithExit(hresult.ExitStore)
	}
	return cat, nil
}

// readSigner reads the host's Ed25519 key.
func readSigner(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, hresult.Wrap(hresult.KeyNotInstalled, err, "the host signing key "+path+" is missing").
			WithHint("activate the host: volactd kms activate --data DIR --service URL")
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 && !isWindows {
		return nil, hresult.Newf(hresult.StoreTampered, "host signing key %s is readable by other users", path).
			WithHint("chmod 600 " + path)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, hresult.Newf(hresult.StoreTampered, "host signing key %s is not PEM", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, hresult.Wrap(hresult.StoreTampered, err, "host signing key "+path+" is damaged")
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, hresult.Newf(hresult.StoreTampered, "host signing key %s is not an Ed25519 key", path)
	}
	return ek, nil
}

// signerFor returns the host key in dir, creating it (mode 0600) if there
// is none yet.
func signerFor(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, KeyFile)
	if _, err := os.Stat(path); err == nil {
		return readSigner(path)
	}
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot generate the host key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot encode the host key")
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot store the host key").WithExit(hresult.ExitStore)
	}
	return k, nil
}

// redactedPrefix stands for the first four groups of a host key in kms.db,
// which keeps only the redacted form (XXXXX-XXXXX-XXXXX-XXXXX-ABCDE): the
// database travels with every copy of the history, the key must not.
const redactedPrefix = "XXXXX-XXXXX-XXXXX-XXXXX-"

// readHostKeys reads the installed host keys in full, by group, from
// KeysFile (mode 0600). A missing file holds none.
func readHostKeys(dir string) (map[string]string, error) {
	path := filepath.Join(dir, KeysFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot read "+path).WithExit(hresult.ExitStore)
	}
	keys := map[string]string{}
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, hresult.Wrap(hresult.StoreTampered, err, path+" is damaged").
			WithHint("install the host keys again: volactd kms install-key KEY --data DIR")
	}
	return keys, nil
}

// putHostKey stores key as the host key of group in KeysFile (mode 0600).
func putHostKey(dir, group, key string) error {
	keys, err := readHostKeys(dir)
	if err != nil {
		return err
	}
	keys[group] = key
	data, err := json.MarshalIndent(keys, "", "  ")
	if err != nil {
		return hresult.Wrap(hresult.Internal, err, "cannot encode the host keys")
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, KeysFile), append(data, '\n'), 0o600); err != nil {
		return hresult.Wrap(hresult.Internal, err, "cannot store the host key").WithExit(hresult.ExitStore)
	}
	return nil
}

// moveHostKeys moves host keys that an older volact kept in full in kms.db
// into KeysFile and leaves their redacted form in the database, with
// secure_delete so that the old text is overwritten, not just unlinked.
func moveHostKeys(ctx context.Context, db *sql.DB, dir string) error {
	rows, err := db.QueryContext(ctx, `SELECT grp, key FROM host_keys WHERE key NOT LIKE 'XXXXX-%'`)
	if err != nil {
		return dbErr(err, "cannot read host keys")
	}
	full := map[string]string{}
	for rows.Next() {
		var g, k string
		if err := rows.Scan(&g, &k); err != nil {
			rows.Close()
			return dbErr(err, "cannot read host keys")
		}
		full[g] = k
	}
	rows.Close()
	if len(full) == 0 {
		return nil
	}
	for g, k := range full {
		if err := putHostKey(dir, g, k); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return dbErr(err, "cannot move the host keys out of the KMS database")
	}
	return inTx(ctx, db, func(tx *sql.Tx) error {
		for g, k := range full {
			if _, err := tx.ExecContext(ctx, `UPDATE host_keys SET key = ? WHERE grp = ?`, redactedPrefix+last5(k), g); err != nil {
				return err
			}
		}
		return nil
	})
}

// last5 is the last 5 characters of a key.
func last5(k string) string {
	if len(k) < 5 {
		return k
	}
	return k[len(k)-5:]
}
