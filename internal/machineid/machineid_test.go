package machineid

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/volact/volact/internal/machineid/machineidtest"
)

func read(t *testing.T, o Options) Identity {
	t.Helper()
	id, err := Read(o)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestHardwareIDUnchanged pins the wire hardware id (the values are
// printf "volact hardware id v1\0<raw>" | sha256sum, cut to 32): it must stay what
// volact derived before identities had several sources, or every existing
// grant and server record would be for another machine.
func TestHardwareIDUnchanged(t *testing.T) {
	if got, _ := ID("machine-a"); got != "b3d325e7200f3bdd256a0f20577355f8" {
		t.Errorf("ID(machine-a) = %s", got)
	}
	id := read(t, Options{Root: server.root(t)})
	if id.HardwareID != "94e8ff723f1135fb7ccd882a3c22fed7" {
		t.Errorf("hardware id from /etc/machine-id = %s", id.HardwareID)
	}
	if o := read(t, Options{Override: "  machine-a\n", Root: server.root(t)}); o.HardwareID != "b3d325e7200f3bdd256a0f20577355f8" {
		t.Errorf("override hardware id %s", o.HardwareID)
	}
}

func TestReadSources(t *testing.T) {
	cases := []struct {
		name  string
		m     fakeMachine
		want  []string
		nmacs int
	}{
		{"physical server", server, []string{"machine-id", "dmi-product-uuid", "board-serial", "macs"}, 2},
		{"vm with placeholder board serial", vm, []string{"machine-id", "dmi-product-uuid", "macs"}, 1},
		{"unreadable DMI files are skipped", server.with(func(m *fakeMachine) {
			m.productUUID, m.boardSerial = machineidtest.Unreadable, machineidtest.Unreadable
		}), []string{"machine-id", "macs"}, 2},
		{"placeholders are skipped", server.with(func(m *fakeMachine) {
			m.productUUID, m.boardSerial = "00000000-0000-0000-0000-000000000000", "To be filled by O.E.M."
			m.nics["eno3"] = "00:00:00:00:00:00"
			m.nics["eno4"] = "not a mac"
		}), []string{"machine-id", "macs"}, 2},
		{"no machine-id: DMI UUID is primary", server.with(func(m *fakeMachine) { m.machineID = "" }),
			[]string{"dmi-product-uuid", "board-serial", "macs"}, 2},
		{"only virtual interfaces", vm.with(func(m *fakeMachine) { m.nics = nil }),
			[]string{"machine-id", "dmi-product-uuid"}, 0},
		{"100 physical interfaces (SR-IOV): the first MaxDigests digests", vm.with(func(m *fakeMachine) {
			for i := range 100 {
				m.nics[fmt.Sprintf("vf%d", i)] = fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256)
			}
		}), []string{"machine-id", "dmi-product-uuid", "macs"}, MaxDigests},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := tc.m.root(t)
			id := read(t, Options{Root: root})
			if got := id.SourceNames(); !slices.Equal(got, tc.want) {
				t.Fatalf("sources %v, want %v", got, tc.want)
			}
			for _, s := range id.Sources {
				if s.Name == SourceMACs && len(s.Digests) != tc.nmacs {
					t.Errorf("%d MAC digests, want %d", len(s.Digests), tc.nmacs)
				}
				for _, d := range s.Digests {
					if len(d) != 32 || strings.Trim(d, "0123456789abcdef") != "" {
						t.Errorf("%s digest %q is not 32 hex", s.Name, d)
					}
				}
			}
			if again := read(t, Options{Root: root}); !equal(id, again) {
				t.Errorf("identity not stable: %+v vs %+v", id, again)
			}
		})
	}
}

func equal(a, b Identity) bool {
	return a.HardwareID == b.HardwareID && slices.EqualFunc(a.Sources, b.Sources, func(x, y Source) bool {
		return x.Name == y.Name && slices.Equal(x.Digests, y.Digests)
	})
}

// TestDigestsAreHashes checks that no raw identifier reaches the identity
// and that equal values of different sources hash differently.
func TestDigestsAreHashes(t *testing.T) {
	same := "4c4c4544-0042-3510-8052-b4c04f4d3432"
	m := server.with(func(m *fakeMachine) { m.machineID, m.productUUID = same, same })
	id := read(t, Options{Root: m.root(t)})
	if id.Sources[0].Digests[0] == id.Sources[1].Digests[0] {
		t.Error("machine-id and DMI UUID with one value have one digest: no domain separation")
	}
	dump := strings.ToLower(strings.Join(id.SourceNames(), " ") + " " + id.HardwareID)
	for _, s := range id.Sources {
		dump += " " + strings.Join(s.Digests, " ")
	}
	for _, raw := range []string{same, "7b2mzl2", "b8:ca:3a:6e:01:10", "b8ca3a6e0110"} {
		if strings.Contains(dump, raw) {
			t.Errorf("identity contains raw value %s", raw)
		}
	}
}

func TestReadOverride(t *testing.T) {
	id := read(t, Options{Override: " container-7 ", Root: server.root(t)})
	if got := id.SourceNames(); !slices.Equal(got, []string{"override"}) {
		t.Fatalf("override identity has sources %v", got)
	}
	if a, _ := ID("container-7"); a != id.HardwareID {
		t.Errorf("ID and Read disagree: %s vs %s", a, id.HardwareID)
	}
	if b := read(t, Options{Override: "container-8"}); b.HardwareID == id.HardwareID {
		t.Error("two overrides share a hardware id")
	}
}

func TestReadNothing(t *testing.T) {
	empty := fakeMachine{nics: map[string]string{"eth0": "00:11:22:33:44:55"}}
	if _, err := Read(Options{Root: empty.root(t)}); err == nil || !strings.Contains(err.Error(), "cannot read this machine's id") {
		t.Fatalf("a machine with only MACs: %v", err)
	}
}

func TestIDFromOS(t *testing.T) {
	id, err := ID("")
	if err != nil {
		t.Skipf("this machine has no OS id: %v", err)
	}
	if again, _ := ID(""); id != again {
		t.Fatalf("OS id not stable: %s vs %s", id, again)
	}
	full, err := Read(Options{})
	if err != nil || full.HardwareID != id || len(full.Sources) == 0 {
		t.Fatalf("Read from the OS: %+v %v (ID %s)", full, err, id)
	}
}
