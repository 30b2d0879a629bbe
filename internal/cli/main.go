// Package cli implements the volact client command line: the cobra verbs of
// ospp.vbs and slmgr.vbs, their aliases and multi-call names, and the
// rendering of human, JSON and ospp/slmgr text. It links no server code.
package cli

import (
	"github.com/volact/volact/internal/cmdutil"
)

// Main runs volact with args (args[0] is the program name) and returns the
// exit status.
func Main(args []string) int {
	return MainWith(cmdutil.NewFactory(cmdutil.System()), args)
}

// MainWith is Main with explicit dependencies, for tests.
func MainWith(f *cmdutil.Factory, args []string) int {
	legacyOnly := len(args) > 0 && isLegacyProgram(args[0])
	rest, err := translateArgs(args[1:], legacyOnly)
	if err != nil {
		f.Opts.JSON = cmdutil.WantsJSON(f, args[1:])
		return cmdutil.PrintError(f, &cmdutil.UsageError{Err: err})
	}
	return cmdutil.Execute(f, NewRootCmd(f), rest, args[1:])
}
