package store

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestDefaultDirIsAbsolute(t *testing.T) {
	if d := DefaultDir(); !filepath.IsAbs(d) || filepath.Base(d) != "volact" {
		t.Errorf("DefaultDir() = %q, want an absolute path ending in volact", d)
	}
}

func skipOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix paths such as /home/u are not absolute on Windows")
	}
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestUnixDir(t *testing.T) {
	skipOnWindows(t)
	cases := []struct {
		name string
		euid int
		env  map[string]string
		home string
		want string
	}{
		{"root", 0, map[string]string{"XDG_STATE_HOME": "/x"}, "/root", "/var/lib/volact"},
		{"xdg state home", 1000, map[string]string{"XDG_STATE_HOME": "/x/state"}, "/home/u", "/x/state/volact"},
		{"relative xdg ignored", 1000, map[string]string{"XDG_STATE_HOME": "rel"}, "/home/u", "/home/u/.local/state/volact"},
		{"home", 1000, nil, "/home/u", "/home/u/.local/state/volact"},
		{"no home", 1000, nil, "", "/var/lib/volact"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := unixDir(tc.euid, env(tc.env), tc.home); got != tc.want {
				t.Errorf("unixDir = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDarwinDir(t *testing.T) {
	skipOnWindows(t)
	cases := []struct {
		euid int
		home string
		want string
	}{
		{0, "/var/root", "/Library/Application Support/volact"},
		{501, "/Users/u", "/Users/u/Library/Application Support/volact"},
		{501, "", "/Library/Application Support/volact"},
	}
	for _, tc := range cases {
		if got := darwinDir(tc.euid, tc.home); got != tc.want {
			t.Errorf("darwinDir(%d, %q) = %q, want %q", tc.euid, tc.home, got, tc.want)
		}
	}
}

func TestWindowsDir(t *testing.T) {
	cases := map[string]string{
		`D:\ProgramData`:  `D:\ProgramData\volact`,
		`C:\ProgramData\`: `C:\ProgramData\volact`,
		``:                `C:\ProgramData\volact`,
		`relative`:        `C:\ProgramData\volact`,
	}
	for pd, want := range cases {
		if got := windowsDir(env(map[string]string{"ProgramData": pd})); got != want {
			t.Errorf("windowsDir with ProgramData=%q = %q, want %q", pd, got, want)
		}
	}
}
