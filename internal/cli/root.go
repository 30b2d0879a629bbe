package cli

import (
	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
)

// NewRootCmd builds the volact command tree on f.
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	o := f.Opts
	root := cmdutil.NewRoot(f, "volact", "Volume activation client: the verbs of ospp.vbs and slmgr.vbs",
		`volact activates this machine's products in volume, against a KMS host or
the activation service, with the verbs of ospp.vbs and slmgr.vbs. The KMS
host and the activation service are in volactd.

The old switches work too (/dstatus, /inpkey:KEY, /ipk KEY, /dli, /ato, ...),
and when the binary is named ospp, ospp.vbs, slmgr or slmgr.vbs it speaks only
the old syntax.

Every flag can also be set as VOLACT_<FLAG> in the environment or in a config
file (--config, VOLACT_CONFIG); a flag wins over the environment, which wins
over the file.

`+cmdutil.ExitStatusHelp)
	pf := root.PersistentFlags()
	pf.StringVar(&o.Store, "store", "", "client store directory (env VOLACT_STORE; default: the OS location)")
	pf.StringVar(&o.DNSServer, "dns-server", "", "DNS server HOST:PORT for KMS discovery (env VOLACT_DNS_SERVER)")
	pf.StringVar(&o.Legacy, "legacy", "", "output style of an old switch: ospp or slmgr")
	_ = pf.MarkHidden("legacy")

	root.AddCommand(
		newInpkeyCmd(f), newUnpkeyCmd(f),
		newDstatusCmd(f), newDliCmd(f), newDlvCmd(f), newXprCmd(f),
		newRearmCmd(f), newRearmStatusCmd(f),
		newDcmidCmd(f), newHistoryCmd(f), newReceiptsCmd(f), newDdescrCmd(f),
		newActCmd(f), newCatalogCmd(f),
		newDinstidCmd(f), newActcidCmd(f), newDiscoverCmd(f),
		newMovedCmd("kms"), newMovedCmd("mak"),
	)
	root.AddCommand(newSettingsCmds(f)...)
	root.AddCommand(cmdutil.NewShellCmds(f)...)
	return root
}

// newMovedCmd answers a server verb group that lives in volactd now with
// one line saying so (exit 2).
func newMovedCmd(group string) *cobra.Command {
	return &cobra.Command{
		Use:                group,
		Short:              "Moved to volactd: volactd " + group + " ...",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, a []string) error {
			return hresult.Newf(hresult.InvalidArg, "'volact %s' moved to the server binary: run 'volactd %s ...'", group, group).
				WithExit(hresult.ExitUsage)
		},
	}
}
