package license

import (
	"testing"
	"time"
)

// run is one command in a scenario: the real time and the system time it
// sees (both from t0) and, when set, what it does to the product.
type run struct {
	real, sys time.Duration
	do        func(Product, time.Time) Product // nil: only look
}

// same is a run on a clock that is right.
func same(at time.Duration, do func(Product, time.Time) Product) run { return run{at, at, do} }

// TestGraceNotExtendedWithoutRearm plays sequences of commands with a
// moving clock and key switches on a MAK installed on day 0. No command
// may leave more grace than the honest timeline (30 days minus the real
// time elapsed, plus the real time between the last run on the right
// clock and the first after it was set back, which no local clock can
// see), and the product must be in notification at the final run.
func TestGraceNotExtendedWithoutRearm(t *testing.T) {
	inst := func(ch Channel, last5 string) func(Product, time.Time) Product {
		return func(p Product, now time.Time) Product {
			return InstallKey(p, "suite-pro", "Suite Pro", ch, last5, now, "hw1", "cmid-1")
		}
	}
	unpkey := func(p Product, _ time.Time) Product { return UninstallKey(p) }
	tests := []struct {
		name  string
		runs  []run
		final run // system time when the product must be in notification
	}{
		{"MAK to published KMS client key and back",
			[]run{same(20*day, inst(KMSClient, "KMSCL")), same(25*day, inst(MAK, "T83GX"))}, same(30*day, nil)},
		{"another MAK of the same product", []run{same(29*day, inst(MAK, "ZZZZZ"))}, same(30*day, nil)},
		{"unpkey and inpkey of another channel",
			[]run{same(10*day, unpkey), same(20*day, inst(KMSClient, "KMSCL")), same(29*day, unpkey), same(29*day, inst(MAK, "T83GX"))},
			same(30*day, nil)},
		{"clock set back a week and kept there, checked daily",
			[]run{same(20*day, nil), {21 * day, 14 * day, nil}, {22 * day, 15 * day, nil}, {26 * day, 19 * day, nil}},
			run{31 * day, 24 * day, nil}},
		{"clock set back, then key switches",
			[]run{same(25*day, nil), {25*day + time.Hour, 5 * day, inst(KMSClient, "KMSCL")}, {26 * day, 5*day + 23*time.Hour, inst(MAK, "T83GX")}},
			run{30*day + time.Hour, 10 * day, nil}},
		{"clock a year ahead once, then right again",
			[]run{same(day, nil), {day + time.Minute, 366 * day, nil}, same(2*day, nil)}, same(3*day, nil)},
		{"clock a day ahead, then back to real",
			[]run{same(10*day, nil), {10*day + time.Minute, 11 * day, nil}, same(10*day+time.Hour, nil)}, same(29*day+time.Hour, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := keyed(MAK) // installed at t0, real day 0
			clock := Clock{}
			_, clock, _ = clock.Now(t0)
			var lastRight, lost time.Duration // the real time hidden by a rollback
			for _, r := range append(tt.runs, tt.final) {
				now, next, rolled := clock.Now(t0.Add(r.sys))
				if rolled && r.sys != r.real && lost == 0 {
					lost = r.real - lastRight
				}
				if r.sys == r.real {
					lastRight = r.real
				}
				clock = next
				if r.do != nil {
					p = r.do(p, now)
				}
				e := Evaluate(p, Policy{}, now, "hw1")
				if honest := 30*day - r.real + lost; e.Status == OOBGrace && e.GraceRemaining > honest {
					t.Fatalf("run at real day %.2f: %v of grace left, honest %v", r.real.Hours()/24, e.GraceRemaining, honest)
				}
			}
			final, _, _ := clock.Now(t0.Add(tt.final.sys))
			if got := Evaluate(p, Policy{}, final, "hw1").Status; got != Notification {
				t.Errorf("at the final run (real day %.2f): %s, want notification", tt.final.real.Hours()/24, got)
			}
		})
	}
}

// TestClockDoesNotFreeze checks that grace keeps counting down while the
// high-water mark is ahead of the system clock.
func TestClockDoesNotFreeze(t *testing.T) {
	tests := []struct {
		name  string
		ahead time.Duration // how far the high-water mark is ahead of the clock
	}{
		{"a day ahead", day},
		{"a year ahead", 365 * day},
		{"11 minutes ahead", 11 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := Clock{HighWater: t0.Add(tt.ahead), Wall: t0.Add(tt.ahead)}
			first, clock, rolled := clock.Now(t0)
			if !rolled || !first.Equal(t0.Add(tt.ahead)) {
				t.Fatalf("first run: %v rolled back %v, want the high-water mark and a rollback", first, rolled)
			}
			later, _, _ := clock.Now(t0.Add(5 * time.Hour))
			if got := later.Sub(first); got != 5*time.Hour && tt.ahead > 5*time.Hour {
				t.Errorf("5 hours later the trusted time moved %v, want 5h", got)
			}
			if !later.After(first) {
				t.Errorf("trusted time froze at %v", first)
			}
		})
	}
}

// TestClockHighWaterNeverBeyondObserved checks that no run sets the
// high-water mark beyond the time it observed (plus nothing).
func TestClockHighWaterNeverBeyondObserved(t *testing.T) {
	clock := Clock{}
	for _, at := range []time.Duration{0, time.Hour, 30 * time.Minute, 2 * time.Hour, 8760 * time.Hour, time.Hour, 3 * time.Hour} {
		sys := t0.Add(at)
		eff, next, _ := clock.Now(sys)
		if next.HighWater.After(eff) {
			t.Fatalf("at %v: high-water %v beyond the trusted time %v", at, next.HighWater, eff)
		}
		if !eff.Equal(sys) && eff.Before(clock.HighWater) {
			t.Fatalf("at %v: trusted time %v went back before %v", at, eff, clock.HighWater)
		}
		clock = next
	}
}

// TestRealignKeepsRemainingGrace checks that moving the timeline back to an
// authoritative time gives no grace back.
func TestRealignKeepsRemainingGrace(t *testing.T) {
	p := keyed(MAK)
	ahead := t0.Add(200 * day) // trusted time after a jump; grace spent
	before := Evaluate(p, Policy{}, ahead, "hw1")
	d := 190 * day
	after := Evaluate(Realign(p, d), Policy{}, ahead.Add(-d), "hw1")
	if before.Status != after.Status || before.GraceRemaining != after.GraceRemaining {
		t.Errorf("realign changed the grace: %s %v -> %s %v", before.Status, before.GraceRemaining, after.Status, after.GraceRemaining)
	}
	q := keyed(MAK)
	mid := t0.Add(10 * day)
	if a, b := Evaluate(q, Policy{}, mid, "hw1").GraceRemaining, Evaluate(Realign(q, 5*day), Policy{}, mid.Add(-5*day), "hw1").GraceRemaining; a != b {
		t.Errorf("realign during grace: %v -> %v", a, b)
	}
	if got := Realign(q, -day); got != q {
		t.Errorf("a negative realign changed the product")
	}
}
