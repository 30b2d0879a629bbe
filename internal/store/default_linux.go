package store

import "os"

// DefaultDir is the store directory used when --store and VOLACT_STORE are
// not set: /var/lib/volact for root, else $XDG_STATE_HOME/volact or
// ~/.local/state/volact.
func DefaultDir() string { return unixDir(os.Geteuid(), os.Getenv, homeDir()) }
