package license

import (
	"testing"
	"time"
)

func TestTrustedNow(t *testing.T) {
	hw := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		highWater     time.Time
		now           time.Time
		wantEffective time.Time
		wantHigh      time.Time
		wantRolled    bool
	}{
		{"first use", time.Time{}, hw, hw, hw, false},
		{"clock moves on", hw, hw.Add(time.Hour), hw.Add(time.Hour), hw.Add(time.Hour), false},
		{"same time", hw, hw, hw, hw, false},
		{"back 9 minutes not detected", hw, hw.Add(-9 * time.Minute), hw.Add(-9 * time.Minute), hw, false},
		{"back exactly 10 minutes not detected", hw, hw.Add(-10 * time.Minute), hw.Add(-10 * time.Minute), hw, false},
		{"back 11 minutes detected", hw, hw.Add(-11 * time.Minute), hw, hw, true},
		{"back a year detected", hw, hw.AddDate(-1, 0, 0), hw, hw, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eff, high, rolled := TrustedNow(tt.highWater, tt.now)
			if !eff.Equal(tt.wantEffective) || !high.Equal(tt.wantHigh) || rolled != tt.wantRolled {
				t.Errorf("TrustedNow = (%v, %v, %v), want (%v, %v, %v)",
					eff, high, rolled, tt.wantEffective, tt.wantHigh, tt.wantRolled)
			}
		})
	}
}

// A user who sets the clock back to the last day of grace still gets
// notification: grace is computed from the high-water mark.
func TestRollbackDoesNotExtendGrace(t *testing.T) {
	p := InstallKey(Product{}, "suite-pro", "Suite Pro", KMSClient, "ABCDE", t0, "hw1", "cmid1")
	high := t0.Add(30 * day)
	for _, back := range []struct {
		by   time.Duration
		want Status
	}{
		{11 * time.Minute, Notification},
		{48 * time.Hour, Notification},
		{9 * time.Minute, OOBGrace}, // within tolerance: the clock is believed
	} {
		now, _, _ := TrustedNow(high, high.Add(-back.by))
		if got := Evaluate(p, Policy{}, now, "hw1").Status; got != back.want {
			t.Errorf("clock back %v at end of grace: status %s, want %s", back.by, got, back.want)
		}
	}
}
