package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
)

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
				return emit(f, nil, err)
			}
			return emit(f, keyView{in, "<Product key installation successful>", fmt.Sprintf("Installed product key %s successfully.", in.PartialKey)}, nil)
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
				return emit(f, nil, err)
			}
			return emit(f, keyView{in, "<Product key uninstall successful>", "Uninstalled product key successfully."}, nil)
		},
	}
}

// keyView is a key installed or removed: the ospp and slmgr lines that
// said so (the slmgr line is volact's human form too).
type keyView struct {
	in        client.Installation
	osppLine  string
	slmgrLine string
}

func (v keyView) jsonValue() any            { return v.in }
func (v keyView) ospp(l *lineWriter) error  { return framed(l, v.osppLine) }
func (v keyView) human(l *lineWriter) error { l.line("%s", v.slmgrLine); return nil }
