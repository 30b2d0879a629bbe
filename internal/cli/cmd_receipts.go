package cli

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
)

func newReceiptsCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "receipts",
		Short: "Show the transparency log checkpoints this machine kept and the leaf of each grant, for an auditor",
		Long: `Show, for an auditor, what this machine can prove about the servers' transparency
logs: the newest checkpoint it saw of each log (a KMS host's, the activation
service's), and for each stored grant its leaf index and the size of the tree
its receipt proves it in. A server's export (volactd ledger verify) must
extend every checkpoint shown here; --json prints the signed checkpoints.`,
		Example: "  volact receipts\n  volact receipts --json",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			r, err := c.Receipts()
			if err != nil {
				return err
			}
			return emit(f, receiptsView(r), nil)
		},
	}
}

// receiptsView is the kept checkpoints and the grants' receipts.
type receiptsView client.LogReceipts

func (v receiptsView) jsonValue() any { return client.LogReceipts(v) }

func (v receiptsView) human(l *lineWriter) error {
	rows := make([][]string, 0, len(v.Logs))
	for _, c := range v.Logs {
		rows = append(rows, []string{c.Origin, c.Subject, strconv.FormatInt(c.TreeSize, 10), c.RootHash, c.SeenAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	if err := l.table([]string{"LOG", "SIGNER", "TREE SIZE", "ROOT HASH", "SEEN"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, g := range v.Grants {
		if g.Signed {
			rows = append(rows, []string{g.SKU, "(signed before the log)", "-", "-"})
			continue
		}
		rows = append(rows, []string{g.SKU, g.Origin, strconv.FormatInt(g.LeafIndex, 10), strconv.FormatInt(g.TreeSize, 10)})
	}
	l.line("")
	return l.table([]string{"SKU", "LOG", "LEAF", "TREE SIZE"}, rows)
}
