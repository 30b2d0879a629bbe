package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/client"
)

// Static keys for in-process tests. The client cannot check a key's MAC,
// so any key with valid check symbols installs when its product id is in
// the catalog.
const (
	keySuiteMAK  = "D2Y94-TR9XC-HBD8K-W6C2Y-VVTHF" // MAK, product 1 (suite-pro)
	keyWsRetail  = "DGV9D-66GBJ-PDTVC-D3P32-QWR6W" // retail, product 2 (workstation-ent)
	keySuiteTypo = "D2Y94-TB9XC-HBD8K-W6C2Y-VVTHF" // keySuiteMAK with one symbol changed
)

// testEnv is a store with an installed catalog, in a temporary directory.
type testEnv struct {
	env map[string]string
	dir string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	root := t.TempDir()
	a, err := authority.Init(filepath.Join(root, "auth"), fixedNow, authority.AllowOverrides(catalog.OverrideClock, catalog.OverrideMachineID))
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(root, "store")
	if err := os.MkdirAll(store, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, client.CatalogFile), a.CatalogBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "config.yaml") // keeps the user's own config out
	if err := os.WriteFile(cfg, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return &testEnv{dir: root, env: map[string]string{
		"VOLACT_STORE": store, "VOLACT_MACHINE_ID": "test-machine-1", "VOLACT_CONFIG": cfg,
	}}
}

// run runs volact in-process as prog with args and returns stdout, stderr
// and the exit status.
func (e *testEnv) run(t *testing.T, prog string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	f, out, errOut := testFactory(e.env)
	code = MainWith(f, append([]string{prog}, args...))
	return out.String(), errOut.String(), code
}

// mustRun is run that fails the test on a non-zero exit status.
func (e *testEnv) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := e.run(t, "volact", args...)
	if code != 0 {
		t.Fatalf("volact %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// transcript runs each command line and joins "$ line" headers and the
// output; full keys must appear in no output.
func (e *testEnv) transcript(t *testing.T, lines ...string) []byte {
	t.Helper()
	var b strings.Builder
	for _, ln := range lines {
		args := strings.Fields(ln)
		out, errOut, code := e.run(t, args[0], args[1:]...)
		fmt.Fprintf(&b, "$ %s  [exit %d]\n%s", ln, code, out)
		for _, k := range []string{keySuiteMAK, keyWsRetail, keySuiteTypo} {
			if strings.Contains(out+errOut, k) {
				t.Errorf("%s: output contains the full key %s", ln, k[len(k)-5:])
			}
		}
	}
	return []byte(b.String())
}

// TestLegacySettingsGolden runs every settings verb in its ospp and slmgr
// form against a real store.
func TestLegacySettingsGolden(t *testing.T) {
	e := newTestEnv(t)
	ospp := e.transcript(t,
		"volact /sethst:kms.example.com", "volact /setprt:1700", "volact /cachst:FALSE",
		"volact /cachst:TRUE", "volact /remhst", "volact /sethst:bad/host", "volact /setprt:70000")
	checkGolden(t, "settings_ospp", ospp)
	slmgr := e.transcript(t,
		"slmgr.vbs /skms kms.example.com:1700", "slmgr.vbs /skms [fd00::5]:1688", "slmgr.vbs /skhc",
		"slmgr.vbs /ckhc", "slmgr.vbs /skms-domain:corp.example.com", "slmgr.vbs /ckms", "slmgr.vbs /skms a:b:c")
	checkGolden(t, "settings_slmgr", slmgr)
	checkSlmgrText(t, "", slmgr)
}

// TestLegacyKeyLifeGolden installs keys with the fixed clock and shows the
// views a fleet script reads, end to end through MainWith.
func TestLegacyKeyLifeGolden(t *testing.T) {
	utcLocal(t)
	e := newTestEnv(t)
	got := e.transcript(t,
		"slmgr /ipk "+keySuiteTypo, "ospp.vbs /inpkey:"+keySuiteTypo,
		"slmgr /ipk "+keySuiteMAK, "ospp.vbs /inpkey:"+keyWsRetail,
		"ospp.vbs /dstatus", "slmgr.vbs /dli", "slmgr.vbs /dlv suite-pro", "slmgr.vbs /xpr",
		"ospp.vbs /unpkey:QWR6W", "slmgr.vbs /upk", "ospp.vbs /dstatus", "slmgr.vbs /dli")
	checkGolden(t, "key_life", got)
}

// TestLegacyNotificationGolden moves the clock past the grace period.
func TestLegacyNotificationGolden(t *testing.T) {
	utcLocal(t)
	e := newTestEnv(t)
	e.mustRun(t, "inpkey", keyWsRetail)
	e.env["VOLACT_CLOCK_OFFSET"] = "721h"
	got := e.transcript(t, "ospp.vbs /dstatus", "slmgr.vbs /dli", "slmgr.vbs /xpr", "volact dstatus --check")
	checkGolden(t, "notification_retail", got)
}
