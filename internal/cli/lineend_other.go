//go:build !windows

package cli

const lineEndCRLF = false
