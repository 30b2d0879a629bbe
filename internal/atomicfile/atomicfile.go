// Package atomicfile replaces files atomically: a reader sees the old or the
// new content, never a mix, even if the writer is killed half-way.
package atomicfile

import (
	"os"
	"path/filepath"
)

// TempPrefix starts the names of the temp files WriteFile creates.
const TempPrefix = ".tmp-"

// WriteFile replaces path with data: a temp file in the same directory is
// written, synced, given perm and renamed over path, then the directory is
// synced. On failure the temp file is removed and path is untouched.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, TempPrefix+filepath.Base(path)+"-*")
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
	if err = os.Chmod(tmp, perm); err != nil {
		return err
	}
	if err = replaceFile(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}
