package license

import (
	"strings"
	"testing"
	"time"
)

// TestImplausible checks that the states the transitions write are
// plausible at the high-water mark of their run, and that hand-edited
// ones that would give more rearms or grace than the rules are not.
func TestImplausible(t *testing.T) {
	rearmed := mustRearm(t, keyed(MAK), t0.Add(10*day))
	negative := keyed(MAK)
	negative.RearmCount = -3
	future := keyed(MAK)
	future.GraceStart = t0.Add(300 * day)
	tests := []struct {
		name      string
		p         Product
		highWater time.Time
		want      string // a word of the reason; "" = plausible
	}{
		{"key installed now", keyed(MAK), t0, ""},
		{"rearmed", rearmed, t0.Add(10 * day), ""},
		{"hardware change observed", observed(withGrant(keyed(MAK), makGrant(t0, "hw1")), t0.Add(5*day)), t0.Add(5 * day), ""},
		{"realigned with the high-water mark", Realign(keyed(MAK), 2*day), t0.Add(-2 * day), ""},
		{"grace start within the tolerance", keyed(MAK), t0.Add(-RollbackTolerance), ""},
		{"no high-water mark kept (old store)", future, time.Time{}, ""},
		{"rearm count at the limit", func() Product { p := keyed(MAK); p.RearmCount = 5; return p }(), t0, ""},
		{"negative rearm count", negative, t0, "rearm count"},
		{"grace start after the high-water mark", future, t0.Add(day), "grace start"},
		{"grace start just past the tolerance", keyed(MAK), t0.Add(-RollbackTolerance - time.Second), "grace start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Implausible(tt.p, tt.highWater)
			if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Implausible = %q, want %q", got, tt.want)
			}
		})
	}
}
