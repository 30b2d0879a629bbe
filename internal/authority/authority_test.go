package authority

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func initAuthority(t *testing.T) *Authority {
	t.Helper()
	a, err := Init(filepath.Join(t.TempDir(), "auth"), now)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return a
}

func wantCode(t *testing.T, err error, code hresult.Code, exit int, fragment string) {
	t.Helper()
	var he *hresult.Error
	if !errors.As(err, &he) || he.Code != code {
		t.Fatalf("err = %v, want code %v", err, code)
	}
	if he.Exit != exit {
		t.Errorf("exit = %d, want %d", he.Exit, exit)
	}
	if !strings.Contains(err.Error(), fragment) {
		t.Errorf("message %q does not mention %q", err.Error(), fragment)
	}
}

func TestInitLoadRoundTrip(t *testing.T) {
	a := initAuthority(t)
	if runtime.GOOS != "windows" {
		for name, want := range map[string]os.FileMode{RootKeyFile: 0o600, CatalogFile: 0o644, ".": 0o700} {
			fi, err := os.Stat(filepath.Join(a.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s mode = %04o, want %04o", name, got, want)
			}
		}
	}
	b, err := Load(a.Dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !b.Root.Equal(a.Root) || string(b.CatalogBytes) != string(a.CatalogBytes) {
		t.Error("Load returned different key material than Init made")
	}
	data, err := os.ReadFile(filepath.Join(a.Dir, CatalogFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Parse(data)
	if err != nil {
		t.Fatalf("catalog.json does not parse: %v", err)
	}
	if err := c.CheckPinned(a.Public()); err != nil {
		t.Errorf("catalog not signed by the root: %v", err)
	}
	if !c.IssuedAt.Equal(now) || len(c.Products) != 3 {
		t.Errorf("catalog issued %v with %d products", c.IssuedAt, len(c.Products))
	}
	for _, p := range c.Products {
		k, err := productkey.Parse(p.KMSClientKey)
		if err != nil {
			t.Fatalf("%s: published client key does not parse: %v", p.SKU, err)
		}
		if k.Type != productkey.KMSClient || k.Product != p.ID || !k.VerifyMAC(a.MACSecret()) {
			t.Errorf("%s: client key fields %+v", p.SKU, k.Fields)
		}
	}
}

func TestInitRefusesExistingAuthority(t *testing.T) {
	a := initAuthority(t)
	before, _ := os.ReadFile(filepath.Join(a.Dir, RootKeyFile))
	_, err := Init(a.Dir, now.Add(time.Hour))
	wantCode(t, err, hresult.InvalidArg, hresult.ExitInvalid, "refusing to overwrite")
	after, _ := os.ReadFile(filepath.Join(a.Dir, RootKeyFile))
	if string(before) != string(after) {
		t.Error("second Init changed root.key")
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Run("no authority", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Load(dir)
		wantCode(t, err, hresult.InvalidArg, hresult.ExitInvalid, "no authority in "+dir+": run volactd mak init --dir "+dir)
	})
	t.Run("root key readable by others", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("file modes do not describe access on Windows")
		}
		a := initAuthority(t)
		if err := os.Chmod(filepath.Join(a.Dir, RootKeyFile), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(a.Dir)
		wantCode(t, err, hresult.InvalidArg, hresult.ExitInvalid, "accessible by other users (mode 0644)")
	})
	t.Run("catalog signed by another authority", func(t *testing.T) {
		a, other := initAuthority(t), initAuthority(t)
		if err := os.WriteFile(filepath.Join(a.Dir, CatalogFile), other.CatalogBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(a.Dir)
		wantCode(t, err, hresult.CatalogInvalid, hresult.ExitInvalid, "signed by another authority")
	})
	t.Run("catalog edited", func(t *testing.T) {
		a := initAuthority(t)
		edited := strings.Replace(string(a.CatalogBytes), `"threshold": 25`, `"threshold": 1`, 1)
		if err := os.WriteFile(filepath.Join(a.Dir, CatalogFile), []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(a.Dir)
		wantCode(t, err, hresult.CatalogInvalid, hresult.ExitInvalid, "signature does not verify")
	})
	t.Run("catalog missing", func(t *testing.T) {
		a := initAuthority(t)
		os.Remove(filepath.Join(a.Dir, CatalogFile))
		_, err := Load(a.Dir)
		wantCode(t, err, hresult.NoCatalog, hresult.ExitInvalid, "catalog.json is missing")
	})
}

func TestMint(t *testing.T) {
	a, other := initAuthority(t), initAuthority(t)
	published, _ := a.Catalog.Product("workstation-ent")
	tests := []struct {
		name        string
		typ         productkey.Type
		sku         string
		activations int
		serial      uint32
		wantProduct uint16 // SKU id, or group id for kms-host
	}{
		{"mak", productkey.MAK, "suite-pro", 500, 42, 1},
		{"mak random serial", productkey.MAK, "server-std", productkey.MaxActivations, 0, 3},
		{"retail", productkey.Retail, "workstation-ent", 0, 7, 2},
		{"kms host carries the group", productkey.KMSHost, "server-std", 0, 0, 3},
		{"kms client is the published key", productkey.KMSClient, "workstation-ent", 0, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := a.Mint(tt.typ, tt.sku, tt.activations, tt.serial)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			parsed, err := productkey.Parse(k.String())
			if err != nil {
				t.Fatalf("minted key does not parse: %v", err)
			}
			if parsed.Type != tt.typ || parsed.Product != tt.wantProduct || int(parsed.Activations) != tt.activations {
				t.Errorf("fields = %+v", parsed.Fields)
			}
			if tt.serial != 0 && parsed.Serial != tt.serial || parsed.Serial == 0 {
				t.Errorf("serial = %d, want %d (non-zero)", parsed.Serial, tt.serial)
			}
			if !parsed.VerifyMAC(a.MACSecret()) {
				t.Error("MAC does not verify with the authority's secret")
			}
			if parsed.VerifyMAC(other.MACSecret()) {
				t.Error("MAC verifies with another authority's secret")
			}
			if tt.typ == productkey.KMSClient && k.String() != published.KMSClientKey {
				t.Error("kms-client key is not the catalog's published key")
			}
		})
	}
}

func TestMintRefuses(t *testing.T) {
	a := initAuthority(t)
	tests := []struct {
		name        string
		typ         productkey.Type
		sku         string
		activations int
		code        hresult.Code
		want        string
	}{
		{"unknown SKU", productkey.MAK, "office-pro", 50, hresult.SKUNotFound, `SKU "office-pro" is not in the catalog`},
		{"MAK without limit", productkey.MAK, "suite-pro", 0, hresult.InvalidArg, "activation limit of 1..1048575, got 0"},
		{"MAK limit too high", productkey.MAK, "suite-pro", productkey.MaxActivations + 1, hresult.InvalidArg, "got 1048576"},
		{"limit on a retail key", productkey.Retail, "suite-pro", 5, hresult.InvalidArg, "MAK keys only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Mint(tt.typ, tt.sku, tt.activations, 0)
			wantCode(t, err, tt.code, tt.code.Exit(), tt.want)
		})
	}
}

func TestServiceSigner(t *testing.T) {
	a := initAuthority(t)
	key, cert, err := a.ServiceSigner(now)
	if err != nil {
		t.Fatalf("ServiceSigner: %v", err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(a.Dir, ServiceKeyFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("service.key: %v, mode %v", err, fi.Mode())
		}
	}
	later := now.Add(30 * 24 * time.Hour)
	key2, cert2, err := a.ServiceSigner(later)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Equal(key2) || cert == cert2 {
		t.Error("want the same key with a re-issued certificate")
	}
	env, err := protocol.Seal(protocol.Grant{Kind: protocol.KindMAK, SKU: "suite-pro"}, key2, cert2)
	if err != nil {
		t.Fatal(err)
	}
	c, err := protocol.Open(env, a.Public(), later, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if c.Role != protocol.RoleService || !c.NotAfter.Equal(later.Add(ServiceCertValidity)) {
		t.Errorf("certificate = %+v", c)
	}
	if _, err := protocol.Open(env, a.Public(), later.Add(ServiceCertValidity+time.Second), nil); hresult.CodeOf(err) != hresult.BadSignature {
		t.Errorf("certificate still valid after a year: %v", err)
	}
	if _, err := protocol.Open(env, ed25519.PublicKey(make([]byte, 32)), later, nil); hresult.CodeOf(err) != hresult.BadSignature {
		t.Errorf("certificate accepted under another root: %v", err)
	}
}
