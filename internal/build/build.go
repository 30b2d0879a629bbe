// Package build holds version information set at link time.
package build

// Version is the volact version, set with -ldflags -X.
var Version = "dev"
