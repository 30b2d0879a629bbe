package e2e_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// mode FILE PERM checks that FILE has exactly the permission bits PERM
// (octal, 0600). On Windows, where modes do not describe access, it
// checks only that FILE exists.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if runtime.GOOS == "windows" {
		return
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := st.Mode().Perm(); (uint64(got) == want) == neg {
		ts.Fatalf("%s has mode %04o, want %s%04o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// garble GLOB OFFSET LEN overwrites LEN bytes of the one file matching GLOB
// at OFFSET with 0x5A. OFFSET "mid" is the middle of the file's content up
// to its last non-zero byte (a journal segment is zeros after its records).
func cmdGarble(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: garble GLOB OFFSET LEN")
	}
	matches, err := filepath.Glob(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(matches) != 1 {
		ts.Fatalf("garble: %s matches %d files, want 1", args[0], len(matches))
	}
	data, err := os.ReadFile(matches[0])
	ts.Check(err)
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	var off int
	if args[1] == "mid" {
		used := len(bytes.TrimRight(data, "\x00"))
		off = used/2 - n/2
	} else if off, err = strconv.Atoi(args[1]); err != nil {
		ts.Fatalf("garble: OFFSET %q is not a number or mid", args[1])
	}
	if off < 0 || off+n > len(data) {
		ts.Fatalf("garble: %d bytes at %d do not fit in %s (%d bytes)", n, off, args[0], len(data))
	}
	copy(data[off:], bytes.Repeat([]byte{0x5A}, n))
	ts.Check(os.WriteFile(matches[0], data, 0o600))
}
