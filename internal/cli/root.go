package cli

import (
	"github.com/spf13/cobra"
)

// NewRootCmd builds the volact command tree on f.
func NewRootCmd(f *Factory) *cobra.Command {
	o := f.Opts
	root := &cobra.Command{
		Use:   "volact",
		Short: "Volume activation: client, KMS host and activation service",
		Long: `volact activates products in volume: a client with the verbs of ospp.vbs and
slmgr.vbs, a KMS-style activation host and a MAK-style activation service.

The old switches work too (/dstatus, /inpkey:KEY, /ipk KEY, /dli, /ato, ...),
and when the binary is named ospp, ospp.vbs, slmgr or slmgr.vbs it speaks only
the old syntax.

Every flag can also be set as VOLACT_<FLAG> in the environment or in a config
file (--config, VOLACT_CONFIG); a flag wins over the environment, which wins
over the file.

EXIT STATUS
  0 ok   1 internal error   2 usage   3 invalid input (key, argument, file)
  4 no host or service reachable   5 refused by host or service
  6 not licensed (--check)   7 store locked, corrupt or tampered`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindConfig(cmd, f); err != nil {
				return err
			}
			if o.NoColor {
				f.IO.DisableColor()
			}
			_, err := f.Now() // reject a bad VOLACT_CLOCK_OFFSET once, up front
			return err
		},
	}
	root.SetFlagErrorFunc(flagErr)
	pf := root.PersistentFlags()
	pf.StringVar(&o.Store, "store", "", "client store directory (env VOLACT_STORE; default: the OS location)")
	pf.StringVar(&o.Catalog, "catalog", "", "signed catalog file (env VOLACT_CATALOG; default: the installed one)")
	pf.StringVar(&o.Config, "config", "", "config file (env VOLACT_CONFIG)")
	pf.BoolVar(&o.JSON, "json", false, "print one JSON document on stdout")
	pf.BoolVar(&o.NoColor, "no-color", false, "no colour (also NO_COLOR)")
	pf.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors")
	pf.StringVar(&o.Service, "service", "", "activation service URL (env VOLACT_SERVICE)")
	pf.StringVar(&o.DNSServer, "dns-server", "", "DNS server HOST:PORT for KMS discovery (env VOLACT_DNS_SERVER)")
	pf.StringVar(&o.Legacy, "legacy", "", "output style of an old switch: ospp or slmgr")
	_ = pf.MarkHidden("legacy")

	addCommands(root, f)
	return root
}
