package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/protocol"
)

// askState sends host i one request of machine hw for sku with the client
// state cs, and wants an answer (activated or count too low).
func (s *sharedSite) askState(hc *http.Client, i int, sku, hw string, cs protocol.ClientState) {
	s.t.Helper()
	r := protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: sku, HardwareID: hw,
		CMID: "cmid-" + hw, ClientTime: time.Now().UTC(), Nonce: fmt.Sprintf("n-%s-%d", hw, time.Now().UnixNano()), State: &cs}
	status, body, err := postJSON(hc, "http://"+s.addr(i)+"/v1/kms/activate", r)
	if err != nil || status != http.StatusOK && status != http.StatusConflict {
		s.t.Fatalf("%s on host %d: HTTP %d %s %v", hw, i+1, status, body, err)
	}
}

// metric reads an unlabelled metric of host i's /metrics ("" if absent).
func (s *sharedSite) metric(i int, name string) string {
	resp, err := http.Get("http://" + s.addr(i) + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			return rest
		}
	}
	return ""
}

// siteStateResets returns the state_reset events of `kms events --db`, by
// host name.
func (s *sharedSite) siteStateResets() map[string]int {
	var evs struct {
		Events []kms.Event `json:"events"`
	}
	volactJSON(s.t, s.env, &evs, "kms", "events", "--data", s.dirs[2], "--db", s.dsn, "--json")
	out := map[string]int{}
	for _, e := range evs.Events {
		if e.Kind == protocol.StateReset {
			out[e.Host]++
		}
	}
	return out
}

// TestSharedKMSStateReset: a machine that rearmed twice activates on host
// 1; once host 2, which never saw it, has merged the site's client states,
// the machine asks host 2 with its store edited back (rearm count 0, a
// later grace start). Host 2 records a state_reset, which the site's
// `kms events --db` lists under kms-2; the machine's renewals afterwards,
// on host 2 and on host 1 (once it merged the reset), record none, and
// neither do the renewals of another machine.
func TestSharedKMSStateReset(t *testing.T) {
	needKill(t)
	s := newSharedSite(t, "workstation-ent")
	hc := &http.Client{Timeout: 10 * time.Second}
	now := time.Now().UTC()
	rearmed := protocol.ClientState{GraceStart: now.Add(-24 * time.Hour), RearmCount: 2, TrustedTime: now}
	s.askState(hc, 0, "workstation-ent", "hw-edited", rearmed)
	s.askState(hc, 0, "workstation-ent", "hw-other", rearmed)
	// Every host holds both machines' states once it merged them.
	s.waitAll("merged the site's client states", func(i int) bool { return s.metric(i, "volact_kms_client_states") == "2" })
	merged := s.metric(0, "volact_kms_client_states_merged_total")
	edited := protocol.ClientState{GraceStart: now.Add(-time.Hour), RearmCount: 0, TrustedTime: now}
	s.askState(hc, 1, "workstation-ent", "hw-edited", edited)
	if got := s.metric(1, "volact_kms_state_resets_total"); got != "1" {
		t.Fatalf("host 2 volact_kms_state_resets_total %q after the edited store, want 1", got)
	}
	// The reset state replaces the higher one on every host: a renewal of
	// the edited store is no second reset, on host 2 or on host 1 once it
	// merged the reset; the other machine renews as before.
	s.askState(hc, 1, "workstation-ent", "hw-edited", edited)
	s.waitAll("merged the reset", func(i int) bool { return i != 0 || s.metric(0, "volact_kms_client_states_merged_total") != merged })
	s.askState(hc, 0, "workstation-ent", "hw-edited", edited)
	s.askState(hc, 1, "workstation-ent", "hw-other", rearmed)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resets := s.siteStateResets()
		if resets["kms-2"] == 1 && len(resets) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kms events --db state_reset events by host: %v, want kms-2: 1", resets)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.waitAll("shipped every answered request", func(i int) bool {
		st, _, backlog := s.health(i)
		return st == "ok" && backlog == 0
	})
	for i := range 3 {
		if got := s.metric(i, "volact_kms_state_resets_total"); i != 1 && got != "0" || i == 1 && got != "1" {
			t.Errorf("host %d volact_kms_state_resets_total %q, want 1 on host 2 only", i+1, got)
		}
	}
	if resets := s.siteStateResets(); resets["kms-2"] != 1 || len(resets) != 1 {
		t.Errorf("kms events --db state_reset events by host: %v, want kms-2: 1", resets)
	}
}
