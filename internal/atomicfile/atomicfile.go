// Package atomicfile replaces files atomically: a reader sees the old or the
// new content, never a mix, even if the writer is killed half-way.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// TempPrefix starts the names of the temp files WriteFile and Create make.
const TempPrefix = ".tmp-"

// TempPrefixFor is the name prefix of the temp files WriteFile and Create
// make for path, in path's directory. A writer that is killed leaves such a
// file behind; its owner may remove them when no writer can be running.
func TempPrefixFor(path string) string {
	return TempPrefix + filepath.Base(path) + "-"
}

// WriteFile replaces path with data: a temp file in the same directory is
// written, synced, given perm and renamed over path, then the directory is
// synced. On failure the temp file is removed and path is untouched.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	if err := replaceFile(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// Create writes data to path, which must not exist: a temp file in the same
// directory is written, synced, given perm and hard-linked to path, so an
// existing file is never replaced and two racing creators cannot both win.
// If path exists the error wraps fs.ErrExist and path is untouched. The
// temp file is removed in every case.
func Create(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	err = os.Link(tmp, path)
	_ = os.Remove(tmp) // path, if linked, keeps the content
	if err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// tempFile is what writeTemp needs of a temp file; tests substitute one
// whose Write, Sync or Close fails.
type tempFile interface {
	io.WriteCloser
	Name() string
	Sync() error
}

// createTemp makes the temp file; tests replace it to make writes fail.
var createTemp = func(dir, pattern string) (tempFile, error) {
	return os.CreateTemp(dir, pattern)
}

// writeTemp writes data to a new temp file next to path, syncs it, gives it
// perm and returns its name. On every failure (create, write, sync, close,
// chmod) the temp file is closed and removed: nothing is left behind.
func writeTemp(path string, data []byte, perm os.FileMode) (string, error) {
	f, err := createTemp(filepath.Dir(path), TempPrefixFor(path)+"*")
	if err != nil {
		return "", err
	}
	// name is a local, not the named result: a "return "", err" must not
	// blank it before the cleanup runs.
	name := f.Name()
	fail := func(err error) (string, error) {
		_ = f.Close() // may already be closed
		_ = os.Remove(name)
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Chmod(name, perm); err != nil {
		return fail(err)
	}
	return name, nil
}
