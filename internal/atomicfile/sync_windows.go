package atomicfile

import (
	"errors"

	"golang.org/x/sys/windows"
)

// replaceFile renames over an existing file; MoveFileEx with
// MOVEFILE_REPLACE_EXISTING|MOVEFILE_WRITE_THROUGH is atomic on NTFS.
// A reader that has the target open (the store's View takes no lock) makes
// the rename fail for a moment on Windows, so it is retried for up to a
// second.
func replaceFile(from, to string) error {
	f, err := windows.UTF16PtrFromString(from)
	if err != nil {
		return err
	}
	t, err := windows.UTF16PtrFromString(to)
	if err != nil {
		return err
	}
	return retry(func() error {
		return windows.MoveFileEx(f, t, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
	}, sharingViolation)
}

// sharingViolation reports whether err is what Windows returns while another
// process has the file open.
func sharingViolation(err error) bool {
	return errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)
}

// SyncDir is a no-op on Windows: directories cannot be synced there, and
// MOVEFILE_WRITE_THROUGH already flushed the rename.
func SyncDir(string) error { return nil }
