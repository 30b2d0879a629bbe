package cli

import "github.com/spf13/cobra"

// addCommands adds every verb to root.
func addCommands(root *cobra.Command, f *Factory) {
	root.AddCommand(
		newInpkeyCmd(f), newUnpkeyCmd(f),
		newDstatusCmd(f), newDliCmd(f), newDlvCmd(f), newXprCmd(f),
		newRearmCmd(f), newRearmStatusCmd(f),
		newDcmidCmd(f), newHistoryCmd(f), newDdescrCmd(f),
		newActCmd(f), newMakCmd(f), newCatalogCmd(f),
		newDinstidCmd(f), newActcidCmd(f),
		newKmsCmd(f), newDiscoverCmd(f),
	)
	root.AddCommand(newSettingsCmds(f)...)
	root.AddCommand(newShellCmds(f)...)
}
