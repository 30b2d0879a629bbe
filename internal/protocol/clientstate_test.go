package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestClientStateOptional checks that requests without the client state
// stay valid and that the state round-trips.
func TestClientStateOptional(t *testing.T) {
	old := `{"version":1,"kind":"kms","sku":"s","hardware_id":"h","cmid":"c","client_time":"2025-01-01T00:00:00Z","nonce":"n"}`
	var r ActivationRequest
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil || r.State != nil {
		t.Fatalf("an old request: err %v, state %v", err, r.State)
	}
	gs := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r.State = &ClientState{GraceStart: gs, RearmCount: 2, TrustedTime: gs.Add(time.Hour)}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"state":{"grace_start":"2025-01-01T00:00:00Z","rearm_count":2,"trusted_time":"2025-01-01T01:00:00Z"}`) {
		t.Errorf("wire form %s", b)
	}
	var back ActivationRequest
	if err := json.Unmarshal(b, &back); err != nil || back.State == nil || *back.State != *r.State {
		t.Errorf("round trip: %v %+v", err, back.State)
	}
	text, err := EncodeText(RequestPrefix, r)
	if err != nil {
		t.Fatal(err)
	}
	var fromText InstallationRequest
	if err := DecodeText(RequestPrefix, text, &fromText); err != nil || fromText.State == nil || fromText.State.RearmCount != 2 {
		t.Errorf("installation request text: %v %+v", err, fromText.State)
	}
}

func TestClientStateWentBack(t *testing.T) {
	g := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := ClientState{GraceStart: g, RearmCount: 2, TrustedTime: g.Add(48 * time.Hour)}
	tests := []struct {
		name string
		s    ClientState
		want bool
	}{
		{"same", seen, false},
		{"later trusted time", ClientState{GraceStart: g, RearmCount: 2, TrustedTime: g.Add(96 * time.Hour)}, false},
		{"rearm: later grace, higher count", ClientState{GraceStart: g.Add(72 * time.Hour), RearmCount: 3}, false},
		{"rearm count lowered", ClientState{GraceStart: g, RearmCount: 1}, true},
		{"grace start moved later", ClientState{GraceStart: g.Add(24 * time.Hour), RearmCount: 2}, true},
		{"grace start within tolerance", ClientState{GraceStart: g.Add(5 * time.Minute), RearmCount: 2}, false},
		{"grace start earlier (realigned)", ClientState{GraceStart: g.Add(-24 * time.Hour), RearmCount: 2}, false},
		{"fresh store (reimage)", ClientState{GraceStart: g.Add(30 * 24 * time.Hour)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := tt.s.WentBack(seen)
			if got != tt.want || (got && why == "") {
				t.Errorf("WentBack = %v %q, want %v", got, why, tt.want)
			}
			next := tt.s.Next(seen, got)
			if again, _ := tt.s.WentBack(next); again {
				t.Errorf("the same state again counts as a reset: kept %+v", next)
			}
		})
	}
}

// TestClientStateReset checks what servers record as state_reset: a state
// that went back, and a state no client writes (a negative rearm count,
// a grace start after the trusted time) even as a machine's first report,
// once per change.
func TestClientStateReset(t *testing.T) {
	g := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := ClientState{GraceStart: g, RearmCount: 1, TrustedTime: g.Add(time.Hour)}
	negative := ClientState{GraceStart: g, RearmCount: -100, TrustedTime: g.Add(time.Hour)}
	future := ClientState{GraceStart: g.Add(300 * 24 * time.Hour), TrustedTime: g.Add(time.Hour)}
	later := ok
	later.TrustedTime = later.TrustedTime.Add(24 * time.Hour)
	tests := []struct {
		name string
		s    ClientState
		seen *ClientState
		want string // a word of the reason; "" = no reset
	}{
		{"first report", ok, nil, ""},
		{"first report without a trusted time", ClientState{GraceStart: g}, nil, ""},
		{"same again", later, &ok, ""},
		{"went back", ClientState{GraceStart: g.Add(time.Hour), TrustedTime: g.Add(2 * time.Hour)}, &ok, "rearm count"},
		{"negative rearm count, first report", negative, nil, "negative"},
		{"grace start after the trusted time, first report", future, nil, "grace start"},
		{"negative rearm count reported before", ClientState{GraceStart: g, RearmCount: -100, TrustedTime: g.Add(48 * time.Hour)}, &negative, ""},
		{"negative rearm count after a rearm", ClientState{GraceStart: g.Add(2 * time.Hour), RearmCount: -99, TrustedTime: g.Add(2 * time.Hour)}, &negative, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := tt.s.Reset(tt.seen)
			if got != (tt.want != "") || !strings.Contains(why, tt.want) {
				t.Errorf("Reset = %v %q, want %q", got, why, tt.want)
			}
		})
	}
}

// TestClientStateMerge: of two states two servers kept for one machine,
// Merge keeps the one neither server would flag against the other (the
// higher rearm count; for equal counts the earlier grace start; a zero
// grace start is unknown) and the latest trusted time, whatever the order.
func TestClientStateMerge(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	st := func(rearm int, grace, trusted time.Duration) ClientState {
		s := ClientState{RearmCount: rearm, TrustedTime: t0.Add(trusted)}
		if grace >= 0 {
			s.GraceStart = t0.Add(grace)
		}
		return s
	}
	const none = -1 // no grace start (zero)
	for _, c := range []struct {
		name       string
		a, b, want ClientState
	}{
		{"same", st(1, 0, time.Hour), st(1, 0, time.Hour), st(1, 0, time.Hour)},
		{"higher rearm count wins with its grace start", st(2, 5*time.Hour, time.Hour), st(1, 0, 2*time.Hour), st(2, 5*time.Hour, 2*time.Hour)},
		{"equal counts: earlier grace start", st(1, 3*time.Hour, 9*time.Hour), st(1, time.Hour, 4*time.Hour), st(1, time.Hour, 9*time.Hour)},
		{"equal counts: a zero grace start is unknown", st(0, none, time.Hour), st(0, 2*time.Hour, time.Hour), st(0, 2*time.Hour, time.Hour)},
		{"higher count with a zero grace start", st(3, none, 0), st(2, time.Hour, 0), st(3, none, 0)},
		{"negative rearm count loses", st(-5, 0, time.Hour), st(0, 10*time.Hour, 0), st(0, 10*time.Hour, time.Hour)},
		{"trusted time is the latest", st(4, time.Hour, 30*time.Hour), st(4, time.Hour, 20*time.Hour), st(4, time.Hour, 30*time.Hour)},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, pair := range [][2]ClientState{{c.a, c.b}, {c.b, c.a}} {
				got := pair[0].Merge(pair[1])
				if got != c.want {
					t.Errorf("%+v.Merge(%+v) = %+v, want %+v", pair[0], pair[1], got, c.want)
				}
				for _, in := range pair {
					if back, why := got.WentBack(in); back {
						t.Errorf("merged %+v went back from %+v: %s", got, in, why)
					}
				}
			}
		})
	}
}
