// Package build holds version information set at link time.
package build

// Version is the volact version, set with -ldflags -X.
var Version = "dev"

// TrustedRoots, set with -ldflags -X (make build TRUSTED_ROOTS=sha256:...),
// pins the catalog roots this build accepts: a comma-separated list of
// sha256:<hex> root fingerprints. Empty: the first catalog installed pins
// its root (trust on first use).
var TrustedRoots = ""
