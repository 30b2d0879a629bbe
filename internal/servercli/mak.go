package servercli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/productkey"
)

func newMakCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mak",
		Short: "The activation service: authority, MAK keys, host keys, proxy activation",
	}
	cmd.AddCommand(newMakInitCmd(f), newMakMintCmd(f), newMakServeCmd(f), newMakBlockCmd(f), newMakRemainingCmd(f), newMakProxyCmd(f),
		newMakUnblockCmd(f), newMakEventsCmd(f),
		newMakLedgerCmd(f), newMakHostsCmd(f))
	return cmd
}

func newMakInitCmd(f *cmdutil.Factory) *cobra.Command {
	var sf serviceFlags
	var overrides string
	cmd := &cobra.Command{
		Use:   "init --dir DIR [--db URL] [--allow-overrides clock,machine-id]",
		Short: "Create an authority (root key, signed catalog) and its ledger",
		Long: `Create an authority: its Ed25519 root key (DIR/root.key, mode 0600), the
signed catalog (DIR/catalog.json) that clients install and pin, and its
ledger, the database of counts and blocks: DIR/` + DBFile + ` (SQLite, mode 0600),
or the PostgreSQL database given with --db, which must be empty. The ledger
records the authority's root; no other command creates a ledger, and none
uses the ledger of another root.

On a DIR that already holds an authority, init with --db sets up that
authority's ledger in the database given (a new PostgreSQL database for
replicas, or a ledger lost and to be started afresh) and nothing else.

--allow-overrides writes into the signed catalog which test and container
knobs clients and servers of this authority honour: clock (VOLACT_CLOCK_OFFSET
moves the clock) and machine-id (VOLACT_MACHINE_ID replaces the hardware id).
Without it, setting either variable is refused (exit 3): they are the
vendor's decision, not the user's.`,
		Example: "  volactd mak init --dir /var/lib/volact-service\n" +
			"  volactd mak init --dir ./test-authority --allow-overrides clock,machine-id\n" +
			"  volactd mak init --dir /var/lib/volact-service --db postgres://volact@db/volact",
		Args: cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			allowed, err := catalog.ParseOverrides(overrides)
			if err != nil {
				return err
			}
			ledgerOnly := sf.db != "" && authority.Exists(sf.dir)
			var a *authority.Authority
			if ledgerOnly {
				if overrides != "" {
					return cmdutil.Invalidf("--allow-overrides: %s already holds an authority, whose catalog is signed", sf.dir)
				}
				a, err = loadAuthority(f, sf.dir)
			} else if err = checkInitOverrides(f, allowed); err == nil {
				a, err = authority.Init(sf.dir, f.MustNow(), authority.AllowOverrides(allowed...))
			}
			if err != nil {
				return err
			}
			ctx, stop := cmdutil.InterruptContext()
			defer stop()
			l, err := ledger.Create(ctx, sf.dsn(), a.Fingerprint())
			if err != nil {
				return err
			}
			where := l.Where()
			l.Close()
			path := filepath.Join(a.Dir, authority.CatalogFile)
			switch {
			case f.Opts.JSON:
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"dir": a.Dir, "catalog": path, "root_fingerprint": a.Fingerprint(),
					"allow_overrides": a.Catalog.Policy.AllowOverrides, "ledger": where})
			case f.Opts.Quiet:
			case ledgerOnly:
				fmt.Fprintf(f.IO.Out, "Ledger of the authority in %s (root %s) set up in the %s.\n", a.Dir, a.Fingerprint(), where)
			default:
				fmt.Fprintf(f.IO.Out, "Authority created in %s (root %s).\nLedger: %s.\nPublish %s to clients: volact catalog install %s\n",
					a.Dir, a.Fingerprint(), where, path, path)
			}
			return nil
		},
	}
	sf.add(cmd, false)
	cmd.Flags().StringVar(&overrides, "allow-overrides", "", "test/container knobs clients may honour: clock, machine-id (comma-separated)")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

// mintedKey is the --json shape of mak mint.
type mintedKey struct {
	Key         string `json:"key"`
	Type        string `json:"type"`
	SKU         string `json:"sku"`
	Activations int    `json:"activations"`
}

