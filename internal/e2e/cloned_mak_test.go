package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/productkey"
)

// cloneLab is a real volactd mak serve and a MAK of a given limit
// installed in the store of a VM image; each machine of a test starts from
// a copy of that store, as a clone of the image would.
type cloneLab struct {
	t         *testing.T
	auth, url string
	base      string // the installed store
	key       productkey.Key
	svc       *serveProc
}

// newCloneLab starts the service and installs a MAK of limit activations
// for suite-pro on machine m.
func newCloneLab(t *testing.T, limit int, m fakeLinux) *cloneLab {
	t.Helper()
	dir := t.TempDir()
	lab := &cloneLab{t: t, auth: filepath.Join(dir, "auth"), base: filepath.Join(dir, "activated")}
	a := newAuthority(t, lab.auth, time.Now().UTC(), "")
	lab.svc = startServe(t, []string{"NO_COLOR=1"}, "mak", "serve", "--dir", lab.auth, "--listen", "127.0.0.1:0")
	lab.url = lab.svc.addr
	if !strings.Contains(lab.url, "://") {
		lab.url = "http://" + lab.url
	}
	var err error
	if lab.key, err = a.Mint(productkey.MAK, "suite-pro", limit, 0); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := volactRun(t, lab.env(lab.base, m.root(t)), "inpkey", lab.key.String()); code != 0 {
		t.Fatalf("inpkey: exit %d\n%s%s", code, out, errOut)
	}
	return lab
}

// env is the environment of volact on the machine whose identity is under
// root, with its store at store.
func (lab *cloneLab) env(store, root string) []string {
	return []string{"VOLACT_STORE=" + store, "VOLACT_MACHINE_ID=", "VOLACT_TEST_MACHINE_ROOT=" + root,
		"NO_COLOR=1", "TZ=UTC", "VOLACT_CATALOG=" + filepath.Join(lab.auth, authority.CatalogFile), "VOLACT_SERVICE=" + lab.url}
}

// clone returns the environment of machine m on a fresh copy of the
// installed store.
func (lab *cloneLab) clone(m fakeLinux) []string {
	lab.t.Helper()
	store := filepath.Join(lab.t.TempDir(), "store")
	if err := os.CopyFS(store, os.DirFS(lab.base)); err != nil {
		lab.t.Fatal(err)
	}
	return lab.env(store, m.root(lab.t))
}

// used is the activations spent on the key, as mak remaining reports.
func (lab *cloneLab) used() int {
	lab.t.Helper()
	var st ledger.KeyStatus
	volactJSON(lab.t, nil, &st, "mak", "remaining", lab.key.String(), "--dir", lab.auth, "--json")
	return st.Used
}

// clonedVM is a VM image (a placeholder board serial, as hypervisors
// report it) and its clones: the same machine-id, their own DMI UUID and
// MACs.
var clonedVM = fakeLinux{
	machineID:   "a1b2c3d4e5f60718293a4b5c6d7e8f90",
	productUUID: "564d8f2a-1b3c-4d5e-6f70-8192a3b4c5d6",
	boardSerial: "None",
	nics:        map[string]string{"eth0": "00:50:56:a1:b2:c3"},
}

// cloneOfVM is clone i (1, 2, ...) of clonedVM with nics physical
// interfaces.
func cloneOfVM(i, nics int) fakeLinux {
	c := clonedVM
	c.productUUID = fmt.Sprintf("564d0000-aaaa-bbbb-cccc-%012d", i)
	c.nics = map[string]string{}
	for n := range nics {
		c.nics[fmt.Sprintf("eth%d", n)] = fmt.Sprintf("02:ee:%02x:00:%02x:%02x", i, n/256, n%256)
	}
	return c
}

// TestClonedMAKSpends is issue 11 item 4 on the service's side, with real
// processes: the activation service records each MAK activation's
// identity sources, so a clone that kept /etc/machine-id (the hardware id)
// is another machine there too. On a MAK of 2 activations: the machine
// spends one; with a replaced network card it activates again for
// nothing; its clone spends the second (the stock client, not a forger,
// would otherwise license any number of clones with one activation); a
// second clone is refused with 0xC004C020.
func TestClonedMAKSpends(t *testing.T) {
	lab := newCloneLab(t, 2, clonedVM)
	newNIC := clonedVM
	newNIC.nics = map[string]string{"eth0": "00:50:56:a1:b2:ff"}
	for _, s := range []struct {
		name     string
		machine  fakeLinux
		code     int
		stderr   string
		wantUsed int
	}{
		{"the machine", clonedVM, 0, "", 1},
		{"the machine with a new network card", newNIC, 0, "", 1},
		{"a clone that kept machine-id", cloneOfVM(1, 1), 0, "", 2},
		{"the machine again", clonedVM, 0, "", 2},
		{"a second clone", cloneOfVM(2, 1), 5, "0xC004C020", 2},
	} {
		code, out, errOut := volactRun(t, lab.clone(s.machine), "act")
		if code != s.code || !strings.Contains(errOut, s.stderr) {
			t.Fatalf("%s: act exited %d, want %d with %q\n%s%s", s.name, code, s.code, s.stderr, out, errOut)
		}
		if got := lab.used(); got != s.wantUsed {
			t.Fatalf("%s: %d activations used, want %d", s.name, got, s.wantUsed)
		}
		if strings.Contains(out+errOut, lab.key.String()) {
			t.Fatalf("%s: the full key was printed", s.name)
		}
	}
}
