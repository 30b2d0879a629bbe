package client

import (
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/protocol"
)

// HardwareStatus is how this machine matches the hardware recorded with a
// product's grant (dstatus --json "hardware"). The lists hold source names
// (see package machineid) and are never null.
type HardwareStatus struct {
	// OK is true when at least half of the recorded sources still match:
	// the grant is valid on this hardware. When false the product is in
	// the out-of-tolerance grace (oot_grace).
	OK      bool     `json:"ok"`
	Matched []string `json:"matched"`
	Changed []string `json:"changed"`
	Missing []string `json:"missing"`
}

// identity is this machine's identity: Options.Identity, else one made of
// the hardware id alone (no sources: grants are then bound to the
// hardware id only, as before).
func (c *Client) identity() machineid.Identity {
	if c.opts.Identity != nil {
		return *c.opts.Identity
	}
	return machineid.Identity{HardwareID: c.opts.HardwareID}
}

// nonce is the nonce of an activation request: one that commits to this
// machine's sources when it has any, so that the sources recorded with the
// grant are covered by its signature.
func (c *Client) nonce() (string, error) {
	id := c.identity()
	if len(id.Sources) == 0 {
		return protocol.NewNonce()
	}
	return id.Nonce()
}

// hardwareOf returns the identity to record with grant g: this machine's,
// when g's nonce commits to it; nil for a grant whose request committed to
// nothing (a client without sources). A grant that commits to other
// sources, such as a confirmation requested before the hardware changed,
// cannot be recorded: hresult.WrongMachine.
func (c *Client) hardwareOf(g protocol.Grant) (*machineid.Identity, error) {
	if !machineid.IsCommitment(g.Nonce) {
		return nil, nil
	}
	id := c.identity()
	if !id.Committed(g.Nonce) {
		return nil, hresult.New(hresult.WrongMachine, "the grant was requested on this machine with other hardware (its sources differ)").
			WithHint("make a new installation request (volact dinstid) on this hardware: for the same machine and product it spends no activation")
	}
	return &id, nil
}

// checkHardware checks the hardware record of a verified grant g: a grant
// whose nonce commits to an identity must carry exactly that identity, and
// a grant without one carries none. Otherwise the store was edited (a
// clone's sources written in, say), and the reason is returned.
func checkHardware(p *Installed, g protocol.Grant) string {
	switch {
	case !machineid.IsCommitment(g.Nonce):
		if p.Hardware != nil {
			return "it has hardware sources its grant does not cover"
		}
	case p.Hardware == nil:
		return "its hardware sources were removed"
	case p.Hardware.HardwareID != g.HardwareID || len(p.Hardware.Sources) == 0 || !p.Hardware.Committed(g.Nonce):
		return "its hardware sources were edited"
	}
	return ""
}

// machine is this machine as the licensing core sees it for product p,
// with the hardware match to show; the match is nil without a grant. A
// grant with recorded sources is judged by [machineid.Identity.Match];
// one without (recorded before volact kept sources) by its hardware id.
func (c *Client) machine(p Installed) (license.Machine, *HardwareStatus) {
	m := license.Machine{HardwareID: c.opts.HardwareID}
	if p.Grant == nil {
		return m, nil
	}
	rec := machineid.Identity{HardwareID: p.Grant.HardwareID}
	if p.Hardware != nil {
		rec = *p.Hardware
		m.Tolerance = true
	}
	r := rec.Match(c.identity())
	m.InTolerance = r.OK
	return m, &HardwareStatus{OK: r.OK, Matched: r.Matched, Changed: r.Changed, Missing: r.Missing}
}

// evaluate is the state of p on this machine at now.
func (c *Client) evaluate(p Installed, prod catalog.Product, now time.Time) license.Eval {
	m, _ := c.machine(p)
	return license.EvaluateOn(p.Product, prod.LicensePolicy(), now, m)
}

// observe starts the out-of-tolerance grace of every product whose grant
// is not for this hardware, so that the grace runs from when the change
// was first seen by a command that writes the store.
func (c *Client) observe(st *State, now time.Time) {
	for _, p := range st.Products {
		if p.Grant != nil {
			m, _ := c.machine(*p)
			p.Product = license.ObserveOn(p.Product, now, m)
		}
	}
}

// unobserved reports whether a product's grant is not for this hardware
// although no command has started its out-of-tolerance grace yet (observe
// has not run since the hardware changed).
func (c *Client) unobserved(st *State) bool {
	for _, p := range st.Products {
		if p.Grant == nil {
			continue
		}
		m, _ := c.machine(*p)
		if license.ObserveOn(p.Product, time.Time{}, m).GraceKind != p.GraceKind {
			return true
		}
	}
	return false
}
