package e2e_test

import (
	"encoding/base64"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// editleaf FILE N replaces leaf N of a ledger export (its Nth "leaf "
// line, from 0) with other bytes, as an operator editing history would.
func cmdEditLeaf(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: editleaf FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	path := ts.MkAbs(args[0])
	lines := strings.SplitAfter(ts.ReadFile(args[0]), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "leaf ") {
			continue
		}
		if n--; n < 0 {
			lines[i] = "leaf " + base64.StdEncoding.EncodeToString([]byte(`{"kind":"mak","sku":"edited"}`)) + "\n"
			ts.Check(os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644))
			return
		}
	}
	ts.Fatalf("%s has no leaf %s", args[0], args[1])
}
