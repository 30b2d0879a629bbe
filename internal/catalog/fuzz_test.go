package catalog

import (
	"crypto/ed25519"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

// FuzzParse checks that Parse never panics, fails only with CatalogInvalid,
// and that whatever it accepts survives a sign/parse round trip.
func FuzzParse(f *testing.F) {
	root := testRoot(1)
	f.Add(signed(f, Template(root.Public().(ed25519.PublicKey), issued), root))
	f.Add([]byte(`{"catalog": {}, "signature": ""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if hresult.CodeOf(err) != hresult.CatalogInvalid {
				t.Fatalf("Parse error has code %v: %v", hresult.CodeOf(err), err)
			}
			return
		}
		if len(c.RootPublicKey) != ed25519.PublicKeySize {
			t.Fatalf("accepted a catalog without a usable root key")
		}
		// Only catalogs signed by testRoot(1) can be re-signed here.
		if !ed25519.PublicKey(c.RootPublicKey).Equal(root.Public()) {
			return
		}
		again, err := Parse(signed(t, *c, root))
		if err != nil {
			t.Fatalf("re-signed catalog does not parse: %v", err)
		}
		if len(again.Products) != len(c.Products) || len(again.Groups) != len(c.Groups) {
			t.Fatalf("round trip changed the catalog")
		}
	})
}
