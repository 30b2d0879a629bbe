//go:build !unix

package store

import "os"

// lockOpenFlag opens the lock file. Windows has no O_NOFOLLOW; lock checks
// the path with Lstat before opening it instead.
const lockOpenFlag = os.O_CREATE | os.O_RDONLY
