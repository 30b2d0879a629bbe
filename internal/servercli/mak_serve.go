package servercli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// DBFile is the service's default SQLite database in the authority dir.
const DBFile = "service.db"

// serviceFlags are the flags that say where the service's data is: the
// authority directory and database (offline) or a running service.
type serviceFlags struct {
	dir, db, token, tokenFile string
	allowHTTP                 bool
	flags                     *pflag.FlagSet
}

func (s *serviceFlags) add(cmd *cobra.Command, online bool) {
	cmd.Flags().StringVar(&s.dir, "dir", "", "authority directory")
	cmd.Flags().StringVar(&s.db, "db", "", "database: sqlite:PATH or postgres://... (default: sqlite DIR/"+DBFile+")")
	if online {
		s.addTokenFlags(cmd, "admin token of the service given with --service")
		cmd.Flags().BoolVar(&s.allowHTTP, "allow-http", false, "send the token over plain http:// to a public address")
	}
}

// dsn is the database to open: --db or the SQLite file in the dir.
func (s *serviceFlags) dsn() string {
	if s.db != "" {
		return s.db
	}
	return "sqlite:" + filepath.Join(s.dir, DBFile)
}

// adminAPI returns the admin operations offline (--dir) or against a
// running service (--service, --token). --dir wins when both are given.
func (s *serviceFlags) adminAPI(f *cmdutil.Factory, ctx context.Context) (mak.AdminAPI, func(), error) {
	switch {
	case s.dir != "":
		a, err := loadAuthority(f, s.dir)
		if err != nil {
			return nil, nil, err
		}
		l, err := ledger.Open(ctx, s.dsn(), a.Fingerprint())
		if err != nil {
			return nil, nil, err
		}
		return &mak.Admin{Authority: a, Ledger: l, Now: f.MustNow}, func() { l.Close() }, nil
	case f.Opts.Service != "":
		token, _, err := s.adminToken(f)
		if err != nil {
			return nil, nil, err
		}
		return &mak.ServiceClient{URL: f.Opts.Service, Token: token, AllowHTTP: s.allowHTTP}, func() {}, nil
	}
	return nil, nil, &cmdutil.UsageError{Err: errors.New("give --dir DIR (offline) or --service URL with --token-file FILE or VOLACT_TOKEN (a running service)")}
}

// withAdmin runs fn with the admin API the flags name, under a context
// that Ctrl-C cancels, and closes the API after it.
func (s *serviceFlags) withAdmin(f *cmdutil.Factory, fn func(ctx context.Context, api mak.AdminAPI) error) error {
	ctx, stop := cmdutil.InterruptContext()
	defer stop()
	api, done, err := s.adminAPI(f, ctx)
	if err != nil {
		return err
	}
	defer done()
	return fn(ctx, api)
}

