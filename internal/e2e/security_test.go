package e2e_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
)

// TestForgedAndReplayed puts grants signed with other keys into an
// activated store (checksum fixed, as a careful forger would) and applies a
// proxy confirmation on machines it was not made for. Every one is refused
// (exit 7 for the store, a refusal for actcid) and nothing is licensed.
func TestForgedAndReplayed(t *testing.T) {
	now := time.Now().UTC()
	dir := t.TempDir()
	a, _, ts := startService(t, dir, now)
	other, err := authority.Init(filepath.Join(dir, "other"), now, authority.AllowOverrides(catalog.OverrideClock, catalog.OverrideMachineID))
	if err != nil {
		t.Fatal(err)
	}
	key, err := a.Mint(productkey.MAK, "suite-pro", 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	env := func(store, hwid string) []string {
		return []string{"VOLACT_STORE=" + store, "VOLACT_MACHINE_ID=" + hwid, "NO_COLOR=1",
			"VOLACT_CATALOG=" + filepath.Join(dir, "auth", authority.CatalogFile), "VOLACT_SERVICE=" + ts.URL}
	}
	must := func(env []string, args ...string) string {
		t.Helper()
		code, out, errOut := volactRun(t, env, args...)
		if code != 0 {
			t.Fatalf("volact %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	base := filepath.Join(dir, "activated")
	must(env(base, "machine-1"), "inpkey", key.String())
	must(env(base, "machine-1"), "act")

	// resign replaces the stored envelope with the same grant signed by
	// priv under cert.
	resign := func(priv ed25519.PrivateKey, cert string) func(t *testing.T, s map[string]any) {
		return func(t *testing.T, s map[string]any) {
			p := product(t, s, "suite-pro")
			payload, err := base64.StdEncoding.DecodeString(p["envelope"].(map[string]any)["payload"].(string))
			if err != nil {
				t.Fatal(err)
			}
			var g protocol.Grant
			if err := json.Unmarshal(payload, &g); err != nil {
				t.Fatal(err)
			}
			e, err := protocol.Seal(g, priv, cert)
			if err != nil {
				t.Fatal(err)
			}
			p["envelope"] = map[string]any{"payload": e.Payload, "signature": e.Signature, "certificate": e.Certificate}
		}
	}
	// relog replaces the stored envelope with the same grant logged, with a
	// receipt, in a log whose checkpoints priv signs, under cert.
	relog := func(priv ed25519.PrivateKey, cert string) func(t *testing.T, s map[string]any) {
		return func(t *testing.T, s map[string]any) {
			p := product(t, s, "suite-pro")
			payload, err := base64.StdEncoding.DecodeString(p["envelope"].(map[string]any)["payload"].(string))
			if err != nil {
				t.Fatal(err)
			}
			signer, err := translog.NewSigner(translog.Origin(translog.OriginMAK, priv.Public().(ed25519.PublicKey)), priv)
			if err != nil {
				t.Fatal(err)
			}
			m, err := translog.NewMemory(signer)
			if err != nil {
				t.Fatal(err)
			}
			r, err := m.Append(payload)
			if err != nil {
				t.Fatal(err)
			}
			e := protocol.Logged(payload, r, cert)
			data, _ := json.Marshal(e)
			var v map[string]any
			_ = json.Unmarshal(data, &v)
			p["envelope"] = v
		}
	}
	otherKey, otherCert, err := other.ServiceSigner(now)
	if err != nil {
		t.Fatal(err)
	}
	_, realCert, err := a.ServiceSigner(now)
	if err != nil {
		t.Fatal(err)
	}
	_, stray, _ := ed25519.GenerateKey(rand.Reader)
	forgeries := map[string]func(*testing.T, map[string]any){
		"signed by another authority's service key":                    resign(otherKey, otherCert),
		"signed by a stray key under the real certificate":             resign(stray, realCert),
		"signed by another authority's key under the real certificate": resign(otherKey, realCert),
		"logged by another authority's service key":                    relog(otherKey, otherCert),
		"logged by a stray key under the real certificate":             relog(stray, realCert),
	}
	for name, forge := range forgeries {
		t.Run(name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			if err := os.CopyFS(store, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(store, "state.json")
			editState(t, path, true, func(s map[string]any) { forge(t, s) })
			before, _ := os.ReadFile(path)
			for _, args := range [][]string{{"dstatus"}, {"xpr"}} {
				code, out, errOut := volactRun(t, env(store, "machine-1"), args...)
				if code != 7 || !strings.Contains(errOut, "(0xC004D301)") {
					t.Errorf("volact %s: exit %d, stderr %q; want exit 7 and 0xC004D301", args[0], code, errOut)
				}
				if strings.Contains(out, "LICENSED") || strings.Contains(out, "permanently") {
					t.Errorf("volact %s on a forged store printed success-looking text:\n%s", args[0], out)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the forged store was rewritten")
			}
		})
	}

	// A confirmation made for offline-1 is applied on other machines.
	offline := filepath.Join(dir, "offline")
	must(env(offline, "offline-1"), "inpkey", key.String())
	req := strings.TrimSpace(must(env(offline, "offline-1"), "dinstid"))
	conf := strings.TrimSpace(must(env(offline, "offline-1"), "mak", "proxy", req))
	for _, hw := range []string{"offline-2", "offline-10", "OFFLINE-1"} {
		store := filepath.Join(t.TempDir(), "store")
		must(env(store, hw), "inpkey", key.String())
		code, out, errOut := volactRun(t, env(store, hw), "actcid", conf)
		if code == 0 {
			t.Errorf("actcid of offline-1's confirmation on %q: exit 0\n%s", hw, out)
		}
		if st := must(env(store, hw), "dstatus"); strings.Contains(st, "---LICENSED---") {
			t.Errorf("%q is licensed by another machine's confirmation (actcid: %s)", hw, errOut)
		}
	}
	if code, out, errOut := volactRun(t, env(offline, "offline-1"), "actcid", conf); code != 0 {
		t.Errorf("actcid on the machine it was made for: exit %d\n%s%s", code, out, errOut)
	}
}
