package license

import (
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	noHost      = uint32(hresult.NoHost)
	graceExpiry = uint32(hresult.GraceExpired)
)

// keyed is a product with a key installed at t0 (grace from t0) on "hw1".
func keyed(ch Channel) Product {
	return InstallKey(Product{}, "suite-pro", "Suite Pro", ch, "T83GX", t0, "hw1", "cmid-1")
}

func withGrant(p Product, g Grant) Product { return ApplyGrant(p, g, nil, g.ActivatedAt) }

func kmsGrant(at time.Time, hw string) Grant {
	return Grant{Kind: GrantKMS, ActivatedAt: at, ExpiresAt: at.Add(180 * day), HardwareID: hw}
}

func makGrant(at time.Time, hw string) Grant {
	return Grant{Kind: GrantMAK, ActivatedAt: at, HardwareID: hw}
}

// observed is p after its hardware changed to "hw2" at when.
func observed(p Product, when time.Time) Product { return Observe(p, when, "hw2") }

func TestEvaluateStatus(t *testing.T) {
	kms := withGrant(keyed(KMSClient), kmsGrant(t0, "hw1"))
	expiry := t0.Add(180 * day)
	mak := withGrant(keyed(MAK), makGrant(t0, "hw1"))
	retailAct := withGrant(keyed(Retail), makGrant(t0, "hw1"))
	hwChange := t0.Add(100 * day)
	failed := RecordFailure(keyed(KMSClient), noHost, t0.Add(time.Hour), nil)
	noExpiry := withGrant(keyed(KMSClient), Grant{Kind: GrantKMS, ActivatedAt: t0, HardwareID: "hw1"})
	oddGrant := withGrant(keyed(MAK), Grant{Kind: "lifetime", ActivatedAt: t0, HardwareID: "hw1"})

	tests := []struct {
		name      string
		p         Product
		pol       Policy
		at        time.Time
		hwid      string
		want      Status
		reason    uint32
		remaining time.Duration
	}{
		{"no key", Product{SKU: "suite-pro"}, Policy{}, t0, "hw1", Unlicensed, 0, 0},
		{"key uninstalled", UninstallKey(kms), Policy{}, t0, "hw1", Unlicensed, 0, 0},

		{"OOB day 0", keyed(KMSClient), Policy{}, t0, "hw1", OOBGrace, 0, 30 * day},
		{"OOB day 29", keyed(KMSClient), Policy{}, t0.Add(29 * day), "hw1", OOBGrace, 0, day},
		{"OOB last ns", keyed(KMSClient), Policy{}, t0.Add(30*day - 1), "hw1", OOBGrace, 0, 1},
		{"OOB day 30", keyed(KMSClient), Policy{}, t0.Add(30 * day), "hw1", Notification, graceExpiry, 0},
		{"OOB day 31", keyed(KMSClient), Policy{}, t0.Add(31 * day), "hw1", Notification, graceExpiry, 0},
		{"OOB reason is last failure", failed, Policy{}, t0.Add(2 * time.Hour), "hw1", OOBGrace, noHost, 30*day - 2*time.Hour},
		{"catalog grace 10 days, day 9", keyed(MAK), Policy{GraceDays: 10}, t0.Add(9 * day), "hw1", OOBGrace, 0, day},
		{"catalog grace 10 days, day 10", keyed(MAK), Policy{GraceDays: 10}, t0.Add(10 * day), "hw1", Notification, graceExpiry, 0},
		{"unknown grant kind is no grant", oddGrant, Policy{}, t0.Add(31 * day), "hw1", Notification, graceExpiry, 0},

		{"KMS day 0", kms, Policy{}, t0, "hw1", Licensed, 0, 0},
		{"KMS day 179", kms, Policy{}, t0.Add(179 * day), "hw1", Licensed, 0, 0},
		{"KMS last ns", kms, Policy{}, expiry.Add(-1), "hw1", Licensed, 0, 0},
		{"KMS day 180", kms, Policy{}, expiry, "hw1", OOTGrace, 0, 30 * day},
		{"KMS day 181", kms, Policy{}, t0.Add(181 * day), "hw1", OOTGrace, 0, 29 * day},
		{"OOT day 29 after expiry", kms, Policy{}, expiry.Add(29 * day), "hw1", OOTGrace, 0, day},
		{"OOT last ns", kms, Policy{}, expiry.Add(30*day - 1), "hw1", OOTGrace, 0, 1},
		{"OOT day 30 after expiry", kms, Policy{}, expiry.Add(30 * day), "hw1", Notification, graceExpiry, 0},
		{"OOT day 31 after expiry", kms, Policy{}, expiry.Add(31 * day), "hw1", Notification, graceExpiry, 0},
		{"catalog OOT 10 days", kms, Policy{OOTGraceDays: 10}, expiry.Add(10 * day), "hw1", Notification, graceExpiry, 0},
		{"grant without expiry uses catalog validity, day 89", noExpiry, Policy{KMSValidityDays: 90}, t0.Add(89 * day), "hw1", Licensed, 0, 0},
		{"grant without expiry uses catalog validity, day 90", noExpiry, Policy{KMSValidityDays: 90}, t0.Add(90 * day), "hw1", OOTGrace, 0, 30 * day},

		{"MAK day 10000", mak, Policy{}, t0.Add(10000 * day), "hw1", Licensed, 0, 0},
		{"MAK new hardware not yet observed: full OOT grace", mak, Policy{}, t0.Add(500 * day), "hw2", OOTGrace, 0, 30 * day},
		{"MAK new hardware day 29", observed(mak, hwChange), Policy{}, hwChange.Add(29 * day), "hw2", OOTGrace, 0, day},
		{"MAK new hardware day 30", observed(mak, hwChange), Policy{}, hwChange.Add(30 * day), "hw2", Notification, graceExpiry, 0},
		{"MAK hardware changed back", observed(mak, hwChange), Policy{}, hwChange.Add(40 * day), "hw1", Licensed, 0, 0},
		{"KMS new hardware before expiry", observed(kms, hwChange), Policy{}, hwChange.Add(29 * day), "hw2", OOTGrace, 0, day},
		{"KMS new hardware not observed, after expiry: OOT from expiry", kms, Policy{}, expiry.Add(10 * day), "hw2", OOTGrace, 0, 20 * day},
		{"retail activated", retailAct, Policy{}, t0.Add(10000 * day), "hw1", Licensed, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluate(tt.p, tt.pol, tt.at, tt.hwid)
			if e.Status != tt.want || e.Reason != tt.reason || e.GraceRemaining != tt.remaining {
				t.Errorf("got %s reason 0x%08X remaining %v, want %s reason 0x%08X remaining %v",
					e.Status, e.Reason, e.GraceRemaining, tt.want, tt.reason, tt.remaining)
			}
			inGrace := e.Status == OOBGrace || e.Status == OOTGrace
			if inGrace && !e.GraceExpiresAt.Equal(tt.at.Add(e.GraceRemaining)) {
				t.Errorf("GraceExpiresAt %v, want now + remaining = %v", e.GraceExpiresAt, tt.at.Add(e.GraceRemaining))
			}
		})
	}
}

