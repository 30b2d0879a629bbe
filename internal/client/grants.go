package client

import (
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/protocol"
)

// checkReceived checks a grant that just arrived from the network, after
// its signature and its fit to the request were checked: its signer may
// sign it (protocol.CheckGrant) and it was issued now, give or take the
// clock difference a host or the service may have. Failures are
// hresult.BadSignature (exit 3); nothing is stored.
func checkReceived(g protocol.Grant, cert *protocol.Certificate, cat *catalog.Catalog, now time.Time) error {
	if err := protocol.CheckGrant(g, cert, grantRules(cat, g.SKU)); err != nil {
		return err
	}
	if d := g.IssuedAt.Sub(now); d > protocol.MaxClockSkew || d < -protocol.MaxClockSkew {
		return hresult.Newf(hresult.BadSignature, "the grant of %s claims to be issued at %s, more than 4h from this machine's clock (%s)",
			g.SKU, g.IssuedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// grantRules is what cat says about grants for sku, or nil when cat does
// not list sku (such a grant licenses nothing here).
func grantRules(cat *catalog.Catalog, sku string) *protocol.GrantRules {
	prod, ok := cat.Product(sku)
	if !ok {
		return nil
	}
	return &protocol.GrantRules{Group: prod.Group, KMSValidity: prod.KMSValidity()}
}
