// Package machineidtest writes fake Linux machines for tests: the files
// package machineid reads its sources from under Options.Root (and, in
// end-to-end tests, under the root given to SetTestOnlyRoot).
package machineidtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Unreadable, as a value of Linux, writes a directory where the file
// should be, which no one can read as a file (not even root).
const Unreadable = "<dir>"

// Linux is the identity files of a fake Linux machine. An empty field
// writes no file.
type Linux struct {
	MachineID, ProductUUID, BoardSerial string
	NICs                                map[string]string // physical interfaces (with a device link): name -> MAC
	Virtual                             map[string]string // interfaces without a device link: name -> MAC
}

// Root writes m under a new temporary directory of t and returns that
// directory.
func (m Linux) Root(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	put := func(rel, val string) {
		t.Helper()
		if val == "" {
			return
		}
		p := filepath.Join(root, filepath.FromSlash(rel))
		if val == Unreadable {
			mkdir(t, p)
			return
		}
		mkdir(t, filepath.Dir(p))
		if err := os.WriteFile(p, []byte(val+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("etc/machine-id", m.MachineID)
	put("sys/class/dmi/id/product_uuid", m.ProductUUID)
	put("sys/class/dmi/id/board_serial", m.BoardSerial)
	for name, mac := range m.NICs {
		put("sys/class/net/"+name+"/address", mac)
		dev := filepath.Join(root, "sys/devices/pci0000:00", name)
		mkdir(t, dev)
		if err := os.Symlink(dev, filepath.Join(root, "sys/class/net", name, "device")); err != nil {
			t.Fatal(err)
		}
	}
	for name, mac := range m.Virtual {
		put("sys/class/net/"+name+"/address", mac)
	}
	return root
}

func mkdir(t testing.TB, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}
