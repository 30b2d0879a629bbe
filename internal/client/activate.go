package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/store"
)

// ActOptions select what Activate does.
type ActOptions struct {
	SKU   string // only this product; "" = every product with a key
	IfDue bool   // contact nobody unless the schedule says an attempt is due
}

// Result is the outcome of activating one product (act --json).
type Result struct {
	SKU          string         `json:"sku"`
	Name         string         `json:"name"`
	Status       license.Status `json:"status"` // license status after the attempt
	Code         hresult.Code   `json:"code"`   // 0x00000000 on success
	Message      string         `json:"message"`
	CurrentCount int            `json:"current_count"` // KMS count; -1 unknown
	Skipped      bool           `json:"skipped,omitempty"`
	Host         string         `json:"host,omitempty"`
	Attempts     []Attempt      `json:"attempts,omitempty"` // KMS hosts tried, in order
	NextAttempt  string         `json:"next_attempt_at,omitempty"`
}

// unreachableBefore reports whether the last attempt found no host or
// service at all. Then --if-due tries again at once: a VPN reconnect or a
// new network is exactly when the host becomes reachable, and an offline
// machine fails fast without contacting anybody.
func unreachableBefore(p license.Product) bool {
	c := hresult.Code(p.LastResult)
	return c == hresult.NoHost || c == hresult.NoSRV
}

// Attempt is one host tried during a KMS activation and what it answered.
type Attempt struct {
	Host   string `json:"host"`
	Source string `json:"source"` // pinned, cached, srv
	Result string `json:"result"`
}

// outcome is what one product's activation attempt produced, before it is
// applied to the store.
type outcome struct {
	env       *protocol.Envelope
	grant     protocol.Grant
	hardware  *machineid.Identity // to record with the grant
	err       error
	host      string // host:port that answered
	source    string // pinned, cached, srv
	count     int    // KMS current count; -1 unknown
	intervals *license.Intervals
	attempts  []Attempt
}

// Activate activates every product with a key (or o.SKU): MAK and retail
// keys against the activation service, KMS client keys against a KMS host.
// The network is used without holding the store lock; the results are then
// applied under it. The returned error is the first failure.
func (c *Client) Activate(ctx context.Context, o ActOptions) ([]Result, error) {
	st, cat, err := c.load()
	if err != nil {
		return nil, err
	}
	onDisk := *st // before this run's clock: what touch compares with
	now, _ := c.clock(st)
	type job struct {
		p    Installed
		prod catalog.Product
	}
	var jobs []job
	for _, sku := range sortedSKUs(st) {
		p := st.Products[sku]
		if p.PartialKey == "" || (o.SKU != "" && o.SKU != sku) {
			continue
		}
		prod, ok := cat.Product(sku)
		if !ok {
			continue
		}
		jobs = append(jobs, job{*p, prod})
	}
	if len(jobs) == 0 {
		if o.SKU != "" {
			return nil, hresult.Newf(hresult.KeyNotInstalled, "no product key is installed for %s", o.SKU)
		}
		return nil, hresult.New(hresult.KeyNotInstalled, "no product key is installed").
			WithHint("install one first: volact inpkey KEY")
	}
	results := make([]Result, len(jobs))
	outs := make([]*outcome, len(jobs))
	c.knownTrees = st.treeSizes()
	for i, j := range jobs {
		results[i] = Result{SKU: j.p.SKU, Name: j.p.Name, CurrentCount: j.p.CurrentCount}
		if o.IfDue {
			if due, at := license.NextAttempt(j.p.Product, now); !due && !unreachableBefore(j.p.Product) {
				results[i].Skipped = true
				results[i].Code = hresult.OK
				if at.IsZero() { // a permanent (MAK, retail) activation
					results[i].Message = "not due: activated permanently"
				} else {
					results[i].Message = "not due: next attempt " + at.UTC().Format(time.RFC3339)
					results[i].NextAttempt = at.UTC().Format(time.RFC3339)
				}
				results[i].Status = c.evaluate(j.p, j.prod, now).Status
				continue
			}
		}
		var out outcome
		cs := reportedState(j.p, st.TrustedTime)
		switch j.p.Channel {
		case license.KMSClient:
			out = c.activateKMS(ctx, j.p, j.prod, st.Settings, now, cs)
		default:
			out = c.activateMAK(ctx, j.p, j.prod, cs)
		}
		checkLogged(&out, st, cat, c.opts.Now())
		outs[i] = &out
	}
	if !slices.ContainsFunc(outs, func(o *outcome) bool { return o != nil }) {
		// Nothing was due (a login script, a VPN hook): no fsync unless
		// this run changed the store (see touch).
		return results, c.touch(&onDisk)
	}
	skus := make([]string, len(jobs))
	for i, j := range jobs {
		skus[i] = j.p.SKU
	}
	if err := c.applyOutcomes(skus, outs, results, cat); err != nil {
		return results, err
	}
	for i := range results {
		if outs[i] != nil && outs[i].err != nil {
			return results, outs[i].err
		}
	}
	return results, nil
}

