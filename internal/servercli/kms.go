package servercli

import (
	"fmt"
	"net/netip"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/discovery"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/machineid"
)

func newKmsCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kms",
		Short: "The KMS host: install and activate a host key, serve clients, counts and history",
		Long: `Run a KMS host for a site. Set-up, once:

  volactd kms install-key HOSTKEY --data DIR --catalog catalog.json
  volactd kms activate --data DIR --service URL
  volactd kms serve --data DIR

The catalog (thresholds, products of each counted group) is the activation
service's signed catalog; install-key copies it into DIR, so it is needed
only the first time (global --catalog or VOLACT_CATALOG). One host process
owns a data directory: install-key, activate and set refuse while it serves
(exit 7); status and history work at any time.`,
	}
	cmd.AddCommand(newKmsInstallKeyCmd(f), newKmsActivateCmd(f), newKmsServeCmd(f), newKmsStatusCmd(f),
		newKmsHistoryCmd(f), newKmsSetCmd(f), newKmsBenchCmd(f), newKmsEventsCmd(f),
		newKmsLedgerCmd(f), newKmsInitDBCmd(f), newKmsReportCmd(f))
	guardHostOverrides(f, cmd)
	return cmd
}

// dataFlag adds the required --data flag.
func dataFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "data", "", "KMS host data directory (env VOLACT_DATA; required)")
	_ = cmd.MarkFlagRequired("data")
}

func newKmsInstallKeyCmd(f *cmdutil.Factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:         "install-key KEY --data DIR",
		Short:       "Install a KMS host key (replaces the key of the same group)",
		Example:     "  volactd kms install-key XXXXX-XXXXX-XXXXX-XXXXX-XXXXX --data /var/lib/volact-kms --catalog catalog.json",
		Args:        cmdutil.Args(1, 1),
		Annotations: map[string]string{ownOverrideCheck: "the catalog being installed"},
		RunE: func(cmd *cobra.Command, a []string) error {
			var catData []byte
			if f.Opts.Catalog != "" {
				var err error
				if catData, err = os.ReadFile(f.Opts.Catalog); err != nil {
					return hresult.Wrap(hresult.CatalogInvalid, err, "cannot read catalog")
				}
			}
			if err := checkHostOverrides(f, dir, catData); err != nil {
				return err
			}
			k, err := kms.InstallKey(dir, a[0], catData, f.MustNow())
			if err != nil {
				return err
			}
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, k)
			} else if !f.Opts.Quiet {
				fmt.Fprintf(f.IO.Out, "Installed KMS host key %s for group %s.\nActivate it: volactd kms activate --data %s --service URL\n", k.Last5, k.Group, dir)
			}
			return nil
		},
	}
	dataFlag(cmd, &dir)
	return cmd
}

func newKmsActivateCmd(f *cmdutil.Factory) *cobra.Command {
	var dir string
	var allowHTTP bool
	cmd := &cobra.Command{
		Use:   "activate --data DIR --service URL",
		Short: "Activate the installed host keys against the activation service (host certificate)",
		Long: `Create the host's Ed25519 key (DIR/host.key, 0600) on first use, send its
public key with each installed host key to the activation service, and store
the certificates the service returns. A host key activates at most 6 hosts,
each at most 10 times.`,
		Example: "  volactd kms activate --data /var/lib/volact-kms --service https://activation.example.com",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			hostID, err := machineid.ID(f.Getenv("VOLACT_MACHINE_ID"))
			if err != nil {
				return err
			}
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			hc, err := hostKeyClient(ctx, f.Opts.Service, allowHTTP)
			if err != nil {
				return err
			}
			keys, err := kms.ActivateHost(ctx, dir, f.Opts.Service, hostID, hc, f.MustNow())
			if err != nil {
				return err
			}
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"host_keys": keys})
			} else if !f.Opts.Quiet {
				for _, k := range keys {
					fmt.Fprintf(f.IO.Out, "Host key %s activated for group %s.\n", k.Last5, k.Group)
				}
			}
			return nil
		},
	}
	dataFlag(cmd, &dir)
	cmd.Flags().BoolVar(&allowHTTP, "allow-http", false, "send the host keys over plain http:// to a public address")
	return cmd
}

