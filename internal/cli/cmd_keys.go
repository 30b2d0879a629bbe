package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
)

// args returns a cobra.PositionalArgs that reports a wrong count as a usage
// error (exit 2).
func args(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) < min || (max >= 0 && len(a) > max) {
			want := fmt.Sprintf("%d", min)
			switch {
			case max < 0:
				want = fmt.Sprintf("at least %d", min)
			case max != min:
				want = fmt.Sprintf("%d to %d", min, max)
			}
			return &cmdutil.UsageError{Err: fmt.Errorf("%s takes %s argument(s), got %d: usage: %s", cmd.Name(), want, len(a), cmd.UseLine())}
		}
		return nil
	}
}

// legacyFail prints an ospp/slmgr failure the way the old tools did (ERROR
// CODE lines on stdout, in the frame for ospp) and returns err for the exit
// status and the one stderr line.
// It prints nothing outside the legacy styles, with --json or with -q.
func legacyFail(f *cmdutil.Factory, err error) error {
	if f.Opts.Legacy == "" || f.Opts.JSON || f.Opts.Quiet {
		return err
	}
	e := hresult.From(err)
	l := newLineWriter(f.IO)
	if f.Opts.Legacy == "ospp" {
		l.osppFrame([]func(){func() { l.osppError(e) }})
	} else {
		l.osppError(e)
	}
	return err
}

func newInpkeyCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "inpkey KEY",
		Aliases: []string{"ipk"},
		Short:   "Validate and install a product key",
		Example: "  volact inpkey BCDFG-HJKMP-QRTVW-XY234-6789B\n  volact /inpkey:BCDFG-HJKMP-QRTVW-XY234-6789B",
		Args:    cmdutil.Args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			in, err := c.InstallKey(a[0])
			if err != nil {
				return legacyFail(f, err)
			}
			return printInstalled(f, in, "<Product key installation successful>", fmt.Sprintf("Installed product key %s successfully.", in.PartialKey))
		},
	}
}

func newUnpkeyCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "unpkey [LAST5]",
		Aliases: []string{"upk"},
		Short:   "Remove an installed product key, named by its last 5 characters",
		Example: "  volact unpkey 6789B\n  volact /unpkey:6789B",
		Args:    cmdutil.Args(0, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			last5 := ""
			if len(a) == 1 {
				last5 = a[0]
			}
			in, err := c.UninstallKey(last5)
			if err != nil {
				return legacyFail(f, err)
			}
			return printInstalled(f, in, "<Product key uninstall successful>", "Uninstalled product key successfully.")
		},
	}
}

// printInstalled reports a key change in JSON, ospp or slmgr form.
func printInstalled(f *cmdutil.Factory, in client.Installation, ospp, slmgr string) error {
	switch {
	case f.Opts.JSON:
		cmdutil.WriteJSON(f.IO.Out, in)
	case f.Opts.Quiet:
	case f.Opts.Legacy == "ospp":
		l := newLineWriter(f.IO)
		l.osppFrame([]func(){func() { l.line("%s", ospp) }})
	default:
		newLineWriter(f.IO).line("%s", slmgr)
	}
	return nil
}
