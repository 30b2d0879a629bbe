//go:build unix

package store

import (
	"os"
	"syscall"
)

// lockOpenFlag opens the lock file without following a symbolic link: a
// link planted at Dir/state.lock (to /etc/passwd, a device) fails with
// ELOOP instead of being created, opened or locked through.
const lockOpenFlag = os.O_CREATE | os.O_RDONLY | syscall.O_NOFOLLOW
