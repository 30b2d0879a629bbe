package license

import (
	"time"
)

// Grant kinds.
const (
	GrantMAK = "mak" // permanent activation by the activation service (MAK or retail)
	GrantKMS = "kms" // activation by a KMS host, valid until ExpiresAt
)

// Grant is what a successful activation left. The signed envelope itself is
// kept by the caller.
type Grant struct {
	Kind        string    `json:"kind"`                // GrantMAK or GrantKMS
	ActivatedAt time.Time `json:"activated_at"`        // issue time of the grant
	ExpiresAt   time.Time `json:"expires_at,omitzero"` // zero for MAK (permanent)
	HardwareID  string    `json:"hardware_id"`         // hardware id the grant is bound to
}

// Product is the persisted licensing state of one installed SKU; the client
// store saves it as JSON.
type Product struct {
	SKU            string    `json:"sku"`
	Name           string    `json:"name"`
	Channel        Channel   `json:"channel,omitempty"`
	PartialKey     string    `json:"partial_key,omitempty"`     // last 5 characters of the key; "" when no key
	KeyInstalledAt time.Time `json:"key_installed_at,omitzero"` // when the current key was installed
	GraceStart     time.Time `json:"grace_start,omitzero"`      // start of the current grace (OOB or OOT)
	GraceKind      Status    `json:"grace_kind,omitempty"`      // OOBGrace or OOTGrace: which grace GraceStart is
	Grant          *Grant    `json:"grant,omitempty"`           // nil when never activated
	HardwareID     string    `json:"hardware_id,omitempty"`     // hardware id at key install or last [Observe]
	CMID           string    `json:"cmid,omitempty"`            // client machine id
	RearmCount     int       `json:"rearm_count,omitempty"`     // rearms used
	// ActivationInterval and RenewalInterval are minutes from the KMS host's
	// last answer; 0 means the default.
	ActivationInterval int       `json:"activation_interval,omitempty"`
	RenewalInterval    int       `json:"renewal_interval,omitempty"`
	LastAttempt        time.Time `json:"last_attempt,omitzero"` // time of the last activation attempt
	LastResult         uint32    `json:"last_result,omitempty"` // hresult code of the last attempt, 0 ok
}

// Intervals are a KMS host's activation and renewal intervals in minutes.
type Intervals struct {
	Activation int `json:"activation"`
	Renewal    int `json:"renewal"`
}

// EffectiveIntervals returns p's intervals with defaults for unset values.
func (p Product) EffectiveIntervals() Intervals {
	iv := Intervals{Activation: p.ActivationInterval, Renewal: p.RenewalInterval}
	if iv.Activation == 0 {
		iv.Activation = DefaultActivationInterval
	}
	if iv.Renewal == 0 {
		iv.Renewal = DefaultRenewalInterval
	}
	return iv
}

// withIntervals records the in-range values of iv; 0 and out-of-range values
// keep the previous setting (check host answers with [ValidateInterval] to
// report them).
func (p Product) withIntervals(iv *Intervals) Product {
	if iv == nil {
		return p
	}
	if validInterval(iv.Activation) {
		p.ActivationInterval = iv.Activation
	}
	if validInterval(iv.Renewal) {
		p.RenewalInterval = iv.Renewal
	}
	return p
}

// InstallKey installs a key with the given last 5 characters (partial) for
// SKU sku. The initial grace starts now only if the product never had a
// grace. Installing another key, of the same channel or of another one
// (MAK, a published KMS client key, retail), keeps the running grace, so
// neither inpkey nor unpkey + inpkey is a free rearm: [Rearm] is the only
// way to restart it. A different key, SKU or
// channel drops the grant and the last attempt, so the product must be
// activated again; reinstalling the same key keeps them. The CMID is kept if
// set, else cmid is used.
func InstallKey(p Product, sku, name string, ch Channel, partial string, now time.Time, hwid, cmid string) Product {
	sameKey := p.SKU == sku && p.Channel == ch && p.PartialKey == partial
	if p.GraceStart.IsZero() {
		p.GraceStart, p.GraceKind = now, OOBGrace
	}
	if !sameKey {
		p.Grant = nil
		p.LastAttempt, p.LastResult = time.Time{}, 0
		// Without a grant the running grace counts as initial grace.
		p.GraceKind = OOBGrace
	}
	p.SKU, p.Name, p.Channel, p.PartialKey = sku, name, ch, partial
	p.KeyInstalledAt = now
	p.HardwareID = hwid
	if p.CMID == "" {
		p.CMID = cmid
	}
	return p
}

// UninstallKey removes the key and the grant. It keeps the grace start, the
// rearm count, the channel and the CMID, so that uninstalling and
// reinstalling a key cannot reset the grace.
func UninstallKey(p Product) Product {
	p.PartialKey = ""
	p.KeyInstalledAt = time.Time{}
	p.Grant = nil
	p.LastAttempt, p.LastResult = time.Time{}, 0
	return p
}

// ApplyGrant records a successful activation at now: the grant, a clean last
// result, and for KMS the host's intervals (nil keeps the previous ones). An
// out-of-tolerance grace ends: the grant is for the current hardware.
func ApplyGrant(p Product, g Grant, intervals *Intervals, now time.Time) Product {
	p.Grant = &g
	p.LastAttempt, p.LastResult = now, 0
	if p.GraceKind == OOTGrace {
		p.GraceKind = OOBGrace
	}
	return p.withIntervals(intervals)
}

// RecordFailure records a failed activation attempt at now with its hresult
// code. intervals, if the host answered with them, are recorded too.
func RecordFailure(p Product, code uint32, now time.Time, intervals *Intervals) Product {
	p.LastAttempt, p.LastResult = now, code
	return p.withIntervals(intervals)
}

// Observe records the hardware id seen at now. When a grant exists for other
// hardware and no out-of-tolerance grace is running yet, the OOT grace starts
// now. A running OOT grace is never restarted, even if the hardware changes
// again.
func Observe(p Product, now time.Time, hwid string) Product {
	return ObserveOn(p, now, Machine{HardwareID: hwid})
}

// ObserveOn is [Observe] on machine m: the out-of-tolerance grace starts
// when m does not own the grant (see [Machine]).
func ObserveOn(p Product, now time.Time, m Machine) Product {
	if p.Grant != nil && !m.owns(p.Grant) && p.GraceKind != OOTGrace {
		p.GraceKind, p.GraceStart = OOTGrace, now
	}
	p.HardwareID = m.HardwareID
	return p
}