func newMakServeCmd(f *cmdutil.Factory) *cobra.Command {
	var sf serviceFlags
	var vf velocityFlags
	var listen, addrFile, certFile, keyFile, logFormat, logDir string
	var allowHTTP bool
	cmd := &cobra.Command{
		Use:   "serve --dir DIR [--listen ADDR] [--db URL]",
		Short: "Run the activation service (MAK, KMS host keys, proxy exchange, admin API)",
		Long: `Run the online activation service of the authority in DIR.

Counts are kept in DIR/` + DBFile + ` (SQLite) unless --db postgres://... names a
PostgreSQL database, which several service replicas can share. The ledger
must exist and belong to this authority: volactd mak init creates it, and
nothing else does. A missing, empty, damaged or foreign database, or the
ledger of another authority, is refused (exit 7) rather than started afresh,
which would reset every count and block. The schema is brought up to date at
start.

The admin API (mak mint/block/remaining --service URL) needs a bearer token:
--token-file FILE, VOLACT_TOKEN, or the content of DIR/admin.token, which is
created (random, mode 0600) at the first start. (--token T still works but is
deprecated: a command line is visible to every user of the machine.)

MAK keys travel in activation requests: outside loopback, serve TLS
(--tls-cert, --tls-key), or pass --allow-http behind a TLS-terminating proxy.

--velocity-limit N/h counts the new activations of each MAK per clock hour:
the one past N records a velocity_limit event (mak events, /metrics) and is
activated; with --velocity-block it is refused with 0xC004C003 and the key
stays blocked until volactd mak unblock KEY.

SIGINT and SIGTERM stop the service gracefully.

Every answer is a leaf of the service's transparency log (DIR/log, signed with
DIR/service.key). Replicas on one --db each need their own --log directory, which
holds the replica's own signing key: two replicas must never sign two histories
under one key.`,
		Example: "  volactd mak serve --dir /var/lib/volact-service --listen 127.0.0.1:8080\n" +
			"  volactd mak serve --dir D --listen :443 --tls-cert cert.pem --tls-key key.pem --db postgres://volact@db/volact",
		Args: cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (certFile == "") != (keyFile == "") {
				return &cmdutil.UsageError{Err: errors.New("--tls-cert and --tls-key go together")}
			}
			if certFile == "" && !allowHTTP && !httpserve.Loopback(listen) {
				return cmdutil.Invalidf("refusing to serve plain HTTP on %s: MAK keys travel in requests", listen).
					WithHint("serve TLS with --tls-cert and --tls-key, listen on 127.0.0.1, or pass --allow-http behind a TLS proxy")
			}
			log, err := newLogger(f.IO.ErrOut, logFormat)
			if err != nil {
				return err
			}
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			a, err := loadAuthority(f, sf.dir)
			if err != nil {
				return err
			}
			token, tokenFrom, err := sf.adminToken(f)
			if err != nil {
				return err
			}
			if token == "" {
				var created bool
				if token, tokenFrom, created, err = httpserve.LoadOrCreateToken(sf.dir); err != nil {
					return hresult.Wrap(hresult.Internal, err, "admin token")
				} else if created {
					log.Info("created the admin token", "file", tokenFrom)
				}
			}
			vel, err := vf.velocity()
			if err != nil {
				return err
			}
			l, err := ledger.Open(ctx, sf.dsn(), a.Fingerprint())
			if err != nil {
				return err
			}
			defer l.Close()
			l.SetVelocity(vel)
			srv, err := mak.New(a, l, mak.Options{Now: f.MustNow, Logger: log, AdminToken: token, LogDir: logDir})
			if err != nil {
				return err
			}
			defer srv.Close()
			var ln net.Listener
			if certFile != "" {
				ln, err = httpserve.ListenTLS(listen, certFile, keyFile)
			} else {
				ln, err = httpserve.Listen(listen)
			}
			if err != nil {
				return err
			}
			url := "http://" + ln.Addr().String()
			if certFile != "" {
				url = "https://" + ln.Addr().String()
			}
			log.Info("activation service listening", "url", url, "database", l.Backend(), "admin_token", tokenFrom)
			if err := writeAddrFile(addrFile, url, ln); err != nil {
				return err
			}
			if err := srv.Serve(ctx, ln); err != nil {
				return hresult.Wrap(hresult.ServiceFailure, err, "the activation service stopped")
			}
			log.Info("stopped")
			return nil
		},
	}
	sf.add(cmd, false)
	sf.addTokenFlags(cmd, "admin token (default: DIR/admin.token, created at the first start)")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	cmd.Flags().StringVar(&addrFile, "addr-file", "", "write the service's URL to this file once listening")
	cmd.Flags().StringVar(&certFile, "tls-cert", "", "TLS certificate file (PEM)")
	cmd.Flags().StringVar(&keyFile, "tls-key", "", "TLS private key file (PEM)")
	cmd.Flags().BoolVar(&allowHTTP, "allow-http", false, "serve plain HTTP on a non-loopback address")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json")
	vf.add(cmd)
	cmd.Flags().StringVar(&logDir, "log", "", "transparency log directory, with this replica's own signing key (default: DIR/log with DIR/service.key); every replica on one --db needs its own")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, cmdutil.Invalidf("--log-format %q: want text or json", format)
}

