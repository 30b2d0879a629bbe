package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/productkey"
)

// TestClonedMAKSpends is issue 11 item 4 on the service's side, with real
// processes: the activation service records each MAK activation's
// identity sources, so a clone that kept /etc/machine-id (the hardware id)
// is another machine there too. On a MAK of 2 activations: the machine
// spends one; with a replaced network card it activates again for
// nothing; its clone spends the second (the stock client, not a forger,
// would otherwise license any number of clones with one activation); a
// second clone is refused with 0xC004C020.
func TestClonedMAKSpends(t *testing.T) {
	now := time.Now().UTC()
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth")
	a := newAuthority(t, auth, now, "")
	svc := startServe(t, []string{"NO_COLOR=1"}, "mak", "serve", "--dir", auth, "--listen", "127.0.0.1:0")
	url := svc.addr
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	key, err := a.Mint(productkey.MAK, "suite-pro", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	vm := fakeLinux{
		machineID:   "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		productUUID: "564d8f2a-1b3c-4d5e-6f70-8192a3b4c5d6",
		boardSerial: "None",
		nics:        map[string]string{"eth0": "00:50:56:a1:b2:c3"},
	}
	newNIC := vm
	newNIC.nics = map[string]string{"eth0": "00:50:56:a1:b2:ff"}
	clone := vm
	clone.productUUID = "564d0000-aaaa-bbbb-cccc-ddddeeeeffff"
	clone.nics = map[string]string{"eth0": "00:50:56:ee:ee:01"}
	clone2 := vm
	clone2.productUUID = "564d0000-aaaa-bbbb-cccc-000000000002"
	clone2.nics = map[string]string{"eth0": "00:50:56:ee:ee:02"}

	env := func(store, root string) []string {
		return []string{"VOLACT_STORE=" + store, "VOLACT_MACHINE_ID=", "VOLACT_TEST_MACHINE_ROOT=" + root,
			"NO_COLOR=1", "TZ=UTC", "VOLACT_CATALOG=" + filepath.Join(auth, authority.CatalogFile), "VOLACT_SERVICE=" + url}
	}
	base := filepath.Join(dir, "activated")
	if code, out, errOut := volactRun(t, env(base, vm.root(t)), "inpkey", key.String()); code != 0 {
		t.Fatalf("inpkey: exit %d\n%s%s", code, out, errOut)
	}
	used := func() int {
		t.Helper()
		var st ledger.KeyStatus
		volactJSON(t, nil, &st, "mak", "remaining", key.String(), "--dir", auth, "--json")
		return st.Used
	}
	for _, s := range []struct {
		name     string
		machine  fakeLinux
		code     int
		stderr   string
		wantUsed int
	}{
		{"the machine", vm, 0, "", 1},
		{"the machine with a new network card", newNIC, 0, "", 1},
		{"a clone that kept machine-id", clone, 0, "", 2},
		{"the machine again", vm, 0, "", 2},
		{"a second clone", clone2, 5, "0xC004C020", 2},
	} {
		// Each machine starts from a copy of the installed store, as a
		// clone of the VM image would.
		store := filepath.Join(t.TempDir(), "store")
		if err := os.CopyFS(store, os.DirFS(base)); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := volactRun(t, env(store, s.machine.root(t)), "act")
		if code != s.code || !strings.Contains(errOut, s.stderr) {
			t.Fatalf("%s: act exited %d, want %d with %q\n%s%s", s.name, code, s.code, s.stderr, out, errOut)
		}
		if got := used(); got != s.wantUsed {
			t.Fatalf("%s: %d activations used, want %d", s.name, got, s.wantUsed)
		}
		if strings.Contains(out+errOut, key.String()) {
			t.Fatalf("%s: the full key was printed", s.name)
		}
	}
}
