package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
)

func newActCmd(f *cmdutil.Factory) *cobra.Command {
	var o client.ActOptions
	cmd := &cobra.Command{
		Use:     "act",
		Aliases: []string{"ato"},
		Short:   "Activate every product with a key (KMS or MAK by key type)",
		Long: `Activate every installed product: MAK and retail keys against the activation
service (--service, VOLACT_SERVICE), KMS client keys against a KMS host (pinned
with sethst, cached, or found through DNS SRV).

--if-due contacts nobody unless the schedule says an attempt is due (every
activation interval while not activated, every renewal interval once
activated): use it in login scripts, VPN reconnect hooks and timers.

EXIT STATUS
  0 activated (or nothing due)   3 invalid key or input
  4 no host or service reachable   5 refused (count too low, key exhausted or blocked)
  7 store locked or tampered`,
		Example: "  volact act\n  volact act --if-due -q\n  volact act --sku suite-pro --json\n  volact /ato",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			res, err := c.Activate(ctx, o)
			if res == nil {
				return emit(f, nil, err)
			}
			return emit(f, actView(res), err)
		},
	}
	cmd.Flags().StringVar(&o.SKU, "sku", "", "activate only this product")
	cmd.Flags().BoolVar(&o.IfDue, "if-due", false, "contact nobody unless an attempt is due")
	cmd.Flags().BoolVar(&f.Opts.AllowHTTP, "allow-http", false, "send a MAK over plain http:// to a public address (default: https, or http to loopback/private/link-local only)")
	return cmd
}

// actView is act's result: one Result per product, a failure among them
// described in its own Result (a partial failure, see emit).
type actView []client.Result

// actDoc is act --json: the results and, after a failure, the error object.
type actDoc struct {
	Error   *cmdutil.ErrorJSON `json:"error,omitempty"`
	Results []client.Result    `json:"results"`
}

func (v actView) jsonValue() any { return actDoc{Results: v} }

func (v actView) jsonWithError(e cmdutil.ErrorJSON) any { return actDoc{Error: &e, Results: v} }

// ospp is /act: one block per product in the ospp frame.
func (v actView) ospp(l *lineWriter) error {
	blocks := make([]func(), 0, len(v))
	for _, r := range v {
		blocks = append(blocks, func() {
			l.line("Installed product key detected - attempting to activate the following product:")
			l.line("SKU ID: %s", r.SKU)
			l.line("LICENSE NAME: %s", r.Name)
			switch {
			case r.Skipped:
				l.line("<Activation not due: %s>", r.Message)
			case r.Code == hresult.OK:
				l.line("<Product activation successful>")
			default:
				l.line("ERROR CODE: %s", r.Code)
				l.line("ERROR DESCRIPTION: %s", oneLine(r.Message))
			}
		})
	}
	l.osppFrame(blocks)
	return nil
}

// slmgr is /ato.
func (v actView) slmgr(l *lineWriter) error {
	for _, r := range v {
		l.line("Activating %s (%s) ...", r.Name, r.SKU)
		switch {
		case r.Skipped:
			l.line("Activation not due: %s", r.Message)
		case r.Code == hresult.OK:
			l.line("Product activated successfully.")
		default:
			l.line("ERROR CODE: %s", r.Code)
			l.line("ERROR DESCRIPTION: %s", oneLine(r.Message))
		}
	}
	return nil
}

// human is a table, then the KMS hosts tried on stderr.
func (v actView) human(l *lineWriter) error {
	rows := make([][]string, 0, len(v))
	for _, r := range v {
		count := ""
		if r.CurrentCount >= 0 {
			count = strconv.Itoa(r.CurrentCount)
		}
		rows = append(rows, []string{r.SKU, colorStatus(l.io, r.Status), r.Code.String(), count, r.Host, r.Message})
	}
	if err := l.table([]string{"SKU", "STATUS", "CODE", "COUNT", "HOST", "MESSAGE"}, rows); err != nil {
		return err
	}
	for _, r := range v {
		for _, a := range r.Attempts {
			fmt.Fprintf(l.io.ErrOut, "volact: %s: tried %s (%s): %s\n", r.SKU, a.Host, a.Source, a.Result)
		}
	}
	return nil
}
