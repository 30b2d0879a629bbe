// Command volact is the volume-activation toolkit: client CLI, KMS host and
// activation service in one binary. All the work is in internal/cli.
package main

import (
	"os"

	"github.com/volact/volact/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args))
}