func TestEvaluateDetails(t *testing.T) {
	kms := withGrant(keyed(KMSClient), kmsGrant(t0, "hw1"))
	mak := withGrant(keyed(MAK), makGrant(t0, "hw1"))
	late := t0.Add(60 * day)
	tests := []struct {
		name                string
		p                   Product
		at                  time.Time
		hwid                string
		permanent, reduced  bool
		activationExpiresAt time.Time
		graceExpiresAt      time.Time
	}{
		{"MAK is permanent", mak, t0.Add(10000 * day), "hw1", true, false, time.Time{}, time.Time{}},
		{"KMS expiry shown while licensed", kms, t0.Add(day), "hw1", false, false, t0.Add(180 * day), time.Time{}},
		{"KMS expiry hidden once lapsed", kms, t0.Add(200 * day), "hw1", false, false, time.Time{}, t0.Add(210 * day)},
		{"retail notification has reduced functionality", keyed(Retail), late, "hw1", false, true, time.Time{}, t0.Add(30 * day)},
		{"retail after hardware change has reduced functionality",
			observed(withGrant(keyed(Retail), makGrant(t0, "hw1")), t0.Add(day)), late, "hw2", false, true, time.Time{}, t0.Add(31 * day)},
		{"MAK notification keeps function", keyed(MAK), late, "hw1", false, false, time.Time{}, t0.Add(30 * day)},
		{"KMS client notification keeps function", keyed(KMSClient), late, "hw1", false, false, time.Time{}, t0.Add(30 * day)},
		{"retail in grace keeps function", keyed(Retail), t0.Add(day), "hw1", false, false, time.Time{}, t0.Add(30 * day)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluate(tt.p, Policy{}, tt.at, tt.hwid)
			if e.Permanent != tt.permanent || e.ReducedFunctionality != tt.reduced {
				t.Errorf("permanent %v reduced %v, want %v %v", e.Permanent, e.ReducedFunctionality, tt.permanent, tt.reduced)
			}
			if !e.ActivationExpiresAt.Equal(tt.activationExpiresAt) {
				t.Errorf("ActivationExpiresAt %v, want %v", e.ActivationExpiresAt, tt.activationExpiresAt)
			}
			if !e.GraceExpiresAt.Equal(tt.graceExpiresAt) {
				t.Errorf("GraceExpiresAt %v, want %v", e.GraceExpiresAt, tt.graceExpiresAt)
			}
		})
	}
}

func TestEvaluateRearmStatus(t *testing.T) {
	used := func(p Product, n int) Product { p.RearmCount = n; return p }
	kms := withGrant(keyed(KMSClient), kmsGrant(t0, "hw1"))
	tests := []struct {
		name      string
		p         Product
		pol       Policy
		at        time.Time
		remaining int
		allowed   bool
		reason    string
	}{
		{"fresh", keyed(MAK), Policy{}, t0, 5, true, ""},
		{"in notification", used(keyed(MAK), 4), Policy{}, t0.Add(40 * day), 1, true, ""},
		{"all used", used(keyed(MAK), 5), Policy{}, t0, 0, false, "no rearms left (5 of 5 used)"},
		{"catalog limit", used(keyed(MAK), 2), Policy{RearmLimit: 2}, t0, 0, false, "no rearms left (2 of 2 used)"},
		{"activated", kms, Policy{}, t0.Add(day), 5, false, "the product is activated"},
		{"activated and all used", used(kms, 5), Policy{}, t0.Add(day), 0, false, "the product is activated"},
		{"KMS lapsed", kms, Policy{}, t0.Add(181 * day), 5, true, ""},
		{"no key", Product{}, Policy{}, t0, 5, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluate(tt.p, tt.pol, tt.at, "hw1")
			if e.RearmRemaining != tt.remaining || e.RearmAllowed != tt.allowed || e.RearmBlockedReason != tt.reason {
				t.Errorf("got remaining %d allowed %v %q, want %d %v %q",
					e.RearmRemaining, e.RearmAllowed, e.RearmBlockedReason, tt.remaining, tt.allowed, tt.reason)
			}
		})
	}
}
