package license

import (
	"testing"
	"time"
)

func TestNextAttempt(t *testing.T) {
	m := time.Minute
	attempt := t0.Add(time.Hour)
	unact := RecordFailure(keyed(KMSClient), noHost, attempt, nil)
	custom := RecordFailure(keyed(KMSClient), noHost, attempt, &Intervals{Activation: 30, Renewal: 1440})
	act := ApplyGrant(keyed(KMSClient), kmsGrant(attempt, "hw1"), nil, attempt)
	actCustom := ApplyGrant(keyed(KMSClient), kmsGrant(attempt, "hw1"), &Intervals{Activation: 30, Renewal: 1440}, attempt)
	renewFailedAt := attempt.Add(10080*m + 5*m)
	renewFailed := RecordFailure(act, noHost, renewFailedAt, nil)
	lapsed := RecordFailure(act, noHost, attempt.Add(181*day), nil)
	mak := withGrant(keyed(MAK), makGrant(t0, "hw1"))
	makFailed := RecordFailure(keyed(MAK), noHost, attempt, nil)

	tests := []struct {
		name   string
		p      Product
		now    time.Time
		wantAt time.Time
		due    bool
	}{
		{"no key", Product{}, t0, time.Time{}, false},
		{"KMS never attempted", keyed(KMSClient), t0, t0, true},
		{"KMS retry 119 min", unact, attempt.Add(119 * m), attempt.Add(120 * m), false},
		{"KMS retry 120 min", unact, attempt.Add(120 * m), attempt.Add(120 * m), true},
		{"KMS custom retry 29 min", custom, attempt.Add(29 * m), attempt.Add(30 * m), false},
		{"KMS custom retry 30 min", custom, attempt.Add(30 * m), attempt.Add(30 * m), true},
		{"KMS renewal 10079 min", act, attempt.Add(10079 * m), attempt.Add(10080 * m), false},
		{"KMS renewal 10080 min", act, attempt.Add(10080 * m), attempt.Add(10080 * m), true},
		{"KMS custom renewal 1439 min", actCustom, attempt.Add(1439 * m), attempt.Add(1440 * m), false},
		{"KMS custom renewal 1440 min", actCustom, attempt.Add(1440 * m), attempt.Add(1440 * m), true},
		{"KMS failed renewal waits retry interval", renewFailed, renewFailedAt.Add(119 * m), renewFailedAt.Add(120 * m), false},
		{"KMS failed renewal retried", renewFailed, renewFailedAt.Add(120 * m), renewFailedAt.Add(120 * m), true},
		{"KMS lapsed retries at activation interval", lapsed, attempt.Add(181*day + 119*m), attempt.Add(181*day + 120*m), false},
		{"MAK activated never due", mak, t0.Add(1000 * day), time.Time{}, false},
		{"MAK never attempted", keyed(MAK), t0.Add(m), t0, true},
		{"MAK retry 119 min", makFailed, attempt.Add(119 * m), attempt.Add(120 * m), false},
		{"MAK retry 120 min", makFailed, attempt.Add(120 * m), attempt.Add(120 * m), true},
		{"MAK on new hardware due", observed(mak, t0.Add(day)), t0.Add(day), t0.Add(120 * m), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, at := NextAttempt(tt.p, tt.now)
			if due != tt.due || !at.Equal(tt.wantAt) {
				t.Errorf("NextAttempt = %v, %v; want %v, %v", due, at, tt.due, tt.wantAt)
			}
			e := Evaluate(tt.p, Policy{}, tt.now, tt.p.HardwareID)
			wantEval := tt.wantAt
			if tt.p.Channel != KMSClient {
				wantEval = time.Time{}
			}
			if !e.NextAttemptAt.Equal(wantEval) {
				t.Errorf("Eval.NextAttemptAt = %v, want %v", e.NextAttemptAt, wantEval)
			}
		})
	}
}

func TestEffectiveIntervals(t *testing.T) {
	if got := (Product{}).EffectiveIntervals(); got != (Intervals{120, 10080}) {
		t.Errorf("defaults: %+v", got)
	}
	if got := (Product{ActivationInterval: 30, RenewalInterval: 60}).EffectiveIntervals(); got != (Intervals{30, 60}) {
		t.Errorf("set: %+v", got)
	}
}
