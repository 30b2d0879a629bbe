package machineid

import (
	"testing"

	"github.com/volact/volact/internal/machineid/machineidtest"
)

// fakeMachine describes a Linux root to write under t.TempDir(). An empty
// field writes no file; the value machineidtest.Unreadable writes a
// directory where the file should be.
type fakeMachine struct {
	machineID, productUUID, boardSerial string
	nics                                map[string]string // physical interfaces: name -> MAC
	virtual                             map[string]string // interfaces without a device link
}

// with returns a copy of m changed by edit; the maps are copied.
func (m fakeMachine) with(edit func(*fakeMachine)) fakeMachine {
	cp := func(in map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range in {
			out[k] = v
		}
		return out
	}
	m.nics, m.virtual = cp(m.nics), cp(m.virtual)
	edit(&m)
	return m
}

// root writes m and returns its root directory.
func (m fakeMachine) root(t *testing.T) string {
	t.Helper()
	return machineidtest.Linux{MachineID: m.machineID, ProductUUID: m.productUUID, BoardSerial: m.boardSerial,
		NICs: m.nics, Virtual: m.virtual}.Root(t)
}

// server is a physical machine with four sources.
var server = fakeMachine{
	machineID:   "5f3c1e0a9b8d4c7e8f6a5b4c3d2e1f00",
	productUUID: "4C4C4544-0042-3510-8052-B4C04F4D3432",
	boardSerial: ".7B2MZL2.CN7016353B00EQ.",
	nics:        map[string]string{"eno1": "B8:CA:3A:6E:01:10", "eno2": "b8:ca:3a:6e:01:11"},
	virtual:     map[string]string{"lo": "00:00:00:00:00:00", "docker0": "02:42:ac:11:00:01"},
}

// vm is a virtual machine whose board serial is a placeholder: three
// sources.
var vm = fakeMachine{
	machineID:   "a1b2c3d4e5f60718293a4b5c6d7e8f90",
	productUUID: "564d8f2a-1b3c-4d5e-6f70-8192a3b4c5d6",
	boardSerial: "None",
	nics:        map[string]string{"ens192": "00:50:56:a1:b2:c3"},
	virtual:     map[string]string{"lo": "00:00:00:00:00:00"},
}

// cloneOf is m cloned by a hypervisor: same disk (machine-id), new DMI
// UUID, new MACs, new board serial if it had a real one.
func cloneOf(m fakeMachine) fakeMachine {
	return m.with(func(c *fakeMachine) {
		c.productUUID = "564d0000-aaaa-bbbb-cccc-ddddeeeeffff"
		if c.boardSerial != "None" {
			c.boardSerial = "CLONE-SERIAL-1"
		}
		for name := range c.nics {
			c.nics[name] = "00:50:56:ff:ee:" + name[len(name)-1:] + "0"
		}
	})
}
