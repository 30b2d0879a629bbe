package store

import "os"

// DefaultDir is the store directory used when --store and VOLACT_STORE are
// not set: /Library/Application Support/volact for root, else
// ~/Library/Application Support/volact.
func DefaultDir() string { return darwinDir(os.Geteuid(), homeDir()) }
