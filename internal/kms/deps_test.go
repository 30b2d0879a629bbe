package kms_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the KMS host apart from the activation client: what they
// share (posting JSON, verifying a signed answer) lives in
// internal/httpjson and internal/protocol.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, forbidden := range []string{"internal/client", "internal/store", "internal/discovery", "internal/cli"} {
		for _, pkg := range strings.Fields(string(out)) {
			if strings.HasSuffix(pkg, "/"+forbidden) {
				t.Errorf("internal/kms links %s", pkg)
			}
		}
	}
}
