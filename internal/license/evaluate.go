package license

import (
	"fmt"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// Eval is the state of a product at one moment, as [Evaluate] computes it.
type Eval struct {
	Status Status
	// Reason is the hresult code explaining Status: 0 when licensed,
	// hresult.GraceExpired (0xC004F009) in notification, else the code of
	// the last failed attempt or 0.
	Reason uint32
	// GraceRemaining is the time left in grace; > 0 only in OOB or OOT grace.
	GraceRemaining time.Duration
	// GraceExpiresAt is the end of the current or expired grace; zero when
	// licensed or unlicensed.
	GraceExpiresAt time.Time
	// ActivationExpiresAt is the expiry of a valid KMS grant; zero for MAK
	// (permanent) or when not licensed.
	ActivationExpiresAt time.Time
	// Permanent is true for a MAK (or retail) activation valid for this
	// hardware.
	Permanent bool
	// ReducedFunctionality is true for a retail product in notification.
	ReducedFunctionality bool
	// RearmRemaining is how many rearms are left.
	RearmRemaining int
	// RearmAllowed says whether [Rearm] would succeed now; if not,
	// RearmBlockedReason says why, such as "the product is activated".
	RearmAllowed       bool
	RearmBlockedReason string
	// NextAttemptAt is, for a KMS client with a key, when the next
	// activation or renewal is due (see [NextAttempt]); zero otherwise.
	NextAttemptAt time.Time
}

// Evaluate returns the state of p at time now on the machine whose hardware
// id is hwid, under the rules of pol (zero fields mean the defaults).
//
//   - No key: [Unlicensed].
//   - Key, no valid grant: [OOBGrace] for pol.GraceDays from p.GraceStart,
//     then [Notification].
//   - MAK grant for hwid: [Licensed], permanent.
//   - KMS grant for hwid: [Licensed] until its ExpiresAt (ActivatedAt +
//     pol.KMSValidityDays if the grant has none), then [OOTGrace] for
//     pol.OOTGraceDays starting at the expiry, then [Notification].
//   - Grant for other hardware: [OOTGrace] from p.GraceStart if [Observe]
//     started it (p.GraceKind == OOTGrace), else a full grace from now, then
//     [Notification]. For KMS the grace starts no later than the expiry.
//
// A grant of an unknown kind counts as no grant.
func Evaluate(p Product, pol Policy, now time.Time, hwid string) Eval {
	return EvaluateOn(p, pol, now, Machine{HardwareID: hwid})
}

// Machine is the machine a product is evaluated on.
type Machine struct {
	// HardwareID is the machine's hardware id.
	HardwareID string
	// Tolerance says that the caller compared the hardware sources recorded
	// with the grant with the machine's current ones: InTolerance then
	// decides whether the grant is for this machine, and HardwareID is not
	// compared with the grant's.
	Tolerance   bool
	InTolerance bool
}

// owns reports whether m is the machine grant g was issued to.
func (m Machine) owns(g *Grant) bool {
	if m.Tolerance {
		return m.InTolerance
	}
	return g.HardwareID == m.HardwareID
}

// EvaluateOn is [Evaluate] on machine m: a grant is for this hardware when
// m owns it (see [Machine]); hardware out of tolerance is treated as other
// hardware ([OOTGrace]).
func EvaluateOn(p Product, pol Policy, now time.Time, m Machine) Eval {
	pol = pol.WithDefaults()
	e := Eval{Reason: p.LastResult}
	if p.PartialKey != "" {
		e.evalKeyed(p, pol, now, m)
	}
	if e.Status == Notification {
		e.Reason = uint32(hresult.GraceExpired)
		e.ReducedFunctionality = p.Channel == Retail
	}
	e.RearmRemaining = max(0, pol.RearmLimit-p.RearmCount)
	e.RearmAllowed, e.RearmBlockedReason = rearmAllowed(e.Status, p.RearmCount, pol.RearmLimit)
	if p.Channel == KMSClient {
		_, e.NextAttemptAt = schedule(p, e.Status == Licensed, now)
	}
	return e
}

// evalKeyed fills e for a product with a key installed.
func (e *Eval) evalKeyed(p Product, pol Policy, now time.Time, m Machine) {
	g := p.Grant
	if g == nil || (g.Kind != GrantMAK && g.Kind != GrantKMS) {
		e.grace(OOBGrace, p.GraceStart, pol.GraceDays, now)
		return
	}
	ootStart := now // hardware changed, not yet observed: a full grace from now
	if p.GraceKind == OOTGrace && !p.GraceStart.IsZero() {
		ootStart = p.GraceStart
	}
	hwOK := m.owns(g)
	if g.Kind == GrantMAK {
		if hwOK {
			e.licensed()
			e.Permanent = true
			return
		}
		e.grace(OOTGrace, ootStart, pol.OOTGraceDays, now)
		return
	}
	expires := g.ExpiresAt
	if expires.IsZero() {
		expires = g.ActivatedAt.Add(days(pol.KMSValidityDays))
	}
	switch {
	case hwOK && now.Before(expires):
		e.licensed()
		e.ActivationExpiresAt = expires
	case hwOK:
		e.grace(OOTGrace, expires, pol.OOTGraceDays, now)
	default:
		if expires.Before(ootStart) {
			ootStart = expires
		}
		e.grace(OOTGrace, ootStart, pol.OOTGraceDays, now)
	}
}

func (e *Eval) licensed() {
	e.Status, e.Reason = Licensed, 0
}

// grace sets e to a grace of kind lasting n days from start, or to
// notification if it has ended at now.
func (e *Eval) grace(kind Status, start time.Time, n int, now time.Time) {
	end := start.Add(days(n))
	e.GraceExpiresAt = end
	if now.Before(end) {
		e.Status, e.GraceRemaining = kind, end.Sub(now)
		return
	}
	e.Status = Notification
}

// rearmAllowed is the one rule for rearm, used by [Evaluate] and [Rearm].
func rearmAllowed(st Status, used, limit int) (bool, string) {
	switch {
	case st == Licensed:
		return false, "the product is activated"
	case used >= limit:
		return false, fmt.Sprintf("no rearms left (%d of %d used)", used, limit)
	}
	return true, ""
}

// Rearm restarts the initial grace at now and replaces the CMID with
// newCMID, so that cloned images count as distinct machines. It drops any
// grant and uses one rearm. The product's last observed hardware id
// ([Product.HardwareID]) decides whether it is activated.
//
// Errors (*hresult.Error): [hresult.RearmNotAllowed] while the product is
// licensed; [hresult.RearmExhausted] (0xC004D307) when pol.RearmLimit rearms
// have been used.
func Rearm(p Product, pol Policy, now time.Time, newCMID string) (Product, error) {
	return RearmOn(p, pol, now, Machine{HardwareID: p.HardwareID}, newCMID)
}

// RearmOn is [Rearm] where machine m, not the last observed hardware id,
// decides whether the product is activated: a machine out of tolerance
// (a clone) may rearm.
func RearmOn(p Product, pol Policy, now time.Time, m Machine, newCMID string) (Product, error) {
	pol = pol.WithDefaults()
	st := EvaluateOn(p, pol, now, m).Status
	if ok, _ := rearmAllowed(st, p.RearmCount, pol.RearmLimit); !ok {
		if st == Licensed {
			return p, hresult.New(hresult.RearmNotAllowed, "rearm is not allowed while the product is activated").
				WithHint("an activated product needs no rearm")
		}
		return p, hresult.Newf(hresult.RearmExhausted, "no rearms left: %d of %d used", p.RearmCount, pol.RearmLimit).
			WithHint("install a product key and activate the product")
	}
	p.GraceStart, p.GraceKind = now, OOBGrace
	p.Grant = nil
	p.RearmCount++
	p.CMID = newCMID
	return p, nil
}

// NextAttempt says whether an activation attempt is due at now (for
// `act --if-due`) and when it is or was due.
//
//   - KMS client, not activated: due when never attempted (at = key install
//     time) or when the activation interval has passed since the last
//     attempt.
//   - KMS client, activated: due at Grant.ActivatedAt + renewal interval; if
//     a renewal attempt since then failed, again one activation interval
//     after that attempt.
//   - MAK or retail: due when not licensed and never attempted, or when the
//     activation interval has passed since the last attempt.
//   - No key, or MAK/retail licensed: never due (at is zero).
//
// Licensed is judged with the default policy against [Product.HardwareID].
func NextAttempt(p Product, now time.Time) (due bool, at time.Time) {
	licensed := Evaluate(p, Policy{}, now, p.HardwareID).Status == Licensed
	return schedule(p, licensed, now)
}

func schedule(p Product, licensed bool, now time.Time) (bool, time.Time) {
	if p.PartialKey == "" {
		return false, time.Time{}
	}
	iv := p.EffectiveIntervals()
	retry := time.Duration(iv.Activation) * time.Minute
	var at time.Time
	switch {
	case licensed && p.Channel == KMSClient && p.Grant != nil:
		at = p.Grant.ActivatedAt.Add(time.Duration(iv.Renewal) * time.Minute)
		if p.LastResult != 0 && !p.LastAttempt.Before(at) {
			at = p.LastAttempt.Add(retry)
		}
	case licensed:
		return false, time.Time{}
	case p.LastAttempt.IsZero():
		at = p.KeyInstalledAt
	default:
		at = p.LastAttempt.Add(retry)
	}
	return !now.Before(at), at
}
