package e2e_test

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// keyfile FILE N checks that FILE holds exactly N distinct valid product
// keys, one a line, readable only by its owner (mode 0600, on Unix).
func cmdKeyfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: keyfile FILE N")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("keyfile: %q is not a number", args[1])
	}
	if _, err := CheckKeyFile(ts.MkAbs(args[0]), n); err != nil {
		ts.Fatalf("keyfile: %v", err)
	}
}
