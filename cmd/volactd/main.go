// Command volactd runs the servers of volume activation: the KMS host
// (volactd kms ...) and the activation service with the authority's tools
// (volactd mak ...). All the work is in internal/servercli.
package main

import (
	"os"

	"github.com/volact/volact/internal/servercli"
)

func main() {
	os.Exit(servercli.Main(os.Args))
}
