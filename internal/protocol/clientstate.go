package protocol

import (
	"fmt"
	"time"

	"github.com/volact/volact/internal/license"
)

// StateResetTolerance is how much later than seen a reported grace start
// may be before it counts as a reset: the trusted-time tolerance of the
// client (10 minutes, design §2).
const StateResetTolerance = 10 * time.Minute

// StateReset is the name servers record a reset client state under, in
// their history and metrics.
const StateReset = "state_reset"

// WentBack reports whether s, reported now by a machine, went backwards
// from seen, reported by the same machine and product before, and says
// how. A rearm restarts the grace and counts one more rearm, so a later
// grace start is only a reset when the rearm count did not grow:
//
//   - a rearm count lower than seen, or
//   - the same rearm count with a grace start more than
//     [StateResetTolerance] later than seen.
//
// An edited or deleted store, and a reimaged machine, look like this. A
// zero grace start (a client with no key) is never a reset by itself.
func (s ClientState) WentBack(seen ClientState) (bool, string) {
	switch {
	case s.RearmCount < seen.RearmCount:
		return true, fmt.Sprintf("rearm count %d is lower than %d seen before", s.RearmCount, seen.RearmCount)
	case s.RearmCount == seen.RearmCount && !s.GraceStart.IsZero() && !seen.GraceStart.IsZero() &&
		s.GraceStart.After(seen.GraceStart.Add(StateResetTolerance)):
		return true, fmt.Sprintf("grace start %s is later than %s seen before without a rearm",
			s.GraceStart.UTC().Format(time.RFC3339), seen.GraceStart.UTC().Format(time.RFC3339))
	}
	return false, ""
}

// Reset reports whether s, reported now by a machine for a product, is a
// state_reset for the server, and why. seen is the state the server kept
// for that machine and product ([ClientState.Next]); nil when s is its
// first report.
//
//   - s went backwards from seen ([ClientState.WentBack]), or
//   - s is a state no volact client writes (license.Implausible: a
//     negative rearm count, a grace start after the trusted time). That
//     is recorded on a machine's first report too, so an edit made before
//     its first activation is not hidden by the server having nothing to
//     compare with, and again whenever the rearm count or grace start
//     changes, not at every renewal of the same state.
func (s ClientState) Reset(seen *ClientState) (bool, string) {
	if seen != nil {
		if back, why := s.WentBack(*seen); back {
			return true, why
		}
		if seen.RearmCount == s.RearmCount && seen.GraceStart.Equal(s.GraceStart) {
			return false, ""
		}
	}
	p := license.Product{GraceStart: s.GraceStart, RearmCount: s.RearmCount}
	if why := license.Implausible(p, s.TrustedTime); why != "" {
		return true, "no client writes this state: " + why
	}
	return false, ""
}

// Next is the state a server keeps after seeing s, having seen seen
// before: s itself after a reset (so that a reimaged machine is reported
// once, and a second reset again), else the highest rearm count, the
// earliest grace start for it and the highest trusted time.
func (s ClientState) Next(seen ClientState, reset bool) ClientState {
	if reset {
		return s
	}
	out := seen
	switch {
	case s.RearmCount > seen.RearmCount:
		out.RearmCount, out.GraceStart = s.RearmCount, s.GraceStart
	case out.GraceStart.IsZero() || (!s.GraceStart.IsZero() && s.GraceStart.Before(out.GraceStart)):
		out.GraceStart = s.GraceStart
	}
	if s.TrustedTime.After(out.TrustedTime) {
		out.TrustedTime = s.TrustedTime
	}
	return out
}

// Merge is the state to keep of s and o, two states that servers kept for
// the same machine and product (hosts sharing a site): the one neither
// would flag as gone back against the other ([ClientState.WentBack]), that
// is the higher rearm count with its grace start, and for equal counts the
// earlier grace start (a zero one is unknown); and the later trusted
// time. Merge is commutative, and merging a state again changes nothing.
func (s ClientState) Merge(o ClientState) ClientState {
	out := s
	switch {
	case o.RearmCount > s.RearmCount:
		out.RearmCount, out.GraceStart = o.RearmCount, o.GraceStart
	case o.RearmCount == s.RearmCount && !o.GraceStart.IsZero() && (s.GraceStart.IsZero() || o.GraceStart.Before(s.GraceStart)):
		out.GraceStart = o.GraceStart
	}
	if o.TrustedTime.After(out.TrustedTime) {
		out.TrustedTime = o.TrustedTime
	}
	return out
}
