package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/volact/volact/internal/atomicfile"
	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/store"
)

func newMakCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mak",
		Short: "The activation service: authority, MAK keys, host keys, proxy activation",
	}
	cmd.AddCommand(newMakInitCmd(f), newMakMintCmd(f), newMakServeCmd(f), newMakBlockCmd(f), newMakRemainingCmd(f), newMakProxyCmd(f))
	return cmd
}

func newMakInitCmd(f *Factory) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "init --dir DIR",
		Short:   "Create an authority: root key (DIR/root.key, 0600) and signed catalog (DIR/catalog.json)",
		Example: "  volact mak init --dir /var/lib/volact-service",
		Args:    args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := authority.Init(dir, f.mustNow())
			if err != nil {
				return err
			}
			path := filepath.Join(a.Dir, authority.CatalogFile)
			if f.Opts.JSON {
				writeJSON(f.IO.Out, map[string]any{"dir": a.Dir, "catalog": path, "root_fingerprint": catalog.Fingerprint(a.Public())})
			} else if !f.Opts.Quiet {
				fmt.Fprintf(f.IO.Out, "Authority created in %s (root %s).\nPublish %s to clients: volact catalog install %s\n",
					a.Dir, catalog.Fingerprint(a.Public()), path, path)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "authority directory (required)")
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

func newMakMintCmd(f *Factory) *cobra.Command {
	var sf serviceFlags
	var typ, sku, out string
	var activations, count int
	cmd := &cobra.Command{
		Use:   "mint (--dir DIR | --service URL --token T) --type mak|kms-host|kms-client|retail --sku SKU [--activations N] [--count N [--out FILE]]",
		Short: "Mint a product key and print it alone on one line",
		Long: `Mint a product key with the authority in DIR, or through a running service's
admin API (--service URL --token T), and print it alone on one line (--count N:
N keys, one a line). --out FILE writes the keys into FILE (mode 0600) instead
and prints only how many were minted; on a terminal a progress bar shows on
stderr (not with -q). A MAK carries its activation limit (--activations, default
50; the volume licensing tiers are 50, 100, 250, 500, 750, 1000, 2500, 5000).
For kms-client it prints the catalog's published KMS client key of that SKU.
A KMS host key activates at most 6 hosts, each at most 10 times.`,
		Example: "  volact mak mint --dir D --type mak --sku suite-pro --activations 250\n" +
			"  volact mak mint --dir D --type kms-host --sku workstation-ent\n" +
			"  volact mak mint --service https://act.example.com --token T --type mak --sku suite-pro --count 10\n" +
			"  volact mak mint --dir D --type mak --sku suite-pro --count 5000 --out keys.txt",
		Args: args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := productkey.ParseType(typ)
			if err != nil {
				return invalidf("--type %q: want mak, kms-host, kms-client or retail", typ)
			}
			if t != productkey.MAK {
				if cmd.Flags().Changed("activations") {
					return invalidf("--activations applies only to --type mak")
				}
				activations = 0
			}
			if count < 1 || count > maxBulkMint {
				return invalidf("--count %d: want 1 to %d", count, maxBulkMint)
			}
			if t == productkey.KMSClient {
				count = 1 // one published key per SKU
			}
			if out != "" {
				if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
					return invalidf("--out %s: its directory does not exist", out)
				}
			}
			var api mak.AdminAPI
			if sf.dir != "" { // minting needs no database
				a, err := authority.Load(sf.dir)
				if err != nil {
					return err
				}
				api = &mak.Admin{Authority: a, Now: f.mustNow}
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
				writeJSON(f.IO.Out, keys[0])
			case f.Opts.JSON:
				writeJSON(f.IO.Out, map[string]any{"keys": keys})
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
	cmd.Flags().StringVar(&out, "out", "", "write the keys to this file (mode 0600), one a line, instead of stdout")
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
func mintBatches(f *Factory, api mak.AdminAPI, req mak.MintRequest, count int) ([]string, error) {
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
func writeMinted(f *Factory, path string, keys []string) error {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('\n')
	}
	if err := atomicfile.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return hresult.Wrap(hresult.Internal, err, "cannot write --out "+path)
	}
	switch {
	case f.Opts.JSON:
		writeJSON(f.IO.Out, map[string]any{"count": len(keys), "out": path})
	case !f.Opts.Quiet:
		noun := "keys"
		if len(keys) == 1 {
			noun = "key"
		}
		fmt.Fprintf(f.IO.Out, "Minted %d %s into %s\n", len(keys), noun, path)
	}
	return nil
}

func newCatalogCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "catalog", Short: "Install or show the signed product catalog"}
	var force bool
	install := &cobra.Command{
		Use:   "install FILE",
		Short: "Verify a signed catalog and install it in the client store (pins its root)",
		Long: `Verify the catalog's signature and install it in the store. The first
catalog pins the authority's root key; a later catalog signed by another root
is refused unless --replace-root is given.`,
		Example: "  volact catalog install catalog.json",
		Args:    args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			data, err := os.ReadFile(a[0])
			if err != nil {
				return hresult.Wrap(hresult.CatalogInvalid, err, "cannot read catalog")
			}
			cat, err := catalog.Parse(data)
			if err != nil {
				return err
			}
			dir := f.Opts.Store
			if dir == "" {
				dir = store.DefaultDir()
			}
			dest := filepath.Join(dir, client.CatalogFile)
			if old, err := os.ReadFile(dest); err == nil && !force {
				if oc, err := catalog.Parse(old); err == nil {
					if err := cat.CheckPinned(oc.Root()); err != nil {
						return hresult.From(err).WithHint("if the authority really changed, run again with --replace-root")
					}
				}
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return hresult.Wrap(hresult.Internal, err, "cannot create store "+dir).WithExit(hresult.ExitStore)
			}
			if err := atomicfile.WriteFile(dest, data, 0o644); err != nil {
				return hresult.Wrap(hresult.Internal, err, "cannot install catalog").WithExit(hresult.ExitStore)
			}
			return showCatalog(f, cat)
		},
	}
	install.Flags().BoolVar(&force, "replace-root", false, "accept a catalog signed by another authority")
	show := &cobra.Command{
		Use:     "show",
		Short:   "Show the products and counted groups of the catalog",
		Example: "  volact catalog show\n  volact catalog show --json",
		Args:    args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			cat, err := c.Catalog()
			if err != nil {
				return err
			}
			return showCatalog(f, cat)
		},
	}
	cmd.AddCommand(install, show)
	return cmd
}

func showCatalog(f *Factory, cat *catalog.Catalog) error {
	if f.Opts.JSON {
		writeJSON(f.IO.Out, cat)
		return nil
	}
	if f.Opts.Quiet {
		return nil
	}
	fmt.Fprintf(f.IO.Out, "Catalog by %s, issued %s, root %s\n", cat.Issuer, cat.IssuedAt.UTC().Format("2006-01-02T15:04:05Z"), catalog.Fingerprint(cat.Root()))
	rows := [][]string{}
	for _, p := range cat.Products {
		g, _ := cat.Group(p.Group)
		rows = append(rows, []string{p.SKU, p.Name, p.Group, fmt.Sprint(g.Threshold), fmt.Sprint(p.Rearms())})
	}
	return printTable(f.IO, []string{"SKU", "NAME", "GROUP", "THRESHOLD", "REARMS"}, rows)
}
