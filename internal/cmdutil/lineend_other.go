//go:build !windows

package cmdutil

const lineEndCRLF = false
