package kms

import "github.com/volact/volact/internal/catalog"

// ReadCatalog returns the signed catalog installed in the host's data
// directory (by install-key), verified.
func ReadCatalog(dir string) (*catalog.Catalog, error) { return readCatalog(dir) }
