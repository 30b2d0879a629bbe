//go:build !linux

package translog

import "os"

// allocate extends f to size bytes of zeros.
func allocate(f *os.File, size int64) error { return f.Truncate(size) }

// datasync flushes f to stable storage.
func datasync(f *os.File) error { return f.Sync() }