// keyStatusLine is the human form of a key's count.
func keyStatusLine(key string, st mak.KeyStatus) string {
	s := fmt.Sprintf("%s: %d of %d remaining (%d used)", productkey.Redact(key), st.Remaining, st.Limit, st.Used)
	if st.Blocked {
		s += ", blocked"
	}
	return s
}

// newKeyAdminCmd builds mak block and mak remaining: op on one key.
func newKeyAdminCmd(f *cmdutil.Factory, use, short, long string, op func(mak.AdminAPI, context.Context, string) (mak.KeyStatus, error)) *cobra.Command {
	var sf serviceFlags
	cmd := &cobra.Command{
		Use:   use + " KEY (--dir DIR | --service URL --token-file F)",
		Short: short,
		Long:  long,
		Example: "  volactd mak " + use + " BCDFG-HJKMP-QRTVW-XY234-6789B --dir /var/lib/volact-service\n" +
			"  volactd mak " + use + " BCDFG-HJKMP-QRTVW-XY234-6789B --service https://act.example.com --token-file admin.token --json",
		Args: cmdutil.Args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return sf.withAdmin(f, func(ctx context.Context, api mak.AdminAPI) error {
				st, err := op(api, ctx, a[0])
				if err != nil {
					return err
				}
				switch {
				case f.Opts.JSON:
					cmdutil.WriteJSON(f.IO.Out, st)
				case !f.Opts.Quiet:
					fmt.Fprintln(f.IO.Out, keyStatusLine(a[0], st))
				}
				return nil
			})
		},
	}
	sf.add(cmd, true)
	return cmd
}

func newMakBlockCmd(f *cmdutil.Factory) *cobra.Command {
	return newKeyAdminCmd(f, "block", "Block a MAK, retail or KMS host key (a leaked one)",
		`Block a key: every later activation with it is refused with 0xC004C003,
re-activations of machines it activated before included. A blocked KMS host
key certifies no host. Works offline on the authority's database (--dir) or
against a running service (--service URL --token-file F).`, mak.AdminAPI.Block)
}

func newMakRemainingCmd(f *cmdutil.Factory) *cobra.Command {
	return newKeyAdminCmd(f, "remaining", "Show how many activations of a key are left",
		`Show a key's count: activations used and left (hosts, for a KMS host key)
and whether it is blocked. --json prints {"used","limit","remaining","blocked"}.`, mak.AdminAPI.Remaining)
}

func newMakProxyCmd(f *cmdutil.Factory) *cobra.Command {
	var out string
	var allowHTTP bool
	cmd := &cobra.Command{
		Use:   "proxy --service URL REQUEST",
		Short: "Exchange an installation request (dinstid) for a confirmation (actcid)",
		Long: `Proxy activation for machines without network, on a connected machine:
send the installation request that 'volact dinstid' printed on the offline
machine (REQUEST is that VA1-... text, a file holding it, or - for stdin) and
print the confirmation (VC1-...) alone on one line. Apply it on the offline
machine with 'volact actcid'. The request carries the MAK: treat it as the key.`,
		Example: "  volactd mak proxy --service https://act.example.com request.txt > confirmation.txt",
		Args:    cmdutil.Args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := cmdutil.CheckOutFile("--out", out); err != nil {
				return err // before the exchange, which spends an activation
			}
			req, err := cmdutil.TextOrFile(f, a[0], protocol.RequestPrefix)
			if err != nil {
				return err
			}
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			conf, err := (&mak.ServiceClient{URL: f.Opts.Service, AllowHTTP: allowHTTP}).Proxy(ctx, req)
			if err != nil {
				return err
			}
			return cmdutil.EmitText(f, "", conf, out, 0o644, "confirmation")
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "also write the confirmation to FILE (a regular file, or - for stdout)")
	cmd.Flags().BoolVar(&allowHTTP, "allow-http", false, "send the request (it holds the MAK) over plain http:// to a public address")
	return cmd
}
