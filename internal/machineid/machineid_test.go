package machineid

import "testing"

func TestIDOverride(t *testing.T) {
	a, err := ID("machine-a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ID("machine-b")
	a2, _ := ID("  machine-a\n")
	if a == b {
		t.Fatalf("different machines got one id %s", a)
	}
	if a != a2 {
		t.Fatalf("surrounding space changed the id: %s vs %s", a, a2)
	}
	if len(a) != 32 || a == "machine-a" {
		t.Fatalf("id %q is not a 32-hex hash", a)
	}
}

func TestIDFromOS(t *testing.T) {
	id, err := ID("")
	if err != nil {
		t.Skipf("this machine has no OS id: %v", err)
	}
	again, _ := ID("")
	if id != again {
		t.Fatalf("OS id not stable: %s vs %s", id, again)
	}
}