func newKmsServeCmd(f *cmdutil.Factory) *cobra.Command {
	var dir, listen, allow, addrFile, name, logFormat, dsn, cpuProfile string
	cmd := &cobra.Command{
		Use:   "serve --data DIR [--listen ADDR] [--allow CIDR,...] [--db postgres://...]",
		Short: "Serve KMS clients (POST /v1/kms/activate, /healthz, /metrics)",
		Long: `Serve KMS clients on ADDR (default: every interface on the port set with
kms set --port, 1688). Only loopback, private (RFC 1918, RFC 4193) and
link-local addresses are answered unless --allow lists the networks to
answer instead: never expose a KMS host to the Internet.
SIGINT and SIGTERM stop the host gracefully.

--db postgres://... shares the count with the site's other hosts: every
host on that database (set up once with kms init-db) counts the CMIDs that
any of them saw in the last 30 days, and writes its history there. Each
host keeps answering from its own journal while the database is away
(/healthz says degraded) and catches up when it returns.`,
		Example: "  volactd kms serve --data /var/lib/volact-kms\n  volactd kms serve --data D --listen 10.0.0.5:1688 --allow 10.0.0.0/8",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var nets []netip.Prefix
			if allow != "" {
				var err error
				if nets, err = kms.ParseAllow(allow); err != nil {
					return err
				}
			}
			log, err := newLogger(f.IO.ErrOut, logFormat)
			if err != nil {
				return err
			}
			hostID, err := machineid.ID(f.Getenv("VOLACT_MACHINE_ID"))
			if err != nil {
				return err
			}
			h, err := kms.Open(kms.Options{Dir: dir, Now: f.MustNow, Name: name, Logger: log, HostID: hostID, DB: dsn})
			if err != nil {
				return err
			}
			defer h.Close()
			if cpuProfile != "" {
				stopProfile, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stopProfile()
			}
			if listen == "" {
				listen = ":" + strconv.Itoa(h.Settings().Port)
			}
			// Catch SIGINT/SIGTERM before anyone learns the address: a
			// signal sent as soon as the --addr-file appears stops the host
			// gracefully instead of killing it.
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			ln, err := httpserve.Listen(listen)
			if err != nil {
				return err
			}
			if err := writeAddrFile(addrFile, ln.Addr().String(), ln); err != nil {
				return err
			}
			if err := h.Serve(ctx, ln, nets); err != nil {
				return hresult.Wrap(hresult.ServiceFailure, err, "the KMS host stopped")
			}
			log.Info("stopped")
			return nil
		},
	}
	dataFlag(cmd, &dir)
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on (default :PORT from kms set, 1688; port 0 picks a free one)")
	cmd.Flags().StringVar(&allow, "allow", "", "answer only these networks, CIDR,... (default: loopback, private and link-local)")
	cmd.Flags().StringVar(&addrFile, "addr-file", "", "write host:port to this file once listening")
	cmd.Flags().StringVar(&name, "name", "", "host name put in grants (default: the system host name)")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json")
	dbFlag(f, cmd, &dsn)
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the serving host to this file")
	_ = cmd.Flags().MarkHidden("cpuprofile")
	return cmd
}

// startCPUProfile starts a pprof CPU profile into path; the returned
// function stops it and closes the file.
func startCPUProfile(path string) (func(), error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, hresult.Wrap(hresult.InvalidArg, err, "cannot create the CPU profile "+path)
	}
	if err := pprof.StartCPUProfile(fh); err != nil {
		fh.Close()
		return nil, hresult.Wrap(hresult.Internal, err, "cannot start the CPU profile")
	}
	return func() { pprof.StopCPUProfile(); fh.Close() }, nil
}

