package atomicfile

import "golang.org/x/sys/windows"

// replaceFile renames over an existing file; MoveFileEx with
// MOVEFILE_REPLACE_EXISTING|MOVEFILE_WRITE_THROUGH is atomic on NTFS.
func replaceFile(from, to string) error {
	f, err := windows.UTF16PtrFromString(from)
	if err != nil {
		return err
	}
	t, err := windows.UTF16PtrFromString(to)
	if err != nil {
		return err
	}
	return windows.MoveFileEx(f, t, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
}

// SyncDir is a no-op on Windows: directories cannot be synced there, and
// MOVEFILE_WRITE_THROUGH already flushed the rename.
func SyncDir(string) error { return nil }