func newMakMintCmd(f *cmdutil.Factory) *cobra.Command {
	var sf serviceFlags
	var typ, sku, out string
	var activations, count int
	cmd := &cobra.Command{
		Use:   "mint (--dir DIR | --service URL --token-file F) --type mak|kms-host|kms-client|retail --sku SKU [--activations N] [--count N [--out FILE]]",
		Short: "Mint a product key and print it alone on one line",
		Long: `Mint a product key with the authority in DIR, or through a running service's
admin API (--service URL --token-file F), and print it alone on one line (--count N:
N keys, one a line). --out FILE writes the keys into FILE (mode 0600) instead
and prints only how many were minted; on a terminal a progress bar shows on
stderr (not with -q). A MAK carries its activation limit (--activations, default
50; the volume licensing tiers are 50, 100, 250, 500, 750, 1000, 2500, 5000).
For kms-client it prints the catalog's published KMS client key of that SKU.
A KMS host key activates at most 6 hosts, each at most 10 times.`,
		Example: "  volactd mak mint --dir D --type mak --sku suite-pro --activations 250\n" +
			"  volactd mak mint --dir D --type kms-host --sku workstation-ent\n" +
			"  volactd mak mint --service https://act.example.com --token-file admin.token --type mak --sku suite-pro --count 10\n" +
			"  volactd mak mint --dir D --type mak --sku suite-pro --count 5000 --out keys.txt",
		Args: cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := productkey.ParseType(typ)
			if err != nil {
				return cmdutil.Invalidf("--type %q: want mak, kms-host, kms-client or retail", typ)
			}
			if t != productkey.MAK {
				if cmd.Flags().Changed("activations") {
					return cmdutil.Invalidf("--activations applies only to --type mak")
				}
				activations = 0
			}
			if count < 1 || count > maxBulkMint {
				return cmdutil.Invalidf("--count %d: want 1 to %d", count, maxBulkMint)
			}
			if t == productkey.KMSClient {
				count = 1 // one published key per SKU
			}
			if out == cmdutil.Stdout {
				out = "" // the keys go to stdout as without --out
			}
			if err := cmdutil.CheckOutFile("--out", out); err != nil {
				return err // before minting
			}
			if out != "" {
				if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
					return cmdutil.Invalidf("--out %s: its directory does not exist", out)
				}
			}
			var api mak.AdminAPI
			if sf.dir != "" { // minting needs no database
				a, err := loadAuthority(f, sf.dir)
				if err != nil {
					return err
				}
				api = &mak.Admin{Authority: a, Now: f.MustNow}
			} else if api, _, err = sf.adminAPI(f, context.Background()); err != nil {
				return err
			}
			res, err := mintBatches(f, api, mak.MintRequest{Type: t.String(), SKU: sku, Activations: activations}, count)
			if err != nil {
				return err
			}
			if out != "" {
				return writeMinted(f, out, res)
			}
			keys := make([]mintedKey, len(res))
			for i, k := range res {
				keys[i] = mintedKey{Key: k, Type: t.String(), SKU: sku, Activations: activations}
			}
			switch {
			case f.Opts.JSON && len(keys) == 1:
				cmdutil.WriteJSON(f.IO.Out, keys[0])
			case f.Opts.JSON:
				cmdutil.WriteJSON(f.IO.Out, map[string]any{"keys": keys})
			default:
				for _, k := range keys {
					fmt.Fprintln(f.IO.Out, k.Key)
				}
			}
			return nil
		},
	}
	sf.add(cmd, true)
	cmd.Flags().StringVar(&typ, "type", "", "key type: mak, kms-host, kms-client or retail (required)")
	cmd.Flags().StringVar(&sku, "sku", "", "product SKU from the catalog (required)")
	cmd.Flags().IntVar(&activations, "activations", 50, "MAK activation limit")
	cmd.Flags().IntVar(&count, "count", 1, "number of keys to mint")
	cmd.Flags().StringVar(&out, "out", "", "write the keys to this file (mode 0600; a regular file), one a line, instead of stdout")
	for _, n := range []string{"type", "sku"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

// maxBulkMint is the most keys one mak mint run makes (in requests of at
// most mintBatch keys).
const maxBulkMint = 1_000_000

// mintBatch is the number of keys asked for per request: small enough for
// the progress bar to move, large enough to keep requests few.
const mintBatch = 50

// mintBatches mints count keys in requests of at most mintBatch keys,
// showing progress on a terminal.
func mintBatches(f *cmdutil.Factory, api mak.AdminAPI, req mak.MintRequest, count int) ([]string, error) {
	bar := newProgress(f.IO, f.Opts.Quiet, int64(count), "minting keys")
	defer bar.Stop()
	keys := make([]string, 0, count)
	for left := count; left > 0; {
		req.Count = min(left, mintBatch)
		res, err := api.Mint(context.Background(), req)
		if err != nil {
			return nil, err
		}
		keys = append(keys, res.Keys...)
		bar.Add(req.Count)
		left -= req.Count
	}
	bar.Finish()
	return keys, nil
}

// writeMinted writes keys one a line into path (mode 0600, atomically) and
// prints a summary that shows none of them.
func writeMinted(f *cmdutil.Factory, path string, keys []string) error {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('\n')
	}
	if err := cmdutil.WriteOutFile(f.IO.Out, "--out", path, []byte(b.String()), 0o600); err != nil {
		return err
	}
	switch {
	case f.Opts.JSON:
		cmdutil.WriteJSON(f.IO.Out, map[string]any{"count": len(keys), "out": path})
	case !f.Opts.Quiet:
		noun := "keys"
		if len(keys) == 1 {
			noun = "key"
		}
		fmt.Fprintf(f.IO.Out, "Minted %d %s into %s\n", len(keys), noun, path)
	}
	return nil
}
