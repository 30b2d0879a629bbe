package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
)

func newCatalogCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "catalog", Short: "Install or show the signed product catalog"}
	var force bool
	install := &cobra.Command{
		Use:   "install FILE",
		Short: "Verify a signed catalog and install it in the client store (pins its root)",
		Long: `Verify the catalog's signature and install it in the store. The first
catalog pins the authority's root key; a later catalog signed by another root
is refused unless --replace-root is given. A build made with TRUSTED_ROOTS
accepts only catalogs of those roots, --replace-root included.`,
		Example: "  volact catalog install catalog.json",
		Args:    cmdutil.Args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			data, err := os.ReadFile(a[0])
			if err != nil {
				return hresult.Wrap(hresult.CatalogInvalid, err, "cannot read catalog")
			}
			c, err := buildClient(f)
			if err != nil {
				return err
			}
			cat, err := c.InstallCatalog(data, force)
			if err != nil {
				return err
			}
			return emit(f, catalogView{cat}, nil)
		},
	}
	install.Flags().BoolVar(&force, "replace-root", false, "accept a catalog signed by another authority")
	show := &cobra.Command{
		Use:     "show",
		Short:   "Show the products and counted groups of the catalog",
		Example: "  volact catalog show\n  volact catalog show --json",
		Args:    cmdutil.Args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(f)
			if err != nil {
				return err
			}
			cat, err := c.Catalog()
			if err != nil {
				return err
			}
			return emit(f, catalogView{cat}, nil)
		},
	}
	cmd.AddCommand(install, show)
	return cmd
}

// catalogView is the installed catalog: its products and counted groups.
type catalogView struct{ cat *catalog.Catalog }

func (v catalogView) jsonValue() any { return v.cat }

func (v catalogView) human(l *lineWriter) error {
	cat := v.cat
	fmt.Fprintf(l.io.Out, "Catalog by %s, issued %s, root %s\n", cat.Issuer, cat.IssuedAt.UTC().Format("2006-01-02T15:04:05Z"), cat.RootFingerprint())
	rows := [][]string{}
	for _, p := range cat.Products {
		g, _ := cat.Group(p.Group)
		rows = append(rows, []string{p.SKU, p.Name, p.Group, fmt.Sprint(g.Threshold), fmt.Sprint(p.Rearms())})
	}
	return l.table([]string{"SKU", "NAME", "GROUP", "THRESHOLD", "REARMS"}, rows)
}
