package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/machineid/machineidtest"
	"github.com/volact/volact/internal/productkey"
)

// fakeLinux is the identity files of a Linux machine, written under a
// fake root that volact reads through VOLACT_TEST_MACHINE_ROOT (see
// TestMain): the layout of machineid's file sources.
type fakeLinux struct {
	machineID, productUUID, boardSerial string
	nics                                map[string]string // physical interfaces (with a device link): name -> MAC
}

// root writes m under a new temporary directory and returns it.
func (m fakeLinux) root(t *testing.T) string {
	t.Helper()
	return machineidtest.Linux{MachineID: m.machineID, ProductUUID: m.productUUID, BoardSerial: m.boardSerial, NICs: m.nics,
		Virtual: map[string]string{"lo": "00:00:00:00:00:00"}}.Root(t)
}

// TestClonedIdentity is issue 11 item 4 with real processes: a VM whose
// identity volact reads from a fake root (etc/machine-id, the DMI product
// UUID, a placeholder board serial as hypervisors report it, one NIC)
// activates a MAK against a real volactd mak serve, with no
// VOLACT_MACHINE_ID. Then, on copies of its store:
//
//   - a new MAC on its NIC (a replaced network card) leaves it licensed,
//     with "macs" reported as changed;
//   - a clone that keeps /etc/machine-id (so the same hardware id) but gets
//     a new DMI UUID and a new MAC is another machine: dstatus --json shows
//     oot_grace, and "hardware" lists machine-id as matched and the DMI
//     UUID and MACs as changed.
//
// The clone has the grant's hardware id, so a check of the hardware id
// alone would call it licensed: only the match over the recorded sources
// tells.
func TestClonedIdentity(t *testing.T) {
	now := time.Now().UTC()
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth")
	a := newAuthority(t, auth, now, "")
	svc := startServe(t, []string{"NO_COLOR=1"}, "mak", "serve", "--dir", auth, "--listen", "127.0.0.1:0")
	url := svc.addr
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	key, err := a.Mint(productkey.MAK, "suite-pro", 5, 0)
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

	env := func(store, root string) []string {
		return []string{"VOLACT_STORE=" + store, "VOLACT_MACHINE_ID=", "VOLACT_TEST_MACHINE_ROOT=" + root,
			"NO_COLOR=1", "TZ=UTC", "VOLACT_CATALOG=" + filepath.Join(auth, authority.CatalogFile), "VOLACT_SERVICE=" + url}
	}
	root1 := vm.root(t)
	base := filepath.Join(dir, "activated")
	for _, args := range [][]string{{"inpkey", key.String()}, {"act"}} {
		if code, out, errOut := volactRun(t, env(base, root1), args...); code != 0 {
			t.Fatalf("volact %s: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}

	// The grant is bound to the fake root's sources, not to this machine's
	// nor to an override: the placeholder board serial is left out.
	want, err := machineid.Read(machineid.Options{Root: root1})
	if err != nil {
		t.Fatal(err)
	}
	if names := want.SourceNames(); !slices.Equal(names, []string{machineid.SourceMachineID, machineid.SourceDMIProductUUID, machineid.SourceMACs}) {
		t.Fatalf("the fake root has sources %v", names)
	}
	var stored struct {
		State struct {
			Products map[string]struct {
				Hardware *machineid.Identity `json:"hardware"`
			} `json:"products"`
		} `json:"state"`
	}
	data, err := os.ReadFile(filepath.Join(base, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &stored); err != nil {
		t.Fatal(err)
	}
	if hw := stored.State.Products["suite-pro"].Hardware; hw == nil || hw.HardwareID != want.HardwareID ||
		!slices.Equal(hw.SourceNames(), want.SourceNames()) {
		t.Fatalf("the grant recorded hardware %+v, want the fake root's %+v", hw, want)
	}

	cases := []struct {
		name    string
		machine fakeLinux
		status  license.Status
		ok      bool
		matched []string
		changed []string
	}{
		{"the same machine", vm, license.Licensed, true,
			[]string{"machine-id", "dmi-product-uuid", "macs"}, []string{}},
		{"a new MAC only", newNIC, license.Licensed, true,
			[]string{"machine-id", "dmi-product-uuid"}, []string{"macs"}},
		{"a clone: same machine-id, new DMI UUID and MAC", clone, license.OOTGrace, false,
			[]string{"machine-id"}, []string{"dmi-product-uuid", "macs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := c.machine.root(t)
			if id, err := machineid.Read(machineid.Options{Root: root}); err != nil || id.HardwareID != want.HardwareID {
				t.Fatalf("hardware id %v %v, want the activated machine's %s (same /etc/machine-id)", id.HardwareID, err, want.HardwareID)
			}
			store := filepath.Join(t.TempDir(), "store")
			if err := os.CopyFS(store, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			st := productStatus(t, env(store, root), "suite-pro")
			if st.Status != c.status {
				t.Errorf("dstatus --json: status %v, want %v", st.Status, c.status)
			}
			if hw := st.Hardware; hw == nil || hw.OK != c.ok || !slices.Equal(hw.Matched, c.matched) ||
				!slices.Equal(hw.Changed, c.changed) || len(hw.Missing) != 0 {
				t.Errorf("dstatus --json: hardware %+v, want ok %v, matched %v, changed %v, nothing missing",
					hw, c.ok, c.matched, c.changed)
			}
			code, out, errOut := volactRun(t, env(store, root), "dstatus")
			if wantText := "---" + strings.ToUpper(c.status.String()) + "---"; code != 0 || !strings.Contains(out, wantText) {
				t.Errorf("dstatus: exit %d, want %s\n%s%s", code, wantText, out, errOut)
			}
		})
	}
}
