package cli

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
)

func newRearmCmd(f *cmdutil.Factory) *cobra.Command {
	var sku string
	cmd := &cobra.Command{
		Use:   "rearm",
		Short: "Reset the grace period and regenerate the CMID (slmgr /rearm)",
		Long: `Reset the initial grace period to 30 days and give the product a new client
machine id (CMID), so that cloned images count as distinct machines. Allowed
only while a product is not activated, at most 5 times (the catalog may say
otherwise). All or nothing: if one product may not be rearmed, none is.`,
		Example: "  volact rearm\n  volact rearm --sku suite-pro",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			out, err := c.Rearm(sku)
			if err != nil {
				return legacyFail(f, err)
			}
			switch {
			case f.Opts.JSON:
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"products": out})
			case f.Opts.Quiet:
			case f.Opts.Legacy != "":
				newLineWriter(f.IO).line("Command completed successfully.")
			default:
				for _, r := range out {
					fmt.Fprintf(f.IO.Out, "Rearmed %s: grace reset, new CMID, %d rearm(s) left.\n", r.SKU, r.Remaining)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&sku, "sku", "", "rearm only this product")
	return cmd
}

func newRearmStatusCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "rearm-status",
		Short:   "Show remaining rearms and whether a rearm is allowed now",
		Example: "  volact rearm-status\n  volact rearm-status --json",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			out, err := c.RearmStatus()
			if err != nil {
				return err
			}
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"products": out})
				return nil
			}
			if f.Opts.Quiet {
				return nil
			}
			if len(out) == 0 {
				fmt.Fprintln(f.IO.Out, "No product key is installed.")
				return nil
			}
			rows := make([][]string, 0, len(out))
			for _, r := range out {
				allowed := "yes"
				if !r.Allowed {
					allowed = "no: " + r.Reason
				}
				rows = append(rows, []string{r.SKU, strconv.Itoa(r.Remaining), fmt.Sprintf("%d of %d", r.Used, r.Limit), allowed})
			}
			return cmdutil.PrintTable(f.IO, []string{"SKU", "REMAINING", "USED", "ALLOWED NOW"}, rows)
		},
	}
}

func newDcmidCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "dcmid",
		Short:   "Show the client machine id (CMID) of each product (ospp /dcmid)",
		Example: "  volact dcmid",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			ids, err := c.CMIDs()
			if err != nil {
				return err
			}
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"cmids": ids})
				return nil
			}
			skus := make([]string, 0, len(ids))
			for s := range ids {
				skus = append(skus, s)
			}
			sort.Strings(skus)
			l := newLineWriter(f.IO)
			blocks := []func(){}
			for _, s := range skus {
				blocks = append(blocks, func() {
					l.line("SKU ID: %s", s)
					l.line("Client Machine ID (CMID): %s", ids[s])
				})
			}
			if len(blocks) == 0 {
				blocks = append(blocks, func() { l.line("<No installed product keys detected>") })
			}
			l.osppFrame(blocks)
			return nil
		},
	}
}

func newHistoryCmd(f *cmdutil.Factory) *cobra.Command {
	var failures bool
	cmd := &cobra.Command{
		Use:     "history",
		Short:   "Show this machine's activation attempts and failures (ospp /dhistoryacterr)",
		Example: "  volact history\n  volact history --failures --json",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			h, err := c.History()
			if err != nil {
				return err
			}
			if failures || f.Opts.Legacy != "" {
				var keep []client.HistoryEntry
				for _, e := range h {
					if e.Code != hresult.OK.String() {
						keep = append(keep, e)
					}
				}
				h = keep
			}
			if h == nil {
				h = []client.HistoryEntry{}
			}
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"history": h})
				return nil
			}
			rows := make([][]string, 0, len(h))
			for _, e := range h {
				rows = append(rows, []string{e.Time.Format("2006-01-02T15:04:05Z"), e.SKU, e.Action, e.Code, e.Host, e.Message})
			}
			return cmdutil.PrintTable(f.IO, []string{"TIME", "SKU", "ACTION", "CODE", "HOST", "MESSAGE"}, rows)
		},
	}
	cmd.Flags().BoolVar(&failures, "failures", false, "only failed attempts")
	return cmd
}

func newDdescrCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "ddescr [0xCODE]",
		Short:   "Show the text of an error code, or of every code (ospp /ddescr)",
		Example: "  volact ddescr 0xC004F074\n  volact /ddescr:0xC004F074\n  volact ddescr",
		Args:    cmdutil.Args(0, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			codes := hresult.All()
			if len(a) == 1 {
				c, err := hresult.Parse(a[0])
				if err != nil {
					return cmdutil.Invalidf("%v", err)
				}
				if !c.Known() {
					return cmdutil.Invalidf("%s is not a code volact uses", c).WithHint("volact ddescr lists every code")
				}
				codes = []hresult.Code{c}
			}
			if f.Opts.JSON {
				type row struct {
					Code string `json:"code"`
					Text string `json:"text"`
					Exit int    `json:"exit"`
				}
				out := []row{}
				for _, c := range codes {
					out = append(out, row{c.String(), c.Text(), c.Exit()})
				}
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"codes": out})
				return nil
			}
			l := newLineWriter(f.IO)
			for _, c := range codes {
				l.line("ERROR CODE: %s", c)
				l.line("ERROR DESCRIPTION: %s", c.Text())
			}
			return nil
		},
	}
}
