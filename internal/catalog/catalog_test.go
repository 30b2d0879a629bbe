package catalog

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

var issued = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// testRoot returns a deterministic root key; n picks which one.
func testRoot(n byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, ed25519.SeedSize))
}

func signed(t testing.TB, c Catalog, root ed25519.PrivateKey) []byte {
	t.Helper()
	data, err := c.Sign(root)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return data
}

func wantCatalogInvalid(t *testing.T, err error, fragment string) {
	t.Helper()
	var he *hresult.Error
	if !errors.As(err, &he) || he.Code != hresult.CatalogInvalid {
		t.Fatalf("err = %v, want hresult CatalogInvalid", err)
	}
	if he.Exit != hresult.ExitInvalid {
		t.Errorf("exit = %d, want %d", he.Exit, hresult.ExitInvalid)
	}
	if !strings.Contains(he.Error(), fragment) {
		t.Errorf("message %q does not mention %q", he.Error(), fragment)
	}
	if strings.Contains(he.Msg, "\n") {
		t.Errorf("message spans several lines: %q", he.Msg)
	}
}

func TestSignParseRoundTrip(t *testing.T) {
	root := testRoot(1)
	tmpl := Template(root.Public().(ed25519.PublicKey), issued.In(time.FixedZone("X", 3600)))
	tmpl.Products[0].KMSClientKey = "BCDFG-HJKMP-QRTVW-XY234-6789B"
	data := signed(t, tmpl, root)
	if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.Contains(data, []byte("\n  \"signature\": ")) {
		t.Errorf("file is not indented JSON ending with a newline:\n%s", data)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !c.IssuedAt.Equal(issued) || c.IssuedAt.Location() != time.UTC {
		t.Errorf("IssuedAt = %v, want %v in UTC", c.IssuedAt, issued)
	}
	if err := c.CheckPinned(root.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("CheckPinned with own root: %v", err)
	}
	tests := []struct {
		sku, name, group string
		id               uint16
		threshold        int
	}{
		{"suite-pro", "volact Suite Pro", "suite", 1, 5},
		{"workstation-ent", "volact Workstation Enterprise", "workstation", 2, 25},
		{"server-std", "volact Server Standard", "server", 3, 5},
	}
	for _, tt := range tests {
		p, ok := c.Product(strings.ToUpper(tt.sku))
		if !ok || p.Name != tt.name || p.ID != tt.id || p.Group != tt.group {
			t.Errorf("Product(%q) = %+v, %v", tt.sku, p, ok)
		}
		if q, ok := c.ProductByID(tt.id); !ok || q.SKU != tt.sku {
			t.Errorf("ProductByID(%d) = %+v, %v", tt.id, q, ok)
		}
		g, ok := c.Group(tt.group)
		if !ok || g.Threshold != tt.threshold || g.ID != tt.id {
			t.Errorf("Group(%q) = %+v, %v", tt.group, g, ok)
		}
		if h, ok := c.GroupByID(g.ID); !ok || h.Name != tt.group {
			t.Errorf("GroupByID(%d) = %+v, %v", g.ID, h, ok)
		}
	}
	if p, _ := c.Product("suite-pro"); p.KMSClientKey != tmpl.Products[0].KMSClientKey {
		t.Errorf("KMS client key lost: %q", p.KMSClientKey)
	}
	if _, ok := c.Product("nope"); ok {
		t.Error("Product(nope) found")
	}
	if _, ok := c.GroupByID(99); ok {
		t.Error("GroupByID(99) found")
	}
}

func TestProductDefaults(t *testing.T) {
	day := 24 * time.Hour
	p := Product{}
	if p.Grace() != 30*day || p.OOTGrace() != 30*day || p.KMSValidity() != 180*day || p.Rearms() != 5 {
		t.Errorf("defaults = %v %v %v %v", p.Grace(), p.OOTGrace(), p.KMSValidity(), p.Rearms())
	}
	p = Product{GraceDays: 10, OOTGraceDays: 7, KMSValidityDays: 90, RearmLimit: 2}
	if p.Grace() != 10*day || p.OOTGrace() != 7*day || p.KMSValidity() != 90*day || p.Rearms() != 2 {
		t.Errorf("overrides = %v %v %v %v", p.Grace(), p.OOTGrace(), p.KMSValidity(), p.Rearms())
	}
}

// TestLicensePolicy: a product's rules as the licensing core gets them,
// defaults filled in.
func TestLicensePolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Product
		want license.Policy
	}{
		{"defaults", Product{}, license.Policy{GraceDays: 30, OOTGraceDays: 30, KMSValidityDays: 180, RearmLimit: 5}},
		{"overrides", Product{GraceDays: 10, OOTGraceDays: 7, KMSValidityDays: 90, RearmLimit: 2},
			license.Policy{GraceDays: 10, OOTGraceDays: 7, KMSValidityDays: 90, RearmLimit: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.LicensePolicy(); got != tc.want {
				t.Errorf("LicensePolicy() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseRefusesTampering(t *testing.T) {
	root := testRoot(1)
	data := signed(t, Template(root.Public().(ed25519.PublicKey), issued), root)
	edit := func(old, new string) []byte {
		if !bytes.Contains(data, []byte(old)) {
			t.Fatalf("fixture lacks %q", old)
		}
		return bytes.Replace(data, []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"threshold raised", "signature does not verify", edit(`"threshold": 25`, `"threshold": 2`)},
		{"one byte of a name", "signature does not verify", edit("Suite Pro", "Suite Pra")},
		{"whitespace inside the catalog", "signature does not verify", edit(`"version": 1`, `"version":  1`)},
		{"signature altered", "signature does not verify", flipSignature(t, data)},
		{"signature not base64", "not a base64", edit(`"signature": "`, `"signature": "!`)},
		{"truncated", "truncated", data[:len(data)/2]},
		{"empty", "truncated", nil},
		{"unknown top-level field", `unknown field "comment"`, edit(`"signature"`, `"comment": "x", "signature"`)},
		{"unknown catalog field", `unknown field "extra"`, edit(`"version": 1`, `"extra": true, "version": 1`)},
		{"trailing data", "after the JSON value", append(append([]byte{}, data...), "{}"...)},
		{"no signature", "needs both", []byte(`{"catalog": {}}`)},
		{"no root key", "root public key", []byte(`{"catalog": {"version": 1}, "signature": "AA=="}`)},
		{"too large", "too large", make([]byte, MaxFileSize+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.data)
			if c != nil {
				t.Errorf("Parse returned a catalog")
			}
			wantCatalogInvalid(t, err, tt.want)
		})
	}
}

// flipSignature changes the first base64 symbol of the signature.
func flipSignature(t *testing.T, data []byte) []byte {
	t.Helper()
	marker := []byte(`"signature": "`)
	i := bytes.Index(data, marker)
	if i < 0 {
		t.Fatal("fixture has no signature")
	}
	out := append([]byte{}, data...)
	i += len(marker)
	if out[i] == 'A' {
		out[i] = 'B'
	} else {
		out[i] = 'A'
	}
	return out
}

func TestCheckPinnedRefusesOtherRoot(t *testing.T) {
	mine, theirs := testRoot(1), testRoot(2)
	c, err := Parse(signed(t, Template(theirs.Public().(ed25519.PublicKey), issued), theirs))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	err = c.CheckPinned(mine.Public().(ed25519.PublicKey))
	wantCatalogInvalid(t, err, "signed by another authority (root "+Fingerprint(theirs.Public().(ed25519.PublicKey)))
	wantCatalogInvalid(t, err, Fingerprint(mine.Public().(ed25519.PublicKey)))
}

// TestCheckReplaces: a catalog takes the installed one's place only when
// the same root signed it and it is no older.
func TestCheckReplaces(t *testing.T) {
	mine, theirs := testRoot(1), testRoot(2)
	at := func(root ed25519.PrivateKey, when time.Time) *Catalog {
		t.Helper()
		c, err := Parse(signed(t, Template(root.Public().(ed25519.PublicKey), when), root))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		return c
	}
	installed := at(mine, issued)
	tests := []struct {
		name string
		next *Catalog
		want string // "" = may replace it
	}{
		{"the same catalog", at(mine, issued), ""},
		{"a newer catalog", at(mine, issued.Add(time.Hour)), ""},
		{"an older catalog of the same root", at(mine, issued.Add(-time.Second)), "older than the installed one"},
		{"another root, newer", at(theirs, issued.Add(time.Hour)), "signed by another authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.next.CheckReplaces(installed)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCatalogInvalid(t, err, tt.want)
		})
	}
}

func TestContentRules(t *testing.T) {
	root := testRoot(1)
	tests := []struct {
		name, want string
		edit       func(c *Catalog)
	}{
		{"duplicate SKU", `SKU "Suite-Pro" twice`, func(c *Catalog) { c.Products[1].SKU = "Suite-Pro" }},
		{"duplicate product id", "used twice or outside 1..1023", func(c *Catalog) { c.Products[2].ID = 1 }},
		{"product id too wide for a key", "id 1024", func(c *Catalog) { c.Products[2].ID = 1024 }},
		{"duplicate group", `group "server" twice`, func(c *Catalog) { c.Groups[0].Name = "server" }},
		{"duplicate group id", "used twice or outside", func(c *Catalog) { c.Groups[0].ID = 2 }},
		{"zero group id", "has id 0", func(c *Catalog) { c.Groups[0].ID = 0 }},
		{"zero threshold", "threshold 0", func(c *Catalog) { c.Groups[1].Threshold = 0 }},
		{"unknown group", `names group "office"`, func(c *Catalog) { c.Products[0].Group = "office" }},
		{"bad version", "version 2 is not supported", func(c *Catalog) { c.Version = 2 }},
		{"no issuer", "no issuer", func(c *Catalog) { c.Issuer = " " }},
		{"bad SKU name", "not a valid name", func(c *Catalog) { c.Products[0].SKU = "suite pro" }},
		{"negative grace", "negative", func(c *Catalog) { c.Products[0].GraceDays = -1 }},
		{"no products", "at least one", func(c *Catalog) { c.Products = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Template(root.Public().(ed25519.PublicKey), issued)
			tt.edit(&c)
			_, err := c.Sign(root)
			wantCatalogInvalid(t, err, tt.want)
		})
	}
}

func TestSignRefusesForeignKey(t *testing.T) {
	c := Template(testRoot(1).Public().(ed25519.PublicKey), issued)
	_, err := c.Sign(testRoot(2))
	wantCatalogInvalid(t, err, "does not belong to the signing key")
}

func TestFingerprint(t *testing.T) {
	a, b := Fingerprint(testRoot(1).Public().(ed25519.PublicKey)), Fingerprint(testRoot(2).Public().(ed25519.PublicKey))
	if len(a) != 16 || a == b {
		t.Errorf("fingerprints %q and %q: want 16 hex digits, distinct", a, b)
	}
}
