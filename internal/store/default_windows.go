package store

import "os"

// DefaultDir is the store directory used when --store and VOLACT_STORE are
// not set: %ProgramData%\volact.
func DefaultDir() string { return windowsDir(os.Getenv) }
