package cmdutil

import "github.com/spf13/cobra"

// ExitStatusHelp is the EXIT STATUS section both programs' help ends with.
const ExitStatusHelp = `EXIT STATUS
  0 ok   1 internal error   2 usage   3 invalid input (key, argument, file)
  4 no host or service reachable   5 refused by host or service
  6 not licensed (--check)   7 store locked, corrupt or tampered`

// NewRoot returns a root command with what both programs share: errors
// printed once by Execute, the configuration layers applied before any verb
// runs, a bad VOLACT_CLOCK_OFFSET refused up front, and the global flags
// --config, --json, --no-color, -q, --catalog and --service.
func NewRoot(f *Factory, use, short, long string) *cobra.Command {
	o := f.Opts
	root := &cobra.Command{
		Use:           use,
		Short:         short,
		Long:          long,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := BindConfig(cmd, f); err != nil {
				return err
			}
			if o.NoColor {
				f.IO.DisableColor()
			}
			_, err := f.Now() // reject a bad VOLACT_CLOCK_OFFSET once, up front
			return err
		},
	}
	root.SetFlagErrorFunc(FlagErr)
	root.SetHelpCommand(newHelpCmd(f.Program()))
	pf := root.PersistentFlags()
	pf.StringVar(&o.Catalog, "catalog", "", "signed catalog file (env VOLACT_CATALOG; default: the installed one)")
	pf.StringVar(&o.Config, "config", "", "config file (env VOLACT_CONFIG)")
	pf.BoolVar(&o.JSON, "json", false, "print one JSON document on stdout")
	pf.BoolVar(&o.NoColor, "no-color", false, "no colour (also NO_COLOR)")
	pf.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors")
	pf.StringVar(&o.Service, "service", "", "activation service URL (env VOLACT_SERVICE)")
	return root
}
