package client

import (
	"fmt"
	"strings"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/protocol"
)

// InstallationRequest returns the proxy (offline) activation request of
// the installed MAK or retail product sku ("" = the only one) in its text
// form, VA1-...: dinstid. The text carries the full product key, which the
// service must see; it is encoded, never shown in plain text. It writes
// nothing.
func (c *Client) InstallationRequest(sku string) (string, error) {
	st, cat, err := c.load()
	if err != nil {
		return "", err
	}
	_, rolledBack := c.clock(st)
	c.keepClock(rolledBack)
	p, err := proxyProduct(st, sku)
	if err != nil {
		return "", err
	}
	prod, ok := cat.Product(p.SKU)
	if !ok {
		return "", hresult.Newf(hresult.SKUNotFound, "the installed catalog has no product %s", p.SKU)
	}
	req, err := c.makRequest(*p, prod, c.opts.Now().UTC(), reportedState(*p, st.TrustedTime))
	if err != nil {
		return "", err
	}
	return protocol.EncodeText(protocol.RequestPrefix, req)
}

// proxyProduct picks the product dinstid makes a request for.
func proxyProduct(st *State, sku string) (*Installed, error) {
	var mak []string
	for _, s := range sortedSKUs(st) {
		if p := st.Products[s]; p.Key != "" && (p.Channel == license.MAK || p.Channel == license.Retail) {
			mak = append(mak, s)
		}
	}
	if sku != "" {
		for s, p := range st.Products {
			if strings.EqualFold(s, sku) && p.Key != "" {
				if p.Channel != license.MAK && p.Channel != license.Retail {
					return nil, hresult.Newf(hresult.InvalidArg, "%s has a %s key: proxy activation is for MAK and retail keys", s, p.Channel).
						WithExit(hresult.ExitInvalid)
				}
				return p, nil
			}
		}
		return nil, hresult.Newf(hresult.KeyNotInstalled, "no product key is installed for %s", sku).
			WithHint("install the MAK first: volact inpkey KEY")
	}
	switch len(mak) {
	case 0:
		return nil, hresult.New(hresult.KeyNotInstalled, "no MAK or retail product key is installed").
			WithHint("install the MAK first: volact inpkey KEY")
	case 1:
		return st.Products[mak[0]], nil
	}
	return nil, hresult.Newf(hresult.InvalidArg, "several MAK products are installed (%s): choose one with --sku", strings.Join(mak, ", "))
}

// ApplyConfirmation verifies a confirmation (VC1-... text, from mak proxy)
// against the installed catalog root and applies it like an online
// activation: actcid. It must be a MAK grant for this machine, the product
// and its installed key; otherwise the error is hresult.WrongMachine
// (exit 3) and nothing is written. A saved confirmation applied again, on
// the same hardware after a reimage for instance, works and spends
// nothing: it never reaches the service.
func (c *Client) ApplyConfirmation(text string) (Result, error) {
	var env protocol.Envelope
	if err := protocol.DecodeText(protocol.ConfirmationPrefix, text, &env); err != nil {
		return Result{}, err
	}
	var res Result
	err := c.update(func(st *State, cat *catalog.Catalog, now time.Time) error {
		// A confirmation stays valid after the service certificate that
		// signed it expires: it is checked at its own issue time, like a
		// stored grant.
		var g protocol.Grant
		cert, err := protocol.Open(env, cat.Root(), issuedAt(env, now), &g)
		if err != nil {
			return hresult.Wrap(hresult.BadSignature, err, "the confirmation does not verify against the installed catalog's root").
				WithHint("check that the confirmation was copied completely and comes from this catalog's activation service")
		}
		p := st.Products[g.SKU]
		if p == nil || p.Key == "" {
			return hresult.Newf(hresult.WrongMachine, "the confirmation is for %s, which has no product key installed here", g.SKU).
				WithHint("install the key the confirmation was issued for (volact inpkey KEY), then apply it again")
		}
		if err := c.checkMAKGrant(g, cert, *p); err != nil {
			return err
		}
		// A confirmation may be days old (or reapplied after a reimage):
		// its signer's rights are checked, its age is not.
		if err := protocol.CheckGrant(g, cert, grantRules(cat, g.SKU)); err != nil {
			return err
		}
		hw, err := c.hardwareOf(g)
		if err != nil {
			return err
		}
		p.Product = license.ApplyGrant(p.Product, grantOf(g), nil, now)
		p.Envelope, p.Hardware = &env, hw
		st.record(now, p.SKU, "actcid", hresult.OK, fmt.Sprintf("applied confirmation (%s)", g.Kind), "")
		prod, _ := cat.Product(p.SKU)
		e := c.evaluate(*p, prod, now)
		res = Result{SKU: p.SKU, Name: p.Name, Status: e.Status, Code: hresult.OK,
			Message: "product activated successfully", CurrentCount: -1}
		return nil
	})
	return res, err
}
