package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/productkey"
)

// catalogOf returns the signed catalog file of a.
func catalogOf(t *testing.T, a *authority.Authority) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(a.Dir, authority.CatalogFile))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func newAuthority(t *testing.T, opts ...authority.InitOption) *authority.Authority {
	t.Helper()
	a, err := authority.Init(filepath.Join(t.TempDir(), "auth"), mt0, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func trustClient(dir, catalogPath string, trusted ...string) *client.Client {
	return client.New(client.Options{StoreDir: dir, CatalogPath: catalogPath, TrustedRoots: trusted,
		HardwareID: "hw-1", Now: func() time.Time { return mt0 }})
}

// TestTrustedRootsPinning: with TrustedRoots set, a catalog from a
// self-made authority is refused on install (--replace-root included) and
// on load, whether installed or given as a file; nothing is written.
func TestTrustedRootsPinning(t *testing.T) {
	vendor, own := newAuthority(t), newAuthority(t)
	vendorFP := catalog.RootFingerprint(vendor.Public())
	ownCat := catalogOf(t, own)
	ownPath := filepath.Join(own.Dir, authority.CatalogFile)

	tests := []struct {
		name    string
		trusted []string
		before  []byte // catalog already installed, or nil
		install []byte
		replace bool
		want    hresult.Code // OK = installed
	}{
		{"pinned build refuses a self-made catalog", []string{vendorFP}, nil, ownCat, false, hresult.CatalogInvalid},
		{"pinned build refuses it with --replace-root", []string{vendorFP}, catalogOf(t, vendor), ownCat, true, hresult.CatalogInvalid},
		{"pinned build installs the vendor's", []string{vendorFP}, nil, catalogOf(t, vendor), false, hresult.OK},
		{"one of several pinned roots", []string{catalog.RootFingerprint(own.Public()), vendorFP}, nil, catalogOf(t, vendor), false, hresult.OK},
		{"malformed pinned root", []string{"sha256:1234"}, nil, catalogOf(t, vendor), false, hresult.InvalidArg},
		{"unpinned build: first catalog pins its root", nil, catalogOf(t, vendor), ownCat, false, hresult.CatalogInvalid},
		{"unpinned build: --replace-root replaces it", nil, catalogOf(t, vendor), ownCat, true, hresult.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			dest := filepath.Join(dir, client.CatalogFile)
			if tt.before != nil {
				if _, err := trustClient(dir, "").InstallCatalog(tt.before, false); err != nil {
					t.Fatal(err)
				}
			}
			c := trustClient(dir, "", tt.trusted...)
			cat, err := c.InstallCatalog(tt.install, tt.replace)
			got, _ := os.ReadFile(dest)
			if tt.want == hresult.OK {
				if err != nil || cat == nil || !bytes.Equal(got, tt.install) {
					t.Fatalf("InstallCatalog: %v; installed file matches: %v", err, bytes.Equal(got, tt.install))
				}
				if loaded, err := c.Catalog(); err != nil || loaded.RootFingerprint() != cat.RootFingerprint() {
					t.Fatalf("Catalog after install: %v", err)
				}
				return
			}
			wantCode(t, err, tt.want, hresult.ExitInvalid)
			if !bytes.Equal(got, tt.before) {
				t.Error("a refused catalog changed the installed file")
			}
		})
	}

	// A self-made catalog put in place by hand, or named as a file, does
	// not load in a pinned build.
	dir := filepath.Join(t.TempDir(), "store")
	if _, err := trustClient(dir, "").InstallCatalog(ownCat, false); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*client.Client{
		"installed": trustClient(dir, "", vendorFP),
		"as a file": trustClient(filepath.Join(t.TempDir(), "empty"), ownPath, vendorFP),
	} {
		_, err := c.Status(false)
		wantCode(t, err, hresult.CatalogInvalid, hresult.ExitInvalid)
		if _, err := c.InstallKey(mustMint(t, own, productkey.MAK, "suite-pro")); hresult.CodeOf(err) != hresult.CatalogInvalid {
			t.Errorf("%s: InstallKey under an untrusted catalog: %v", name, err)
		}
	}
}

func mustMint(t *testing.T, a *authority.Authority, typ productkey.Type, sku string) string {
	t.Helper()
	n := 0
	if typ == productkey.MAK {
		n = 5
	}
	k, err := a.Mint(typ, sku, n, 0)
	if err != nil {
		t.Fatal(err)
	}
	return k.String()
}

// TestStatusShowsCatalog: dstatus --json carries "catalog": {"root":
// "sha256:<64 hex>", "issuer": ...} at the top level.
func TestStatusShowsCatalog(t *testing.T) {
	a := newAuthority(t)
	c := trustClient(filepath.Join(t.TempDir(), "store"), filepath.Join(a.Dir, authority.CatalogFile))
	r, err := c.Status(false)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Catalog map[string]string `json:"catalog"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(doc.Catalog["root"]) || doc.Catalog["root"] != catalog.RootFingerprint(a.Public()) ||
		doc.Catalog["issuer"] != "volact activation service" || len(doc.Catalog) != 2 {
		t.Errorf("catalog in dstatus --json: %s", data)
	}
}

// TestLicensedUnder is dstatus --check --root: exit 0 only when the named
// products are licensed under that root.
func TestLicensedUnder(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 5)
	c := machine(t, s, filepath.Join(t.TempDir(), "m"), s.url, "hw-1", key)
	root := catalog.RootFingerprint(s.auth.Public())
	other := catalog.RootFingerprint(newAuthority(t).Public())
	if _, err := c.LicensedUnder(root); hresult.From(err).Exit != hresult.ExitNotLicensed {
		t.Errorf("before activation: %v, want exit 6", err)
	}
	if _, err := c.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		root string
		skus []string
		exit int
	}{
		{"every installed product", root, nil, hresult.ExitOK},
		{"named product", root, []string{"SUITE-PRO"}, hresult.ExitOK},
		{"another root", other, nil, hresult.ExitNotLicensed},
		{"a product without key", root, []string{"suite-pro", "server-std"}, hresult.ExitNotLicensed},
		{"malformed root", "sha256:xyz", nil, hresult.ExitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.LicensedUnder(tt.root, tt.skus...)
			if tt.exit == hresult.ExitOK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if e := hresult.From(err); err == nil || e.Exit != tt.exit {
				t.Fatalf("LicensedUnder: %v, want exit %d", err, tt.exit)
			}
		})
	}
	none := trustClient(filepath.Join(t.TempDir(), "none"), filepath.Join(s.auth.Dir, authority.CatalogFile))
	if _, err := none.LicensedUnder(root); hresult.From(err).Exit != hresult.ExitNotLicensed {
		t.Errorf("no product installed: %v, want exit 6", err)
	}
}

// TestCheckOverrides: VOLACT_CLOCK_OFFSET and VOLACT_MACHINE_ID are honoured
// only where the vendor's signed catalog allows them.
func TestCheckOverrides(t *testing.T) {
	tests := []struct {
		name     string
		opts     []authority.InitOption
		clock    bool
		hardware bool
	}{
		{"catalog without policy", nil, false, false},
		{"clock allowed", []authority.InitOption{authority.AllowOverrides(catalog.OverrideClock)}, true, false},
		{"both allowed", []authority.InitOption{authority.AllowOverrides(catalog.OverrideClock, catalog.OverrideMachineID)}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuthority(t, tt.opts...)
			c := trustClient(filepath.Join(t.TempDir(), "store"), filepath.Join(a.Dir, authority.CatalogFile))
			for o, allowed := range map[string]bool{catalog.OverrideClock: tt.clock, catalog.OverrideMachineID: tt.hardware} {
				err := c.CheckOverrides(o)
				if allowed {
					if err != nil {
						t.Errorf("%s: %v", o, err)
					}
					continue
				}
				wantCode(t, err, hresult.InvalidArg, hresult.ExitInvalid)
				if want := catalog.OverrideVariable(o) + " is set but the catalog of volact activation service does not allow the " + o + " override"; !bytes.HasPrefix([]byte(err.Error()), []byte(want)) {
					t.Errorf("%s: %q, want it to start %q", o, err, want)
				}
			}
			if err := c.CheckOverrides(); err != nil {
				t.Errorf("no override in use: %v", err)
			}
		})
	}
	missing := trustClient(filepath.Join(t.TempDir(), "store"), "")
	if err := missing.CheckOverrides(catalog.OverrideClock); hresult.CodeOf(err) != hresult.NoCatalog {
		t.Errorf("no catalog installed: %v", err)
	}
}

// TestCatalogRollback: once a catalog is installed, an older catalog of the
// same root (one that may still allow what the newer one no longer does)
// is refused on install and as --catalog, and the installed file is left
// as it is; the same catalog again, or a newer one, installs. --replace-root
// is the administrator's deliberate way back.
func TestCatalogRollback(t *testing.T) {
	a := newAuthority(t, authority.AllowOverrides(catalog.OverrideClock))
	older := catalogOf(t, a)
	cat, err := catalog.Parse(older)
	if err != nil {
		t.Fatal(err)
	}
	cat.IssuedAt = cat.IssuedAt.Add(30 * day)
	cat.Policy = catalog.Policy{} // the vendor withdrew the clock override
	newer, err := cat.Sign(a.Root)
	if err != nil {
		t.Fatal(err)
	}
	olderPath := filepath.Join(t.TempDir(), "older.json")
	if err := os.WriteFile(olderPath, older, 0o644); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "store")
	dest := filepath.Join(dir, client.CatalogFile)
	c := trustClient(dir, "")
	if _, err := c.InstallCatalog(newer, false); err != nil {
		t.Fatal(err)
	}
	_, err = c.InstallCatalog(older, false)
	wantCode(t, err, hresult.CatalogInvalid, hresult.ExitInvalid)
	if he := hresult.From(err); !strings.Contains(he.Hint, "newest catalog") {
		t.Errorf("hint %q, want one that points to the newest catalog (the root did not change)", he.Hint)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, newer) {
		t.Fatal("the refused older catalog replaced the installed one")
	}
	_, err = trustClient(dir, olderPath).Catalog()
	wantCode(t, err, hresult.CatalogInvalid, hresult.ExitInvalid)
	if err := trustClient(dir, olderPath).CheckOverrides(catalog.OverrideClock); err == nil {
		t.Error("--catalog with the older catalog let VOLACT_CLOCK_OFFSET through")
	}

	if _, err := c.InstallCatalog(newer, false); err != nil {
		t.Errorf("the installed catalog again: %v", err)
	}
	if _, err := c.InstallCatalog(older, true); err != nil {
		t.Errorf("--replace-root back to the older catalog: %v", err)
	}
}
