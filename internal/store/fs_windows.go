//go:build windows

package store

import (
	"errors"
	"os"
	"syscall"
	"time"
)

const errSharingViolation = syscall.Errno(32) // ERROR_SHARING_VIOLATION

// replaceFile renames tmp over path. A reader that has path open (View
// takes no lock) makes the rename fail for a moment on Windows, so it is
// retried for up to a second.
func replaceFile(tmp, path string) error {
	var err error
	for i := 0; i < 100; i++ {
		err = os.Rename(tmp, path)
		if err == nil || !(errors.Is(err, syscall.ERROR_ACCESS_DENIED) || errors.Is(err, errSharingViolation)) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// syncDir does nothing: Windows cannot sync a directory.
func syncDir(string) error { return nil }
