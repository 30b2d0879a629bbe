package e2e_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// TestStateResetReported runs the volact command against a real
// activation service: a machine rearms and activates, its owner edits the
// store (rearm count lowered, grace start and trusted time moved later,
// checksum fixed) and activates again. The activation succeeds; the
// service records a state_reset event for the machine and counts it in
// /metrics.
func TestStateResetReported(t *testing.T) {
	now := time.Now().UTC()
	dir := t.TempDir()
	a, l, ts := startService(t, dir, now)
	key, err := a.Mint(productkey.MAK, "suite-pro", 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	env := []string{"VOLACT_STORE=" + store, "VOLACT_MACHINE_ID=machine-reset", "NO_COLOR=1",
		"VOLACT_CATALOG=" + filepath.Join(dir, "auth", authority.CatalogFile), "VOLACT_SERVICE=" + ts.URL}
	run := func(args ...string) {
		t.Helper()
		if code, out, errOut := volactRun(t, env, args...); code != 0 {
			t.Fatalf("volact %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	run("inpkey", key.String())
	run("rearm")
	run("act")
	run("act")
	if n := stateResets(t, l); n != 0 {
		t.Fatalf("before the edit: %d state_reset events", n)
	}
	editState(t, filepath.Join(store, "state.json"), true, func(s map[string]any) {
		p := product(t, s, "suite-pro")
		p["rearm_count"] = 0
		p["grace_start"] = now.Add(time.Hour).Format(time.RFC3339)
		// Not after the trusted time: no command writes that (exit 7).
		s["trusted_time"] = p["grace_start"]
	})
	run("act")
	run("dstatus", "--check", "-q")
	if n := stateResets(t, l); n != 1 {
		t.Fatalf("after the edit: %d state_reset events, want 1", n)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "\nvolact_mak_state_resets_total 1\n") {
		t.Fatalf("metrics without volact_mak_state_resets_total 1:\n%s", body)
	}
}

// TestImplausibleStateReported: a client that sends a state no volact
// client writes (here a negative rearm count, which volact refuses to
// read from its store: an older volact, or a hand-written client) is
// recorded as a state_reset on the machine's first report, when the
// service has nothing to compare it with. The installation request comes
// from volact dinstid, is edited, and is exchanged by volactd mak proxy.
func TestImplausibleStateReported(t *testing.T) {
	dir := t.TempDir()
	a, l, ts := startService(t, dir, time.Now().UTC())
	key, err := a.Mint(productkey.MAK, "suite-pro", 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"VOLACT_STORE=" + filepath.Join(dir, "store"), "VOLACT_MACHINE_ID=machine-implausible", "NO_COLOR=1",
		"VOLACT_CATALOG=" + filepath.Join(dir, "auth", authority.CatalogFile)}
	if code, out, errOut := volactRun(t, env, "inpkey", key.String()); code != 0 {
		t.Fatalf("inpkey: exit %d\n%s%s", code, out, errOut)
	}
	code, text, errOut := volactRun(t, env, "dinstid")
	if code != 0 {
		t.Fatalf("dinstid: exit %d\n%s", code, errOut)
	}
	var req protocol.InstallationRequest
	if err := protocol.DecodeText(protocol.RequestPrefix, strings.TrimSpace(text), &req); err != nil || req.State == nil {
		t.Fatalf("dinstid text: %v, state %v", err, req.State)
	}
	req.State.RearmCount = -100
	edited, err := protocol.EncodeText(protocol.RequestPrefix, req)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := volactRun(t, nil, "mak", "proxy", "--service", ts.URL, edited); code != 0 {
		t.Fatalf("mak proxy: exit %d\n%s", code, errOut)
	}
	if n := stateResets(t, l); n != 1 {
		t.Fatalf("state_reset events after a negative rearm count: %d, want 1", n)
	}
}

func stateResets(t *testing.T, l *ledger.Ledger) int {
	t.Helper()
	evs, err := l.Events(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == "state_reset" {
			n++
		}
	}
	return n
}
