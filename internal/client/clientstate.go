package client

import (
	"time"

	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/protocol"
)

// reportedState is what an activation request tells the server about
// product p's local state: its grace start, rearm count and the store's
// trusted-time high-water mark. The servers record a store that went
// backwards (state_reset); they never refuse on it.
func reportedState(p Installed, trusted time.Time) *protocol.ClientState {
	return &protocol.ClientState{GraceStart: p.GraceStart.UTC(), RearmCount: p.RearmCount, TrustedTime: trusted.UTC()}
}

// realign moves the store's trusted timeline back to the signed issue time
// of the first grant in outs, when the trusted time (now) runs more than
// license.RollbackTolerance ahead of it, and returns the trusted time to
// use. This is how a machine recovers from a command run with the clock
// far ahead: every product keeps exactly the grace it had left
// (license.Realign), the high-water mark becomes the issuer's time, and
// the grants (in the issuer's time) are judged on the right clock again.
// A grant is at most 4 hours from the system time the request carried
// (checkReceived), so a clock set back cannot be used to realign.
func realign(st *State, outs []*outcome, now time.Time) time.Time {
	var anchor time.Time
	for _, o := range outs {
		if o != nil && o.err == nil && o.env != nil {
			anchor = o.grant.IssuedAt.UTC()
			break
		}
	}
	if anchor.IsZero() || !now.After(anchor.Add(license.RollbackTolerance)) {
		return now
	}
	d := now.Sub(anchor)
	for _, p := range st.Products {
		p.Product = license.Realign(p.Product, d)
	}
	st.TrustedTime = anchor
	return anchor
}
