package store

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/volact/volact/internal/atomicfile"
)

// tempPrefix starts the names of the temp files atomicfile makes while
// replacing the state file.
var tempPrefix = atomicfile.TempPrefixFor(stateName)

// writeAtomic replaces path with data, made 0600 because the state holds
// product keys. On failure the old file is untouched and no temp file is
// left behind.
func writeAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o600)
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
