package machineid

import (
	"slices"
	"testing"
)

// TestSetTestOnlyRoot checks the end-to-end tests' hook: a Read without a
// Root takes the root it sets, an explicit Root and an Override still win,
// and "" restores the OS's sources.
func TestSetTestOnlyRoot(t *testing.T) {
	t.Cleanup(func() { SetTestOnlyRoot("") })
	viaRoot := read(t, Options{Root: vm.root(t)})
	SetTestOnlyRoot(vm.root(t))
	if got := read(t, Options{}); got.HardwareID != viaRoot.HardwareID || !slices.Equal(got.SourceNames(), viaRoot.SourceNames()) {
		t.Errorf("Read with the test root = %+v, want %+v", got, viaRoot)
	}
	if got := read(t, Options{Root: server.root(t)}); got.HardwareID == viaRoot.HardwareID {
		t.Error("an explicit Root did not win over the test root")
	}
	if got := read(t, Options{Override: "machine-a"}); !slices.Equal(got.SourceNames(), []string{SourceOverride}) {
		t.Errorf("an Override with the test root set has sources %v", got.SourceNames())
	}
	SetTestOnlyRoot("")
	if got, err := Read(Options{}); err == nil && got.HardwareID == viaRoot.HardwareID {
		t.Error(`SetTestOnlyRoot("") kept the test root`)
	}
}
