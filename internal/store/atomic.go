package store

import (
	"os"
	"path/filepath"
	"strings"
)

// writeAtomic replaces path with data: a temp file in dir is written,
// synced, made 0600 (the state holds product keys) and renamed over path,
// then dir is synced. On failure the temp file is removed and the old file
// is untouched.
func writeAtomic(dir, path string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // may already be closed
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	if err = replaceFile(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// removeTemps deletes temp files left by a writer that was killed. It runs
// under the lock, so no live writer owns them. Failures are ignored: the
// files are harmless to readers.
func removeTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
