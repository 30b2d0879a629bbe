package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
)

func newDstatusCmd(f *cmdutil.Factory) *cobra.Command {
	var all, check bool
	var root string
	cmd := &cobra.Command{
		Use:   "dstatus",
		Short: "Show the license status of installed products (ospp.vbs /dstatus)",
		Long: `Show the license status of every installed product in the text of
ospp.vbs /dstatus, or as JSON with --json.

EXIT STATUS
  0 ok; with --check, 6 when a product is not licensed (or none is installed),
  or, with --root, not under that catalog root; 3 no catalog or a malformed
  --root; 7 store corrupt or tampered.`,
		Example: "  volact dstatus\n  volact dstatus --json\n  volact dstatus --check -q || echo 'not licensed'\n  volact dstatus --check -q --root sha256:3f1c...",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if root != "" {
				if !check {
					return cmdutil.Usagef("--root goes with --check")
				}
				if _, err := catalog.ParseRootFingerprint(root); err != nil {
					return err
				}
			}
			r, err := report(f, all)
			if err != nil {
				return err
			}
			switch {
			case f.Opts.JSON:
				cmdutil.WriteJSON(f.IO.Out, r)
			case f.Opts.Quiet:
			default:
				printDstatus(f, r)
			}
			if check && root != "" {
				if err := r.CheckLicensedUnder(root); err != nil {
					return errors.Join(err, cmdutil.ErrSilent)
				}
			}
			if check {
				return checkLicensed(r)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include catalog products without a key")
	cmd.Flags().BoolVar(&check, "check", false, "exit 6 unless every listed product is licensed")
	cmd.Flags().StringVar(&root, "root", "", "with --check: exit 6 unless licensed under this catalog root (sha256:<hex>)")
	return cmd
}

func report(f *cmdutil.Factory, all bool) (*client.Report, error) {
	c, err := newClient(f)
	if err != nil {
		return nil, err
	}
	return c.Status(all)
}

// checkLicensed fails with exit 6 when a product is not licensed. The status
// itself was already printed, so the error is printed only as one line.
func checkLicensed(r *client.Report) error {
	var bad []string
	for _, p := range r.Products {
		if p.Status != "licensed" {
			bad = append(bad, p.SKU+" is "+p.Status)
		}
	}
	if len(r.Products) == 0 {
		bad = append(bad, "no product key is installed")
	}
	if len(bad) == 0 {
		return nil
	}
	e := hresult.New(hresult.GraceExpired, "not licensed: "+strings.Join(bad, ", ")).WithExit(hresult.ExitNotLicensed)
	return errors.Join(e, cmdutil.ErrSilent)
}

func printDstatus(f *cmdutil.Factory, r *client.Report) {
	l := newLineWriter(f.IO)
	if len(r.Products) == 0 {
		l.osppFrame([]func(){func() { l.line("<No installed product keys detected>") }})
		return
	}
	blocks := make([]func(), 0, len(r.Products))
	for _, p := range r.Products {
		blocks = append(blocks, func() { l.osppProductBlock(p) })
	}
	if r.ClockRolledBack {
		fmt.Fprintln(f.IO.ErrOut, "volact: warning: the system clock is more than 10 minutes behind the trusted time; grace is computed from the trusted time")
	}
	l.osppFrame(blocks)
}

// newSlmgrViewCmd builds dli, dlv and xpr: slmgr-style views of the status.
func newSlmgrViewCmd(f *cmdutil.Factory, use, short string, render func(l *lineWriter, r *client.Report, p client.ProductStatus)) *cobra.Command {
	return &cobra.Command{
		Use:     use + " [SKU|all]",
		Short:   short,
		Example: fmt.Sprintf("  volact %s\n  volact /%s all", use, use),
		Args:    cmdutil.Args(0, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			sel := ""
			if len(a) == 1 {
				sel = a[0]
			}
			r, err := report(f, strings.EqualFold(sel, "all"))
			if err != nil {
				return err
			}
			if sel != "" && !strings.EqualFold(sel, "all") {
				var keep []client.ProductStatus
				for _, p := range r.Products {
					if strings.EqualFold(p.SKU, sel) {
						keep = append(keep, p)
					}
				}
				if keep == nil {
					return hresult.Newf(hresult.SKUNotFound, "no product %q is installed", sel).
						WithHint("volact dstatus --all lists the products")
				}
				r.Products = keep
			}
			switch {
			case f.Opts.JSON:
				cmdutil.WriteJSON(f.IO.Out, r)
				return nil
			case f.Opts.Quiet:
				return nil
			}
			l := newLineWriter(f.IO)
			if len(r.Products) == 0 {
				l.line("Error: product key not found.")
				return hresult.New(hresult.KeyNotInstalled, "no product key is installed")
			}
			for i, p := range r.Products {
				if i > 0 {
					l.line("")
				}
				render(l, r, p)
			}
			return nil
		},
	}
}

func newDliCmd(f *cmdutil.Factory) *cobra.Command {
	return newSlmgrViewCmd(f, "dli", "Show brief license information (slmgr.vbs /dli)",
		func(l *lineWriter, r *client.Report, p client.ProductStatus) { l.slmgrProduct(p, r, false) })
}

func newDlvCmd(f *cmdutil.Factory) *cobra.Command {
	return newSlmgrViewCmd(f, "dlv", "Show detailed license information (slmgr.vbs /dlv)",
		func(l *lineWriter, r *client.Report, p client.ProductStatus) { l.slmgrProduct(p, r, true) })
}

func newXprCmd(f *cmdutil.Factory) *cobra.Command {
	return newSlmgrViewCmd(f, "xpr", "Show when activation expires (slmgr.vbs /xpr)",
		func(l *lineWriter, r *client.Report, p client.ProductStatus) { l.slmgrExpiry(p) })
}
