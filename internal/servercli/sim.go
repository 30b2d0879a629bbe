package servercli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/sim"
	"github.com/volact/volact/internal/sim/report"
	"github.com/volact/volact/internal/termsafe"
)

func newSimCmd(f *cmdutil.Factory) *cobra.Command {
	var csvOut bool
	var htmlFile string
	cmd := &cobra.Command{
		Use:   "sim SCENARIO.yaml [--json | --csv] [--html FILE]",
		Short: "Fast-forward a fleet through the licensing rules in virtual time; per-day table, JSON, CSV or an HTML report",
		Long: `Simulate a fleet of volact clients, KMS hosts and the activation service
for days or years of virtual time, with the product's own rules: the
licensing core of the client (grace, notification, renewal, rearm) and the
KMS host's counting code, not a model of them.

The scenario (YAML, strict: an unknown field is an error) names the machine
kinds (product, channel, how many, how often they connect, reimage and
rearm cadence), the KMS hosts (independent or sharing a count), outages of
a host, DNS or the activation service, MAK keys and their sizes, the
number of days and the random seed. scripts/sim/ has examples; the format
is described in the package documentation of internal/sim and in README.

The rules come from the built-in catalog (suite-pro, workstation-ent,
server-std; thresholds 5, 25, 5) or from a signed catalog given with the
global --catalog FILE (VOLACT_CATALOG).

Output: a table of each day (machines licensed, in initial grace, in
out-of-tolerance grace, in notification, per product; each KMS count; MAK
activations left; requests and the busiest second of each host) and the
answers in words. --json prints one JSON document instead, --csv the table
as CSV. --html FILE writes a self-contained report page with charts (no
script, no network). Nothing is written until the run is complete: Ctrl-C
leaves no half-written file.

On a terminal, stderr shows a bar that moves with the simulated days (not
with -q).

Exit status: 0 done; 3 the scenario or the catalog is invalid (one line
naming the file, line and field); 1 interrupted or another failure.`,
		Example: `  volactd sim scripts/sim/host-outage.yaml
  volactd sim scripts/sim/mak-runs-out.yaml --json > result.json
  volactd sim scripts/sim/vpn-laptops.yaml --csv > days.csv
  volactd sim scripts/sim/vpn-laptops.yaml --html report.html -q`,
		Args: cmdutil.Args(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if csvOut && f.Opts.JSON {
				return cmdutil.Usagef("sim: --json and --csv go to stdout; choose one")
			}
			return runSim(f, args[0], csvOut, htmlFile)
		},
	}
	cmd.Flags().BoolVar(&csvOut, "csv", false, "print the per-day table as CSV on stdout")
	cmd.Flags().StringVar(&htmlFile, "html", "", "write a self-contained HTML report with charts to `FILE`")
	return cmd
}

// runSim reads and checks everything first, then simulates, and writes
// only when the run is complete.
func runSim(f *cmdutil.Factory, path string, csvOut bool, htmlFile string) error {
	if err := cmdutil.CheckOutFile("--html", htmlFile); err != nil {
		return err
	}
	cat, err := simCatalog(f)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cmdutil.Invalidf("scenario %s: %v", termsafe.String(path), unwrapPathErr(err))
	}
	sc, err := sim.ParseScenario(path, data, cat)
	if err != nil {
		return cmdutil.Invalidf("%s", err.Error())
	}
	ctx, stop := cmdutil.InterruptContext()
	defer stop()
	bar := newProgress(f.IO, f.Opts.Quiet, int64(sc.Days), fmt.Sprintf("simulating %s machines", humanize.Comma(int64(sc.TotalMachines()))))
	defer bar.Stop()
	began := time.Now()
	res, err := sim.New(sc, cat).Run(ctx, func(int) { bar.Add(1) })
	if err != nil {
		bar.Stop()
		if errors.Is(err, ctx.Err()) {
			return hresult.New(hresult.Internal, "interrupted: nothing was written")
		}
		return err
	}
	bar.Finish()
	var page []byte
	if htmlFile != "" {
		if page, err = report.HTML(res, data); err != nil {
			return err
		}
	}
	var out []byte
	switch {
	case f.Opts.JSON:
		if out, err = res.JSON(); err != nil {
			return err
		}
	case csvOut:
		out = res.CSV()
	}
	if htmlFile != "" {
		if err := cmdutil.WriteOutFile(f.IO.Out, "--html", htmlFile, page, 0o644); err != nil {
			return err
		}
	}
	if out != nil {
		_, err = f.IO.Out.Write(out)
		return err
	}
	return printSim(f, res, time.Since(began))
}

// printSim prints the per-day table and the answers.
func printSim(f *cmdutil.Factory, res *sim.Result, took time.Duration) error {
	rows := make([][]string, len(res.Days))
	for d := range res.Days {
		rows[d] = res.Row(d)
	}
	if !f.Opts.Quiet {
		if err := cmdutil.PrintTable(f.IO, res.Columns(), rows); err != nil {
			return err
		}
		fmt.Fprintln(f.IO.Out)
	}
	for _, a := range res.Answers {
		fmt.Fprintln(f.IO.Out, a)
	}
	if !f.Opts.Quiet {
		md := float64(res.Machines) * float64(len(res.Days))
		fmt.Fprintf(f.IO.ErrOut, "%s machines × %d days in %s (%s machine-days/s)\n", humanize.Comma(int64(res.Machines)), len(res.Days),
			took.Round(time.Millisecond), humanize.Comma(int64(md/max(took.Seconds(), 1e-9))))
	}
	return nil
}

// simCatalog is the catalog whose rules the simulation follows: the signed
// file of --catalog (VOLACT_CATALOG), else the built-in template.
func simCatalog(f *cmdutil.Factory) (*catalog.Catalog, error) {
	path := f.Opts.Catalog
	if path == "" {
		path = f.Getenv("VOLACT_CATALOG")
	}
	if path == "" {
		c := catalog.Template(make(ed25519.PublicKey, ed25519.PublicKeySize), time.Time{})
		return &c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, cmdutil.Invalidf("catalog %s: %v", termsafe.String(path), unwrapPathErr(err))
	}
	return catalog.Parse(data)
}

// unwrapPathErr drops the path of a *os.PathError: messages name it.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
