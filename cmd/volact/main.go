// Command volact is the volume-activation client: the verbs of ospp.vbs and
// slmgr.vbs on every machine. All the work is in internal/cli; it links no
// server code (deps.txt lists what it may link, deps_test.go keeps it so).
package main

import (
	"os"

	"github.com/volact/volact/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args))
}
