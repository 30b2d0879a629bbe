package machineid

import (
	"slices"
	"testing"

	"github.com/volact/volact/internal/machineid/machineidtest"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		name                      string
		recorded, now             fakeMachine
		ok                        bool
		matched, changed, missing []string
	}{
		{"same machine", server, server, true,
			[]string{"machine-id", "dmi-product-uuid", "board-serial", "macs"}, nil, nil},
		{"one NIC replaced", server, server.with(func(m *fakeMachine) { m.nics["eno1"] = "a0:36:9f:00:00:01" }), true,
			[]string{"machine-id", "dmi-product-uuid", "board-serial", "macs"}, nil, nil},
		{"every NIC replaced, renamed", server, server.with(func(m *fakeMachine) {
			m.nics = map[string]string{"enp3s0": "a0:36:9f:00:00:01"}
		}), true, []string{"machine-id", "dmi-product-uuid", "board-serial"}, []string{"macs"}, nil},
		{"a USB NIC plugged in", vm, vm.with(func(m *fakeMachine) { m.nics["enx0"] = "00:e0:4c:68:00:01" }), true,
			[]string{"machine-id", "dmi-product-uuid", "macs"}, nil, nil},
		{"board replaced: half still match", server, server.with(func(m *fakeMachine) {
			m.productUUID, m.boardSerial = "4c4c4544-0000-1111-2222-333344445555", "NEWBOARD01"
		}), true, []string{"machine-id", "macs"}, []string{"dmi-product-uuid", "board-serial"}, nil},
		{"disk reimaged: new machine-id", server, server.with(func(m *fakeMachine) {
			m.machineID = "0000aaaa1111bbbb2222cccc3333dddd"
		}), true, []string{"dmi-product-uuid", "board-serial", "macs"}, []string{"machine-id"}, nil},
		{"board and NICs replaced: one of four", server, server.with(func(m *fakeMachine) {
			m.productUUID, m.boardSerial = "4c4c4544-0000-1111-2222-333344445555", "NEWBOARD01"
			m.nics = map[string]string{"eno1": "a0:36:9f:00:00:01"}
		}), false, []string{"machine-id"}, []string{"dmi-product-uuid", "board-serial", "macs"}, nil},
		{"cloned server", server, cloneOf(server), false,
			[]string{"machine-id"}, []string{"dmi-product-uuid", "board-serial", "macs"}, nil},
		{"cloned VM", vm, cloneOf(vm), false,
			[]string{"machine-id"}, []string{"dmi-product-uuid", "macs"}, nil},
		{"DMI unreadable now: half still match", server, server.with(func(m *fakeMachine) {
			m.productUUID, m.boardSerial = machineidtest.Unreadable, machineidtest.Unreadable
		}), true, []string{"machine-id", "macs"}, nil, []string{"dmi-product-uuid", "board-serial"}},
		{"clone with DMI hidden", server, cloneOf(server).with(func(m *fakeMachine) {
			m.productUUID, m.boardSerial = machineidtest.Unreadable, ""
		}), false, []string{"machine-id"}, []string{"macs"}, []string{"dmi-product-uuid", "board-serial"}},
		{"source appears later: ignored", server.with(func(m *fakeMachine) { m.boardSerial = machineidtest.Unreadable }), server, true,
			[]string{"machine-id", "dmi-product-uuid", "macs"}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := read(t, Options{Root: tc.recorded.root(t)})
			got := rec.Match(read(t, Options{Root: tc.now.root(t)}))
			if got.OK != tc.ok || !same(got.Matched, tc.matched) || !same(got.Changed, tc.changed) || !same(got.Missing, tc.missing) {
				t.Fatalf("Match = %+v\nwant ok=%v matched=%v changed=%v missing=%v", got, tc.ok, tc.matched, tc.changed, tc.missing)
			}
		})
	}
}

func same(got, want []string) bool {
	return got != nil && slices.Equal(got, append([]string{}, want...))
}

func TestMatchOverride(t *testing.T) {
	ctr := read(t, Options{Override: "container-1"})
	host := read(t, Options{Root: server.root(t)})
	cases := []struct {
		name      string
		rec, now  Identity
		ok        bool
		nmatched  int
		nmissing  int
		ncchanged int
	}{
		{"same container", ctr, read(t, Options{Override: "container-1"}), true, 1, 0, 0},
		{"other container", ctr, read(t, Options{Override: "container-2"}), false, 0, 0, 1},
		{"host activated, override now", host, ctr, false, 0, 4, 0},
		{"override activated, host now", ctr, host, false, 0, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.rec.Match(tc.now)
			if r.OK != tc.ok || len(r.Matched) != tc.nmatched || len(r.Missing) != tc.nmissing || len(r.Changed) != tc.ncchanged {
				t.Fatalf("Match = %+v", r)
			}
		})
	}
}

// TestMatchLegacy covers grants recorded before identities had sources:
// only the hardware ids are compared.
func TestMatchLegacy(t *testing.T) {
	now := read(t, Options{Root: server.root(t)})
	if r := (Identity{HardwareID: now.HardwareID}).Match(now); !r.OK || !slices.Equal(r.Matched, []string{"hardware-id"}) {
		t.Errorf("same hardware id: %+v", r)
	}
	if r := (Identity{HardwareID: "other"}).Match(now); r.OK || !slices.Equal(r.Changed, []string{"hardware-id"}) {
		t.Errorf("other hardware id: %+v", r)
	}
	if r := (Identity{}).Match(Identity{}); r.OK {
		t.Errorf("two empty identities match: %+v", r)
	}
}
