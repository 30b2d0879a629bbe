package client

import (
	"sort"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// Status returns every installed product's status; with all, catalog
// products without a key are listed too. It reads the store without taking
// the lock and writes nothing, except the trusted clock when the system
// clock is found rolled back (see keepClock) and the start of an
// out-of-tolerance grace when the hardware changed (see unobserved).
func (c *Client) Status(all bool) (*Report, error) {
	st, cat, err := c.load()
	if err != nil {
		return nil, err
	}
	if c.unobserved(st) {
		// The hardware changed and no verb wrote the store since: record
		// now as the start of the out-of-tolerance grace (best effort, as
		// keepClock), so that a clone that only ever reads its status does
		// not stay in a fresh grace forever.
		if c.update(func(*State, *catalog.Catalog, time.Time) error { return nil }) == nil {
			if st, cat, err = c.load(); err != nil {
				return nil, err
			}
		}
	}
	now, rolledBack := c.clock(st)
	c.keepClock(rolledBack)
	r := &Report{TrustedTime: st.TrustedTime, ClockRolledBack: rolledBack, Products: []ProductStatus{},
		Catalog: CatalogInfo{Root: cat.RootFingerprint(), Issuer: cat.Issuer}}
	for _, prod := range cat.Products {
		p := st.Products[prod.SKU]
		if p == nil || p.PartialKey == "" {
			if !all {
				continue
			}
			if p == nil {
				p = &Installed{Product: license.Product{SKU: prod.SKU, Name: prod.Name}, CurrentCount: -1}
			}
		}
		r.Products = append(r.Products, c.productStatus(*p, prod, st.Settings, now))
	}
	sort.SliceStable(r.Products, func(i, j int) bool { return r.Products[i].SKU < r.Products[j].SKU })
	return r, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// productStatus evaluates one product at now.
func (c *Client) productStatus(p Installed, prod catalog.Product, set Settings, now time.Time) ProductStatus {
	e := c.evaluate(p, prod, now)
	_, hw := c.machine(p)
	ps := ProductStatus{
		Hardware: hw,
		SKU:      prod.SKU, Name: prod.Name, Channel: string(p.Channel),
		Status: e.Status, StatusCode: int(e.Status),
		PartialKey:            p.PartialKey,
		GraceRemainingMinutes: license.Minutes(e.GraceRemaining),
		GraceExpiresAt:        timePtr(e.GraceExpiresAt),
		ActivationExpiresAt:   timePtr(e.ActivationExpiresAt),
		Permanent:             e.Permanent,
		ReducedFunctionality:  e.ReducedFunctionality,
		RearmRemaining:        e.RearmRemaining,
		GraceRemaining:        e.GraceRemaining,
		StatusToken:           e.Status.OsppToken(),
		StatusText:            e.Status.SlmgrText(),
		ProductID:             prod.ID,
	}
	if !e.ActivationExpiresAt.IsZero() {
		ps.ActivationRemaining = e.ActivationExpiresAt.Sub(now)
	}
	if p.Channel != "" {
		ps.ChannelDescription = p.Channel.Description()
	}
	if e.Reason != 0 {
		ps.Reason = hresult.Optional(e.Reason)
		ps.ReasonText = ps.Reason.Code().Text()
	}
	if p.Channel == license.KMSClient {
		iv := p.EffectiveIntervals()
		k := &KMSStatus{
			ActivationIntervalMinutes: iv.Activation, RenewalIntervalMinutes: iv.Renewal,
			HostCaching: !set.HostCachingDisabled, CMID: p.CMID, CurrentCount: p.CurrentCount,
			NextAttemptAt: timePtr(e.NextAttemptAt),
		}
		k.Host, k.Port, k.Source = displayHost(p, set)
		ps.KMS = k
	}
	return ps
}

// displayHost is the KMS host a status shows: the pinned one, else the one
// that answered last.
func displayHost(p Installed, set Settings) (host string, port int, source string) {
	if set.KMSHost != "" {
		return set.KMSHost, set.Port(), "pinned"
	}
	if p.Host != "" {
		h, prt := splitHostPort(p.Host)
		return h, prt, p.HostSource
	}
	return "", 0, ""
}
