package client

import (
	"strings"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// StatusOf returns the status the slmgr views (dli, dlv, xpr) show for
// their argument sel: "" every installed product, "all" every catalog
// product, key or not, and a SKU (any case) that installed product alone.
// A SKU that is not installed is hresult.SKUNotFound.
func (c *Client) StatusOf(sel string) (*Report, error) {
	all := strings.EqualFold(sel, "all")
	r, err := c.Status(all)
	if err != nil {
		return nil, err
	}
	if sel == "" || all {
		return r, nil
	}
	var keep []ProductStatus
	for _, p := range r.Products {
		if strings.EqualFold(p.SKU, sel) {
			keep = append(keep, p)
		}
	}
	if keep == nil {
		return nil, hresult.Newf(hresult.SKUNotFound, "no product %q is installed", sel).
			WithHint("volact dstatus --all lists the products")
	}
	r.Products = keep
	return r, nil
}

// CheckLicensed is dstatus --check: nil when r lists at least one product
// and every product it lists is licensed, else hresult.GraceExpired with
// exit 6 (not licensed), one line naming every product that is not.
func (r *Report) CheckLicensed() error {
	var bad []string
	for _, p := range r.Products {
		if p.Status != license.Licensed {
			bad = append(bad, p.SKU+" is "+p.Status.String())
		}
	}
	if len(r.Products) == 0 {
		bad = append(bad, "no product key is installed")
	}
	if len(bad) == 0 {
		return nil
	}
	return hresult.New(hresult.GraceExpired, "not licensed: "+strings.Join(bad, ", ")).WithExit(hresult.ExitNotLicensed)
}

// Failures returns the entries of h whose code is not OK (history
// --failures, ospp /dhistoryacterr), never nil.
func Failures(h []HistoryEntry) []HistoryEntry {
	keep := []HistoryEntry{}
	for _, e := range h {
		if e.Code != hresult.OK {
			keep = append(keep, e)
		}
	}
	return keep
}
