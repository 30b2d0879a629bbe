package client

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/volact/volact/internal/atomicfile"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// CatalogInfo names the catalog a report was made under (dstatus --json
// "catalog"): the full fingerprint of its root and its issuer.
type CatalogInfo struct {
	Root   string `json:"root"`   // sha256:<64 hex>, catalog.RootFingerprint
	Issuer string `json:"issuer"` // the catalog's issuer
}

// InstallCatalog verifies a catalog file and installs it in the store
// directory as CatalogFile (catalog install). The catalog's root must be
// one of Options.TrustedRoots, when set, in every case; it must be the
// root of the installed catalog, if any, and issued no earlier than it
// (catalog.Catalog.CheckReplaces), unless replaceRoot is true.
// Failures: hresult.CatalogInvalid (exit 3) for a catalog refused, exit 7
// when the store directory cannot be written.
func (c *Client) InstallCatalog(data []byte, replaceRoot bool) (*catalog.Catalog, error) {
	cat, err := catalog.Parse(data)
	if err != nil {
		return nil, err
	}
	if err := cat.CheckTrusted(c.opts.TrustedRoots); err != nil {
		return nil, err
	}
	dest := filepath.Join(c.opts.StoreDir, CatalogFile)
	if !replaceRoot {
		if old, err := os.ReadFile(dest); err == nil {
			if oc, err := catalog.Parse(old); err == nil {
				if err := cat.CheckReplaces(oc); err != nil {
					if bytes.Equal(cat.Root(), oc.Root()) {
						return nil, err // older than the installed one: its own hint
					}
					return nil, hresult.From(err).WithHint("if the authority really changed, install it again with --replace-root")
				}
			}
		}
	}
	if err := os.MkdirAll(c.opts.StoreDir, 0o700); err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot create store "+c.opts.StoreDir).WithExit(hresult.ExitStore)
	}
	if err := atomicfile.WriteFile(dest, data, 0o644); err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot install catalog").WithExit(hresult.ExitStore)
	}
	c.cat = nil
	return cat, nil
}

// CheckOverrides checks that the catalog allows every override in names
// (catalog.OverrideClock, catalog.OverrideMachineID) whose variable is in
// use. It returns the first refusal (catalog.Catalog.OverrideRefused: one
// line, hresult.InvalidArg, exit 3), or the error of loading the catalog
// (hresult.NoCatalog when none is installed).
func (c *Client) CheckOverrides(names ...string) error {
	if len(names) == 0 {
		return nil
	}
	cat, err := c.Catalog()
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := cat.CheckOverride(n); err != nil {
			return err
		}
	}
	return nil
}

// LicensedUnder reads the status of the installed products and checks that
// the products skus (every installed product when none is named) are
// licensed under the catalog root root (sha256:<64 hex>): dstatus --check
// --root. It returns the report with the check's error, as
// [Report.CheckLicensedUnder] describes.
func (c *Client) LicensedUnder(root string, skus ...string) (*Report, error) {
	if _, err := catalog.ParseRootFingerprint(root); err != nil {
		return nil, err
	}
	r, err := c.Status(false)
	if err != nil {
		return nil, err
	}
	return r, r.CheckLicensedUnder(root, skus...)
}

// CheckLicensedUnder checks that r was made under the catalog root root
// (sha256:<64 hex>) and that the products skus (every product in r when
// none is named) are licensed. A malformed root is hresult.InvalidArg
// (exit 3); another root, a product not installed or not licensed, or no
// product at all is hresult.GraceExpired with exit 6 (not licensed), one
// line naming every reason.
func (r *Report) CheckLicensedUnder(root string, skus ...string) error {
	want, err := catalog.ParseRootFingerprint(root)
	if err != nil {
		return err
	}
	var bad []string
	if r.Catalog.Root != want {
		bad = append(bad, "the catalog of "+r.Catalog.Issuer+" is signed by root "+r.Catalog.Root+", not "+want)
	}
	if len(skus) == 0 {
		for _, p := range r.Products {
			skus = append(skus, p.SKU)
		}
		if len(skus) == 0 {
			bad = append(bad, "no product key is installed")
		}
	}
	for _, sku := range skus {
		p, ok := r.product(sku)
		switch {
		case !ok:
			bad = append(bad, sku+" has no product key installed")
		case p.Status != license.Licensed:
			bad = append(bad, p.SKU+" is "+p.Status.String())
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return hresult.New(hresult.GraceExpired, "not licensed under root "+want+": "+strings.Join(bad, ", ")).
		WithExit(hresult.ExitNotLicensed)
}

// product finds sku (case-insensitive) among r's products.
func (r *Report) product(sku string) (ProductStatus, bool) {
	for _, p := range r.Products {
		if strings.EqualFold(p.SKU, sku) {
			return p, true
		}
	}
	return ProductStatus{}, false
}
