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
	var roots []string // --root: one root; an array so that a repeat is seen, not last-wins
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
			if len(roots) > 1 {
				return cmdutil.Usagef("--root given %d times: --check checks one catalog root (run it once per root)", len(roots))
			}
			root := strings.Join(roots, "")
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
			// The status is shown whatever the check finds; the check's
			// failure then only sets the exit status.
			var failed error
			if check && root != "" {
				failed = r.CheckLicensedUnder(root)
			}
			if check && failed == nil {
				failed = r.CheckLicensed()
			}
			if failed != nil {
				failed = errors.Join(failed, cmdutil.ErrSilent)
			}
			return emit(f, dstatusView{r}, failed)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include catalog products without a key")
	cmd.Flags().BoolVar(&check, "check", false, "exit 6 unless every listed product is licensed")
	cmd.Flags().StringArrayVar(&roots, "root", nil, "with --check: exit 6 unless licensed under this catalog root (`sha256:hex`)")
	return cmd
}

func report(f *cmdutil.Factory, all bool) (*client.Report, error) {
	c, err := newClient(f)
	if err != nil {
		return nil, err
	}
	return c.Status(all)
}

// dstatusView is dstatus: the status of the products in ospp /dstatus
// text, which is also volact's own human form.
type dstatusView struct{ r *client.Report }

func (v dstatusView) jsonValue() any { return v.r }

func (v dstatusView) human(l *lineWriter) error {
	r := v.r
	if len(r.Products) == 0 {
		return framed(l, "<No installed product keys detected>")
	}
	blocks := make([]func(), 0, len(r.Products))
	for _, p := range r.Products {
		blocks = append(blocks, func() { l.osppProductBlock(p) })
	}
	if r.ClockRolledBack {
		fmt.Fprintln(l.io.ErrOut, "volact: warning: the system clock is more than 10 minutes behind the trusted time; grace is computed from the trusted time")
	}
	l.osppFrame(blocks)
	return nil
}

// slmgrStatusView is dli, dlv or xpr: the products in slmgr text (also
// their human form), each rendered by product.
type slmgrStatusView struct {
	r       *client.Report
	product func(l *lineWriter, r *client.Report, p client.ProductStatus)
}

func (v slmgrStatusView) jsonValue() any { return v.r }

func (v slmgrStatusView) human(l *lineWriter) error {
	if len(v.r.Products) == 0 {
		l.line("Error: product key not found.")
		return hresult.New(hresult.KeyNotInstalled, "no product key is installed")
	}
	for i, p := range v.r.Products {
		if i > 0 {
			l.line("")
		}
		v.product(l, v.r, p)
	}
	return nil
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
			c, err := newClient(f)
			if err != nil {
				return err
			}
			r, err := c.StatusOf(sel)
			if err != nil {
				return err
			}
			return emit(f, slmgrStatusView{r, render}, nil)
		},
	}
}

// slmgrRenderers render one product for dli, dlv and xpr.
var slmgrRenderers = map[string]func(l *lineWriter, r *client.Report, p client.ProductStatus){
	"dli": func(l *lineWriter, r *client.Report, p client.ProductStatus) { l.slmgrProduct(p, r, false) },
	"dlv": func(l *lineWriter, r *client.Report, p client.ProductStatus) { l.slmgrProduct(p, r, true) },
	"xpr": func(l *lineWriter, r *client.Report, p client.ProductStatus) { l.slmgrExpiry(p) },
}

func newDliCmd(f *cmdutil.Factory) *cobra.Command {
	return newSlmgrViewCmd(f, "dli", "Show brief license information (slmgr.vbs /dli)", slmgrRenderers["dli"])
}

func newDlvCmd(f *cmdutil.Factory) *cobra.Command {
	return newSlmgrViewCmd(f, "dlv", "Show detailed license information (slmgr.vbs /dlv)", slmgrRenderers["dlv"])
}

func newXprCmd(f *cmdutil.Factory) *cobra.Command {
	return newSlmgrViewCmd(f, "xpr", "Show when activation expires (slmgr.vbs /xpr)", slmgrRenderers["xpr"])
}
