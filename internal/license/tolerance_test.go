package license

import "testing"

// TestEvaluateOnTolerance checks that a caller's hardware-tolerance match
// decides instead of the hardware id when it is given.
func TestEvaluateOnTolerance(t *testing.T) {
	mak := withGrant(keyed(MAK), makGrant(t0, "hw1"))
	kms := withGrant(keyed(KMSClient), kmsGrant(t0, "hw1"))
	at := t0.Add(10 * day)
	in := Machine{HardwareID: "hw1", Tolerance: true, InTolerance: true}
	out := Machine{HardwareID: "hw1", Tolerance: true, InTolerance: false}
	tests := []struct {
		name string
		p    Product
		m    Machine
		want Status
	}{
		{"MAK, no tolerance check, same id", mak, Machine{HardwareID: "hw1"}, Licensed},
		{"MAK, no tolerance check, other id", mak, Machine{HardwareID: "hw2"}, OOTGrace},
		{"MAK in tolerance", mak, in, Licensed},
		{"MAK in tolerance, primary source changed", mak, Machine{HardwareID: "hw2", Tolerance: true, InTolerance: true}, Licensed},
		{"MAK out of tolerance, same id (clone)", mak, out, OOTGrace},
		{"KMS in tolerance", kms, in, Licensed},
		{"KMS out of tolerance", kms, out, OOTGrace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EvaluateOn(tt.p, Policy{}, at, tt.m).Status; got != tt.want {
				t.Fatalf("status %s, want %s", got, tt.want)
			}
		})
	}
}

func TestObserveOnAndRearmOn(t *testing.T) {
	mak := withGrant(keyed(MAK), makGrant(t0, "hw1"))
	clone := Machine{HardwareID: "hw1", Tolerance: true}
	seen := ObserveOn(mak, t0.Add(5*day), clone)
	if seen.GraceKind != OOTGrace || !seen.GraceStart.Equal(t0.Add(5*day)) {
		t.Fatalf("out of tolerance not observed: %s from %v", seen.GraceKind, seen.GraceStart)
	}
	e := EvaluateOn(seen, Policy{}, t0.Add(35*day), clone)
	if e.Status != Notification {
		t.Errorf("30 days after the clone was seen: %s, want notification", e.Status)
	}
	if kept := ObserveOn(mak, t0.Add(5*day), Machine{HardwareID: "hw2", Tolerance: true, InTolerance: true}); kept.GraceKind != OOBGrace {
		t.Errorf("in tolerance started a %s grace", kept.GraceKind)
	}
	// A clone (same hardware id, out of tolerance) may rearm; Rearm,
	// which compares hardware ids only, says the product is activated.
	if _, err := Rearm(seen, Policy{}, t0.Add(6*day), "cmid-2"); err == nil {
		t.Error("Rearm by hardware id allowed a rearm of an activated product")
	}
	p, err := RearmOn(seen, Policy{}, t0.Add(6*day), clone, "cmid-2")
	if err != nil || p.CMID != "cmid-2" || p.Grant != nil {
		t.Fatalf("RearmOn on a clone: %+v %v", p, err)
	}
	if _, err := RearmOn(mak, Policy{}, t0.Add(6*day), Machine{HardwareID: "x", Tolerance: true, InTolerance: true}, "c"); err == nil {
		t.Error("RearmOn allowed a rearm in tolerance")
	}
}
