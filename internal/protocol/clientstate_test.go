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
