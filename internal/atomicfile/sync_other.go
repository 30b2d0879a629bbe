//go:build !windows

package atomicfile

import "os"

func replaceFile(from, to string) error { return os.Rename(from, to) }

// SyncDir flushes a directory entry change (a rename) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
