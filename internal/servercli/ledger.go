package servercli

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/termsafe"
	"github.com/volact/volact/internal/trueup"
)

// ledgerExportLong explains what an export is, for both servers.
const ledgerExportLong = `Write the server's whole transparency log, every answered request as a leaf and
every signed checkpoint, with the certificate of its signing key, for an auditor:
volactd ledger verify checks it offline and prints the true-up. The server must
be stopped (it holds the log locked while it serves). --out - writes to stdout.`

func newKmsLedgerCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "The host's transparency log: export it for an auditor"}
	var dir, out string
	export := &cobra.Command{
		Use:     "export --data DIR --out FILE",
		Short:   "Export the host's transparency log and certificates (volactd ledger verify checks it)",
		Long:    ledgerExportLong,
		Example: "  volactd kms ledger export --data /var/lib/volact-kms --out kms-ledger.txt",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutFile("--out", out); err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := kms.ExportLedger(dir, &buf); err != nil {
				return err
			}
			return cmdutil.WriteOutFile(f.IO.Out, "--out", out, buf.Bytes(), 0o644)
		},
	}
	dataFlag(export, &dir)
	export.Flags().StringVar(&out, "out", "", "file to write (- for stdout; required)")
	_ = export.MarkFlagRequired("out")
	cmd.AddCommand(export)
	return cmd
}

func newMakLedgerCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "The service's transparency log: export it for an auditor"}
	var dir, logDir, out string
	export := &cobra.Command{
		Use:     "export --dir DIR --out FILE",
		Short:   "Export the service's transparency log and certificate (volactd ledger verify checks it)",
		Long:    ledgerExportLong,
		Example: "  volactd mak ledger export --dir auth --out service-ledger.txt",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutFile("--out", out); err != nil {
				return err
			}
			a, err := loadAuthority(f, dir)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := mak.ExportLedger(a, logDir, f.MustNow(), &buf); err != nil {
				return err
			}
			return cmdutil.WriteOutFile(f.IO.Out, "--out", out, buf.Bytes(), 0o644)
		},
	}
	export.Flags().StringVar(&dir, "dir", "", "authority directory (required)")
	export.Flags().StringVar(&logDir, "log", "", "the service's log directory (default DIR/log)")
	export.Flags().StringVar(&out, "out", "", "file to write (- for stdout; required)")
	_ = export.MarkFlagRequired("dir")
	_ = export.MarkFlagRequired("out")
	cmd.AddCommand(export)
	return cmd
}

func newLedgerCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "Check a ledger export offline and print the true-up"}
	var catPath string
	verify := &cobra.Command{
		Use:   "verify FILE [--catalog catalog.json] [--json]",
		Short: "Verify a ledger export (kms|mak ledger export) and print the true-up report",
		Long: `Check a ledger export offline: recompute every Merkle tree from the leaves, check
every checkpoint's signature against the certificate named in the export (chained to
the root of --catalog when given), so that consecutive checkpoints are consistent.
Then print the true-up: per counted group the most distinct machines in any 30-day
window, per MAK key (last 5 characters) the activations spent, per KMS host key group
the hosts certified. A deleted, edited, inserted or reordered leaf, a checkpoint signed
by another key, a cut file: one line naming the first bad index, exit 7.`,
		Example: "  volactd ledger verify kms-ledger.txt --catalog catalog.json\n  volactd ledger verify service-ledger.txt --json",
		Args:    cmdutil.Args(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var cat *catalog.Catalog
			if catPath != "" {
				data, err := os.ReadFile(catPath)
				if err != nil {
					return cmdutil.Invalidf("--catalog %s: %v", termsafe.String(catPath), err)
				}
				if cat, err = catalog.Parse(data); err != nil {
					return err
				}
			}
			file, err := os.Open(args[0])
			if err != nil {
				return cmdutil.Invalidf("cannot open %s: %v", termsafe.String(args[0]), err)
			}
			defer file.Close()
			var rep *trueup.Report
			if cat != nil {
				rep, err = trueup.Verify(file, cat.Root())
			} else {
				rep, err = trueup.Verify(file, nil)
			}
			if err != nil {
				return hresult.From(err)
			}
			return printTrueUp(f, rep)
		},
	}
	verify.Flags().StringVar(&catPath, "catalog", "", "check the certificates against this signed catalog's root")
	cmd.AddCommand(verify)
	return cmd
}

// printTrueUp prints a verified export's report.
func printTrueUp(f *cmdutil.Factory, r *trueup.Report) error {
	return cmdutil.Emit(f, r, func() error { return printTrueUpText(f, r) })
}

// printTrueUpText is the human form of a true-up report.
func printTrueUpText(f *cmdutil.Factory, r *trueup.Report) error {
	w := f.IO.Out
	chained := "not checked against a root (give --catalog)"
	if r.Signer.Chained {
		chained = "chained to the catalog's root"
	}
	fmt.Fprintf(w, "Log %s: %d leaves, %d checkpoints, all verified\n", r.Signer.Origin, r.Leaves, r.Checkpoints)
	fmt.Fprintf(w, "Signer: %s (%s), certificate %s\n", r.Signer.Subject, r.Signer.Role, chained)
	fmt.Fprintf(w, "Newest checkpoint: tree size %d, root %s\n", r.TreeSize, r.RootHash)
	if len(r.Groups) > 0 {
		rows := [][]string{}
		for _, g := range r.Groups {
			rows = append(rows, []string{g.Group, strconv.Itoa(g.MaxMachines), g.WindowEnd.UTC().Format(time.RFC3339),
				strconv.FormatInt(g.Grants, 10), strconv.FormatInt(g.Refusals, 10)})
		}
		if err := cmdutil.PrintTable(f.IO, []string{"GROUP", "MOST MACHINES IN 30 DAYS", "WINDOW END", "GRANTS", "REFUSALS"}, rows); err != nil {
			return err
		}
	}
	if len(r.Keys) > 0 {
		rows := [][]string{}
		for _, k := range r.Keys {
			rows = append(rows, []string{"XXXXX-XXXXX-XXXXX-XXXXX-" + k.KeyLast5, k.SKU, strconv.Itoa(k.Spent),
				strconv.FormatInt(k.Grants, 10), strconv.FormatInt(k.Refusals, 10)})
		}
		if err := cmdutil.PrintTable(f.IO, []string{"KEY", "SKU", "ACTIVATIONS SPENT", "GRANTS", "REFUSALS"}, rows); err != nil {
			return err
		}
	}
	if len(r.Hosts) > 0 {
		rows := [][]string{}
		for _, h := range r.Hosts {
			rows = append(rows, []string{h.Group, strconv.Itoa(h.Hosts)})
		}
		return cmdutil.PrintTable(f.IO, []string{"KMS HOST GROUP", "HOSTS CERTIFIED"}, rows)
	}
	return nil
}
