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
				return emit(f, nil, err)
			}
			return emit(f, rearmView(out), nil)
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
			return emit(f, rearmStatusView(out), nil)
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
			return emit(f, cmidView(ids), nil)
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
			if failures || f.Opts.Legacy != "" { // ospp /dhistoryacterr: failures only
				h = client.Failures(h)
			}
			return emit(f, historyView(h), nil)
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
			return emit(f, codesView(codes), nil)
		},
	}
}

// rearmView is the products rearmed.
type rearmView []client.RearmInfo

func (v rearmView) jsonValue() any { return map[string]any{"products": []client.RearmInfo(v)} }

// ospp is what slmgr /rearm printed; ospp had no rearm and says the same.
func (v rearmView) ospp(l *lineWriter) error { return v.slmgr(l) }

func (v rearmView) slmgr(l *lineWriter) error {
	l.line("Command completed successfully.")
	return nil
}

func (v rearmView) human(l *lineWriter) error {
	for _, r := range v {
		fmt.Fprintf(l.io.Out, "Rearmed %s: grace reset, new CMID, %d rearm(s) left.\n", r.SKU, r.Remaining)
	}
	return nil
}

// rearmStatusView is the rearms left per product.
type rearmStatusView []client.RearmInfo

func (v rearmStatusView) jsonValue() any {
	return map[string]any{"products": []client.RearmInfo(v)}
}

func (v rearmStatusView) human(l *lineWriter) error {
	if len(v) == 0 {
		fmt.Fprintln(l.io.Out, "No product key is installed.")
		return nil
	}
	rows := make([][]string, 0, len(v))
	for _, r := range v {
		allowed := "yes"
		if !r.Allowed {
			allowed = "no: " + r.Reason
		}
		rows = append(rows, []string{r.SKU, strconv.Itoa(r.Remaining), fmt.Sprintf("%d of %d", r.Used, r.Limit), allowed})
	}
	return l.table([]string{"SKU", "REMAINING", "USED", "ALLOWED NOW"}, rows)
}

// cmidView is the CMID of each product by SKU, shown as ospp /dcmid (its
// human form too).
type cmidView map[string]string

func (v cmidView) jsonValue() any { return map[string]any{"cmids": map[string]string(v)} }

func (v cmidView) human(l *lineWriter) error {
	skus := make([]string, 0, len(v))
	for s := range v {
		skus = append(skus, s)
	}
	sort.Strings(skus)
	blocks := []func(){}
	for _, s := range skus {
		blocks = append(blocks, func() {
			l.line("SKU ID: %s", s)
			l.line("Client Machine ID (CMID): %s", v[s])
		})
	}
	if len(blocks) == 0 {
		blocks = append(blocks, func() { l.line("<No installed product keys detected>") })
	}
	l.osppFrame(blocks)
	return nil
}

// historyView is the activation attempts, oldest first.
type historyView []client.HistoryEntry

func (v historyView) jsonValue() any {
	h := []client.HistoryEntry(v)
	if h == nil {
		h = []client.HistoryEntry{}
	}
	return map[string]any{"history": h}
}

func (v historyView) human(l *lineWriter) error {
	rows := make([][]string, 0, len(v))
	for _, e := range v {
		rows = append(rows, []string{e.Time.Format("2006-01-02T15:04:05Z"), e.SKU, e.Action, e.Code.String(), e.Host, e.Message})
	}
	return l.table([]string{"TIME", "SKU", "ACTION", "CODE", "HOST", "MESSAGE"}, rows)
}

// codesView is error codes with their text (ddescr).
type codesView []hresult.Code

// codeJSON is one code in ddescr --json.
type codeJSON struct {
	Code hresult.Code `json:"code"`
	Text string       `json:"text"`
	Exit int          `json:"exit"`
}

func (v codesView) jsonValue() any {
	out := []codeJSON{}
	for _, c := range v {
		out = append(out, codeJSON{c, c.Text(), c.Exit()})
	}
	return map[string]any{"codes": out}
}

func (v codesView) human(l *lineWriter) error {
	for _, c := range v {
		l.line("ERROR CODE: %s", c)
		l.line("ERROR DESCRIPTION: %s", c.Text())
	}
	return nil
}
