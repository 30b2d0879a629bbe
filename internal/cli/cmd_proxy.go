package cli

import (
	"github.com/spf13/cobra"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/protocol"
)

func newDinstidCmd(f *cmdutil.Factory) *cobra.Command {
	var sku, out string
	cmd := &cobra.Command{
		Use:   "dinstid [--sku SKU] [--out FILE]",
		Short: "Print the installation request for proxy (offline) activation",
		Long: `Print this machine's installation request for its MAK (or retail) product:
one line, VA1-..., to copy by hand or as a file (--out, mode 0600) to a
connected machine, which exchanges it with 'volactd mak proxy'. Apply the
confirmation here with 'volact actcid'.

The request carries the product key, encoded: the service must see the key to
activate it. Handle the request as you handle the key.`,
		Example: "  volact dinstid\n  volact dinstid --sku suite-pro --out request.txt\n  volact /dti",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutFile("--out", out); err != nil {
				return err
			}
			c, err := newClient(f)
			if err != nil {
				return err
			}
			text, err := c.InstallationRequest(sku)
			if err != nil {
				return emit(f, nil, err)
			}
			if err := cmdutil.WriteTextFile(f, out, text, 0o600); err != nil {
				return err
			}
			return emit(f, requestView(text), nil)
		},
	}
	cmd.Flags().StringVar(&sku, "sku", "", "product, when several MAK products are installed")
	cmd.Flags().StringVar(&out, "out", "", "also write the request to FILE (mode 0600; a regular file, or - for stdout)")
	return cmd
}

func newActcidCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "actcid CONFIRMATION|FILE",
		Short: "Apply a proxy activation confirmation (from volactd mak proxy)",
		Long: `Apply the confirmation (VC1-... text, a file holding it, or - for stdin)
that 'volactd mak proxy' returned for this machine's installation request. It
is verified against the installed catalog and must be for this machine and an
installed product, else nothing is written (exit 3). Keep it: applied again on
the same hardware after a reimage, with the key reinstalled, it activates
again without spending an activation.`,
		Example: "  volact actcid confirmation.txt\n  volact actcid VC1-eyJwYXlsb2FkIjoi...\n  volact /atp confirmation.txt",
		Args:    cmdutil.Args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			r, err := applyConfirmation(f, a[0])
			if err != nil {
				return emit(f, nil, err)
			}
			return emit(f, confirmationView{r}, nil)
		},
	}
}

// applyConfirmation reads the confirmation text or file arg and applies it.
func applyConfirmation(f *cmdutil.Factory, arg string) (client.Result, error) {
	text, err := cmdutil.TextOrFile(f, arg, protocol.ConfirmationPrefix)
	if err != nil {
		return client.Result{}, err
	}
	c, err := newClient(f)
	if err != nil {
		return client.Result{}, err
	}
	return c.ApplyConfirmation(text)
}

// requestView is an installation request: one line of text.
type requestView string

func (v requestView) jsonValue() any { return map[string]string{"installation_request": string(v)} }

func (v requestView) human(l *lineWriter) error {
	l.line("%s", string(v))
	return nil
}

// slmgr is /dti, which labelled the id.
func (v requestView) slmgr(l *lineWriter) error {
	l.line("Installation ID: %s", string(v))
	return nil
}

// confirmationView is an applied confirmation.
type confirmationView struct{ r client.Result }

func (v confirmationView) jsonValue() any {
	return map[string]any{"results": []client.Result{v.r}}
}

func (v confirmationView) ospp(l *lineWriter) error {
	return framed(l, "SKU ID: "+v.r.SKU, "LICENSE NAME: "+v.r.Name, "<Product activation successful>")
}

func (v confirmationView) slmgr(l *lineWriter) error {
	l.line("Confirmation ID for product %s deposited successfully.", v.r.SKU)
	return nil
}

func (v confirmationView) human(l *lineWriter) error {
	l.line("Applied the confirmation: %s (%s) is %s.", v.r.Name, v.r.SKU, v.r.Status)
	return nil
}
