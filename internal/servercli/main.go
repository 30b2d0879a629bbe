// Package servercli implements the volactd command line: the KMS host
// (volactd kms ...), the activation service and the authority's tools
// (volactd mak ...). The client verbs are in internal/cli.
package servercli

import (
	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
)

// Main runs volactd with args (args[0] is the program name) and returns the
// exit status.
func Main(args []string) int {
	return MainWith(cmdutil.NewFactory(cmdutil.System()), args)
}

// MainWith is Main with explicit dependencies, for tests.
func MainWith(f *cmdutil.Factory, args []string) int {
	f.Prog = "volactd"
	return cmdutil.Execute(f, NewRootCmd(f), args[1:], args[1:])
}

// NewRootCmd builds the volactd command tree on f.
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	root := cmdutil.NewRoot(f, "volactd", "Volume activation servers: KMS host, activation service, authority",
		`volactd runs the servers of volume activation: a KMS-style host that counts
a site's client machines and activates them once a product group's threshold
is met (volactd kms ...), and the MAK-style activation service with the
authority's tools: catalog, key minting, blocking, proxy exchange
(volactd mak ...). The client, on every machine, is volact.

Every flag can also be set as VOLACT_<FLAG> in the environment or in a config
file (--config, VOLACT_CONFIG); a flag wins over the environment, which wins
over the file.

`+cmdutil.ExitStatusHelp)
	root.AddCommand(newKmsCmd(f), newMakCmd(f), newSimCmd(f), newLedgerCmd(f))
	root.AddCommand(cmdutil.NewShellCmds(f)...)
	return root
}
