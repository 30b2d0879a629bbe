package client

import (
	"sort"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// RearmInfo is one product's rearm status.
type RearmInfo struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Remaining int    `json:"rearm_remaining"`
	Used      int    `json:"rearm_used"`
	Limit     int    `json:"rearm_limit"`
	Allowed   bool   `json:"allowed"`
	Reason    string `json:"reason,omitempty"` // why not, when not allowed
}

// RearmStatus reports, per installed product, the rearms left and whether
// a rearm is allowed now.
func (c *Client) RearmStatus() ([]RearmInfo, error) {
	st, cat, err := c.load()
	if err != nil {
		return nil, err
	}
	now, rolledBack := c.clock(st)
	c.keepClock(rolledBack)
	out := []RearmInfo{}
	for _, sku := range sortedSKUs(st) {
		p := st.Products[sku]
		prod, ok := cat.Product(sku)
		if !ok {
			continue
		}
		pol := prod.LicensePolicy()
		e := c.evaluate(*p, prod, now)
		out = append(out, RearmInfo{SKU: sku, Name: p.Name, Remaining: e.RearmRemaining, Used: p.RearmCount,
			Limit: pol.WithDefaults().RearmLimit, Allowed: e.RearmAllowed, Reason: e.RearmBlockedReason})
	}
	return out, nil
}

// Rearm resets the grace period and regenerates the CMID of every product
// with a key (or only sku). It is all or nothing: if one product may not be
// rearmed, nothing changes.
func (c *Client) Rearm(sku string) ([]RearmInfo, error) {
	var out []RearmInfo
	err := c.update(func(st *State, cat *catalog.Catalog, now time.Time) error {
		out = nil
		var skus []string
		for _, s := range sortedSKUs(st) {
			if (sku == "" && st.Products[s].PartialKey != "") || s == sku {
				skus = append(skus, s)
			}
		}
		if len(skus) == 0 {
			if sku != "" {
				return hresult.Newf(hresult.KeyNotInstalled, "no product %s is installed", sku)
			}
			return hresult.New(hresult.KeyNotInstalled, "no product key is installed: nothing to rearm")
		}
		next := map[string]license.Product{}
		for _, s := range skus {
			p := st.Products[s]
			prod, _ := cat.Product(s)
			m, _ := c.machine(*p)
			np, err := license.RearmOn(p.Product, prod.LicensePolicy(), now, m, c.opts.NewID())
			if err != nil {
				e := hresult.From(err)
				e.Msg = s + ": " + e.Msg
				return e
			}
			next[s] = np
		}
		for _, s := range skus {
			p := st.Products[s]
			p.Product, p.Envelope, p.Hardware, p.CurrentCount = next[s], nil, nil, -1
			prod, _ := cat.Product(s)
			pol := prod.LicensePolicy().WithDefaults()
			out = append(out, RearmInfo{SKU: s, Name: p.Name, Used: p.RearmCount, Limit: pol.RearmLimit,
				Remaining: pol.RearmLimit - p.RearmCount, Allowed: true})
			st.record(now, s, "rearm", hresult.OK, "rearmed: grace reset, new CMID", "")
		}
		return nil
	})
	return out, err
}

func sortedSKUs(st *State) []string {
	out := make([]string, 0, len(st.Products))
	for s := range st.Products {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
