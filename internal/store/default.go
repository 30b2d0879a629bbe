package store

import (
	"os"
	"path/filepath"
	"strings"
)

// The rules behind DefaultDir, as pure functions so that every OS's rule
// is tested on every OS.

// rootUnixDir is the store of root on Linux and other unix systems, and the
// fallback when a user has no usable home directory.
const rootUnixDir = "/var/lib/volact"

// unixDir is the Linux rule, also used on other unix systems: root gets
// /var/lib/volact, a user $XDG_STATE_HOME/volact or ~/.local/state/volact.
// Relative XDG_STATE_HOME values are ignored, as the XDG spec says.
func unixDir(euid int, getenv func(string) string, home string) string {
	if euid == 0 {
		return rootUnixDir
	}
	if x := getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "volact")
	}
	if filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "volact")
	}
	return rootUnixDir
}

// darwinDir is the macOS rule: /Library/Application Support/volact for
// root, else ~/Library/Application Support/volact.
func darwinDir(euid int, home string) string {
	const system = "/Library/Application Support/volact"
	if euid == 0 || !filepath.IsAbs(home) {
		return system
	}
	return filepath.Join(home, "Library", "Application Support", "volact")
}

// windowsDir is the Windows rule: %ProgramData%\volact.
func windowsDir(getenv func(string) string) string {
	pd := strings.TrimRight(getenv("ProgramData"), `\/`)
	if len(pd) < 3 || pd[1] != ':' { // not an absolute drive path
		pd = `C:\ProgramData`
	}
	return pd + `\volact`
}

// homeDir is the user's home directory, or "" when it is unknown.
func homeDir() string {
	h, _ := os.UserHomeDir()
	return h
}
