package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClonedMAKProxy: proxy activation (dinstid, volactd mak proxy,
// actcid) counts clones as online activation does, and machines with
// more physical interfaces than a request carries digests of (a host with
// SR-IOV virtual functions, each with a device link) activate both ways.
// On a MAK of 4: the machine online spends one; a clone through proxy
// spends the second, and again nothing; a clone with 80 interfaces spends
// the third online and a fourth machine with 80 through proxy; and a
// clone with 80 interfaces that gets a new card re-activates for nothing.
func TestClonedMAKProxy(t *testing.T) {
	lab := newCloneLab(t, 4, clonedVM)
	big := cloneOfVM(3, 80)
	bigNewNIC := big
	bigNewNIC.nics = map[string]string{"eth0": big.nics["eth0"], "eth1": "02:ff:ff:ff:ff:01"}
	steps := []struct {
		name     string
		machine  fakeLinux
		proxy    bool
		wantUsed int
	}{
		{"the machine, online", clonedVM, false, 1},
		{"a clone, through proxy", cloneOfVM(1, 1), true, 2},
		{"the clone again, through proxy", cloneOfVM(1, 1), true, 2},
		{"a clone with 80 interfaces, online", big, false, 3},
		{"it again, through proxy", big, true, 3},
		{"it with one old and one new card, online", bigNewNIC, false, 3},
		{"another clone with 80 interfaces, through proxy", cloneOfVM(4, 80), true, 4},
	}
	for _, s := range steps {
		env := lab.clone(s.machine)
		if s.proxy {
			proxyActivate(t, lab, env)
		} else if code, out, errOut := volactRun(t, env, "act"); code != 0 {
			t.Fatalf("%s: act exited %d\n%s%s", s.name, code, out, errOut)
		}
		if got := lab.used(); got != s.wantUsed {
			t.Fatalf("%s: %d activations used, want %d", s.name, got, s.wantUsed)
		}
	}
	// The true-up of the exported log counts what the ledger spent: each
	// clone once, whichever way it came and however often. The log is
	// exported with the service stopped (every answer was on disk first).
	lab.svc.kill()
	log := filepath.Join(t.TempDir(), "ledger.txt")
	if code, out, errOut := volactRun(t, nil, "mak", "ledger", "export", "--dir", lab.auth, "--out", log); code != 0 {
		t.Fatalf("ledger export: exit %d\n%s%s", code, out, errOut)
	}
	var tu struct {
		Keys []struct {
			Spent  int `json:"activations_spent"`
			Grants int `json:"grants"`
		} `json:"keys"`
	}
	volactJSON(t, nil, &tu, "ledger", "verify", log, "--json")
	if len(tu.Keys) != 1 || tu.Keys[0].Spent != lab.used() || tu.Keys[0].Grants != len(steps) {
		t.Fatalf("true-up %+v, want one key with %d activations spent and %d grants", tu.Keys, lab.used(), len(steps))
	}
}

// proxyActivate activates the machine of env through proxy activation:
// dinstid there, volactd mak proxy on a connected machine, actcid back.
func proxyActivate(t *testing.T, lab *cloneLab, env []string) {
	t.Helper()
	dir := t.TempDir()
	req, conf := filepath.Join(dir, "request.txt"), filepath.Join(dir, "confirmation.txt")
	if code, out, errOut := volactRun(t, env, "dinstid", "--out", req); code != 0 {
		t.Fatalf("dinstid: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := volactRun(t, nil, "mak", "proxy", "--service", lab.url, req)
	if code != 0 || !strings.HasPrefix(out, "VC1-") {
		t.Fatalf("mak proxy: exit %d\n%s%s", code, out, errOut)
	}
	if err := os.WriteFile(conf, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := volactRun(t, env, "actcid", conf); code != 0 {
		t.Fatalf("actcid: exit %d\n%s%s", code, out, errOut)
	}
}