// applyOutcomes records each attempt in the store under the lock and fills
// the results.
func (c *Client) applyOutcomes(skus []string, outs []*outcome, results []Result, cat *catalog.Catalog) error {
	return c.update(func(st *State, _ *catalog.Catalog, now time.Time) error {
		now = realign(st, outs, now)
		for i, sku := range skus {
			o := outs[i]
			p := st.Products[sku]
			if o == nil || p == nil {
				continue
			}
			r := &results[i]
			r.Host, r.Attempts, r.CurrentCount = o.host, o.attempts, o.count
			if o.err != nil {
				e := hresult.From(o.err)
				r.CurrentCount = e.CurrentCount
				if r.CurrentCount < 0 {
					r.CurrentCount = o.count
				}
				p.Product = license.RecordFailure(p.Product, uint32(e.Code), now, o.intervals)
				if r.CurrentCount >= 0 {
					p.CurrentCount = r.CurrentCount
				}
				r.Code, r.Message = e.Code, e.Error()
				st.record(now, sku, "act", e.Code, e.Error(), o.host)
			} else {
				p.Product = license.ApplyGrant(p.Product, grantOf(o.grant), o.intervals, now)
				st.keepLog(o.env, cat, now)
				p.Envelope, p.Hardware = o.env, o.hardware
				if o.count >= 0 {
					p.CurrentCount = o.count
				}
				if o.host != "" {
					p.Host, p.HostSource = o.host, o.source
					if !st.Settings.HostCachingDisabled && p.Channel == license.KMSClient {
						st.Settings.CachedHost = o.host
					}
				}
				r.Code, r.Message = hresult.OK, "product activated successfully"
				st.record(now, sku, "act", hresult.OK, fmt.Sprintf("activated (%s)", o.grant.Kind), o.host)
			}
			prod, _ := cat.Product(sku)
			e := c.evaluate(*p, prod, now)
			r.Status = e.Status
			if !e.NextAttemptAt.IsZero() {
				r.NextAttempt = e.NextAttemptAt.UTC().Format(time.RFC3339)
			}
		}
		return nil
	})
}

// touch saves what a run that contacted nobody observed (a hardware
// change starts its grace, the trusted clock moves on), but writes nothing
// when the only change is the trusted clock moving forward by less than
// license.RollbackTolerance since before: a rollback smaller than that is
// tolerated anyway, so the saved clock loses no protection, and repeated
// runs (login script and VPN hook at once) cost no fsync. A system clock
// set back by more than that is saved: the trusted time counts on from
// this run's clock (license.Clock), not from the last run before the
// clock went back, which would freeze it for every later run.
func (c *Client) touch(before *State) error {
	return c.update(func(st *State, _ *catalog.Catalog, _ time.Time) error {
		if st.TrustedTime.Sub(before.TrustedTime) >= license.RollbackTolerance || st.TrustedTime.Before(before.TrustedTime) ||
			(st.TrustedWall.Sub(before.TrustedWall)).Abs() >= license.RollbackTolerance {
			return nil
		}
		was, err1 := json.Marshal(struct {
			P map[string]*Installed
			S Settings
			H []HistoryEntry
		}{before.Products, before.Settings, before.History})
		now, err2 := json.Marshal(struct {
			P map[string]*Installed
			S Settings
			H []HistoryEntry
		}{st.Products, st.Settings, st.History})
		if err1 != nil || err2 != nil || !bytes.Equal(was, now) {
			return nil
		}
		return store.ErrUnchanged
	})
}
