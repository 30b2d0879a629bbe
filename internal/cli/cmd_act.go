package cli

import (
	"errors"
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
			return printActResults(f, res, err)
		},
	}
	cmd.Flags().StringVar(&o.SKU, "sku", "", "activate only this product")
	cmd.Flags().BoolVar(&o.IfDue, "if-due", false, "contact nobody unless an attempt is due")
	cmd.Flags().BoolVar(&f.Opts.AllowHTTP, "allow-http", false, "send a MAK over plain http:// to a public address (default: https, or http to loopback/private/link-local only)")
	return cmd
}

// printActResults prints act's results in JSON, ospp, slmgr or table form,
// and returns err (already described on stdout) for the exit status.
func printActResults(f *cmdutil.Factory, res []client.Result, err error) error {
	if f.Opts.JSON {
		if res == nil {
			return err // printed by the top level as {"error":...}
		}
		doc := map[string]any{"results": res}
		if err != nil {
			e := hresult.From(err)
			doc["error"] = map[string]any{"code": e.Code.String(), "message": e.Error(), "exit": e.Exit}
			cmdutil.WriteJSON(f.IO.Out, doc)
			return errors.Join(e, cmdutil.ErrSilent)
		}
		cmdutil.WriteJSON(f.IO.Out, doc)
		return nil
	}
	if res == nil || f.Opts.Quiet {
		if err != nil {
			return legacyFail(f, err)
		}
		return nil
	}
	l := newLineWriter(f.IO)
	switch f.Opts.Legacy {
	case "ospp":
		blocks := make([]func(), 0, len(res))
		for _, r := range res {
			blocks = append(blocks, func() {
				l.line("Installed product key detected - attempting to activate the following product:")
				l.line("SKU ID: %s", r.SKU)
				l.line("LICENSE NAME: %s", r.Name)
				if r.Skipped || r.Code == hresult.OK.String() {
					if r.Skipped {
						l.line("<Activation not due: %s>", r.Message)
					} else {
						l.line("<Product activation successful>")
					}
					return
				}
				l.line("ERROR CODE: %s", r.Code)
				l.line("ERROR DESCRIPTION: %s", oneLine(r.Message))
			})
		}
		l.osppFrame(blocks)
	case "slmgr":
		for _, r := range res {
			l.line("Activating %s (%s) ...", r.Name, r.SKU)
			switch {
			case r.Skipped:
				l.line("Activation not due: %s", r.Message)
			case r.Code == hresult.OK.String():
				l.line("Product activated successfully.")
			default:
				l.line("ERROR CODE: %s", r.Code)
				l.line("ERROR DESCRIPTION: %s", oneLine(r.Message))
			}
		}
	default:
		rows := make([][]string, 0, len(res))
		for _, r := range res {
			count := ""
			if r.CurrentCount >= 0 {
				count = strconv.Itoa(r.CurrentCount)
			}
			rows = append(rows, []string{r.SKU, colorStatus(f.IO, r.Status), r.Code, count, r.Host, r.Message})
		}
		if perr := cmdutil.PrintTable(f.IO, []string{"SKU", "STATUS", "CODE", "COUNT", "HOST", "MESSAGE"}, rows); perr != nil {
			return perr
		}
		for _, r := range res {
			for _, a := range r.Attempts {
				fmt.Fprintf(f.IO.ErrOut, "volact: %s: tried %s (%s): %s\n", r.SKU, a.Host, a.Source, a.Result)
			}
		}
	}
	return err
}