func newKmsStatusCmd(f *cmdutil.Factory) *cobra.Command {
	var dir, domain, hostname, dsn string
	cmd := &cobra.Command{
		Use:     "status --data DIR [--db postgres://...] [--json]",
		Short:   "Show per group the threshold, current count and clients seen, and the SRV record to publish",
		Example: "  volactd kms status --data /var/lib/volact-kms\n  volactd kms status --data D --json --domain corp.example.com",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := kms.ReadSharedStatus(dir, dsn, f.MustNow())
			if err != nil {
				return err
			}
			d, h := srvNames(domain, hostname)
			srv := kms.SRVRecord(d, h, st.Settings.Port)
			if f.Opts.JSON {
				cmdutil.WriteJSON(f.IO.Out, struct {
					*kms.Status
					SRVRecord string `json:"srv_record"`
				}{st, srv})
				return nil
			}
			if f.Opts.Quiet {
				return nil
			}
			rows := [][]string{}
			for _, g := range st.Groups {
				rows = append(rows, []string{g.Group, strconv.Itoa(g.Threshold), strconv.Itoa(g.CurrentCount), strconv.Itoa(g.ClientsSeen), yesNo(g.Served)})
			}
			if err := cmdutil.PrintTable(f.IO, []string{"GROUP", "THRESHOLD", "CURRENT COUNT", "CLIENTS SEEN (30 DAYS)", "SERVED"}, rows); err != nil {
				return err
			}
			for _, k := range st.Keys {
				state := "not activated: run volactd kms activate"
				if k.Activated {
					state = "activated " + k.ActivatedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(f.IO.Out, "Host key %s (group %s): %s\n", k.Last5, k.Group, state)
			}
			s := st.Settings
			fmt.Fprintf(f.IO.Out, "Activation interval: %d minutes\nRenewal interval: %d minutes\nPort: %d\nHistory retention: %s\nNew CMID limit per network: %s\n",
				s.ActivationInterval, s.RenewalInterval, s.Port, kms.FormatRetention(s.HistoryRetention), kms.FormatRate(s.NewCMIDLimit))
			if l := st.Log; l != nil {
				fmt.Fprintf(f.IO.Out, "Transparency log: %d leaves, checkpoint of tree size %d, root %s\n", l.Size, l.TreeSize, l.RootHash)
			}
			printShared(f, st.Shared)
			fmt.Fprintf(f.IO.Out, "Publish this host in DNS:\n%s\n", srv)
			return nil
		},
	}
	dataFlag(cmd, &dir)
	dbFlag(f, cmd, &dsn)
	cmd.Flags().StringVar(&domain, "domain", "", "DNS domain for the SRV record (default: from the host name or the search list)")
	cmd.Flags().StringVar(&hostname, "hostname", "", "host name for the SRV record (default: the system host name)")
	return cmd
}

// srvNames picks the domain and host name of the SRV record to publish.
func srvNames(domain, host string) (string, string) {
	if host == "" {
		host, _ = os.Hostname()
	}
	if domain == "" {
		if i := strings.IndexByte(host, '.'); i > 0 {
			domain = host[i+1:]
		} else if ds := discovery.SystemDomains(); len(ds) > 0 {
			domain = ds[0]
		} else {
			domain = "YOUR-DOMAIN"
		}
	}
	if !strings.Contains(host, ".") && domain != "YOUR-DOMAIN" {
		host += "." + domain
	}
	return domain, host
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func newKmsHistoryCmd(f *cmdutil.Factory) *cobra.Command {
	var dir, format, since, dsn string
	cmd := &cobra.Command{
		Use:   "history --data DIR [--db postgres://...] [--format csv|json] [--since T]",
		Short: "Export the activation history (time, CMID, group, SKU, result, count)",
		Long: `Export every activation request the host answered and still keeps (see
kms set --history-retention): as CSV with a header line, or JSON. --since
takes an RFC 3339 time, a date (2006-01-02) or a duration back from now (72h).
When stdout is redirected and stderr is a terminal, stderr shows the bytes
written so far (not with -q).

--db postgres://... (or VOLACT_KMS_DB) exports the site's shared history
instead: every request any host of the site answered, each once, with the
columns (JSON fields) host and host_id after the others. The requests other
hosts answered and have not shipped yet (kms status --db shows each host's
last contact) come once they ship; those of the host in DIR are included.`,
		Example: "  volactd kms history --data D --format csv > kms-history.csv\n  volactd kms history --data D --format json --since 168h\n  VOLACT_KMS_DB=postgres://kms:secret@db/volact_kms volactd kms history --data D > site-history.csv",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Opts.JSON && !cmd.Flags().Changed("format") {
				format = kms.FormatJSON
			}
			from, err := parseSince(since, f.MustNow())
			if err != nil {
				return err
			}
			// A bar only when stdout goes elsewhere (a file, a pipe), never
			// mixed into the export on the same terminal.
			bar := newByteProgress(f.IO, f.Opts.Quiet || f.IO.IsStdoutTTY(), "exporting history")
			defer bar.Stop()
			if dsn == "" {
				err = kms.WriteHistory(bar.Writer(f.IO.Out), dir, format, from)
			} else {
				ctx, stop := cmdutil.InterruptContext()
				defer stop()
				err = kms.WriteSharedHistory(ctx, bar.Writer(f.IO.Out), dir, dsn, format, from)
			}
			if err != nil {
				return err
			}
			bar.Finish()
			return nil
		},
	}
	dataFlag(cmd, &dir)
	cmd.Flags().StringVar(&format, "format", kms.FormatCSV, "csv or json")
	cmd.Flags().StringVar(&since, "since", "", "only requests at or after this time (RFC 3339, date, or a duration ago)")
	dbFlag(f, cmd, &dsn)
	return cmd
}

// parseSince reads --since; "" is the beginning of time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Unix(0, 0), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, cmdutil.Invalidf("--since %q is not an RFC 3339 time, a date or a duration such as 72h", s)
}
