package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmokeTest runs smoke-test.sh against a real activation service: it
// fails the job (exit 6) while the product is not licensed and passes once
// a MAK key is installed and activated.
func TestSmokeTest(t *testing.T) {
	needShell(t)
	dir := t.TempDir()
	env := []string{
		"HOME=" + dir, "XDG_STATE_HOME=" + filepath.Join(dir, "state"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"VOLACT_STORE=" + filepath.Join(dir, "store"), "VOLACT_MACHINE_ID=ci-runner-1", "NO_COLOR=1",
		"VOLACT_CATALOG=" + filepath.Join(dir, "auth", "catalog.json"),
	}
	volactd := func(args ...string) string {
		t.Helper()
		code, out := run(t, env, "volactd", args...)
		if code != 0 {
			t.Fatalf("volactd %s: exit %d: %s", strings.Join(args, " "), code, out)
		}
		return strings.TrimSpace(out)
	}
	smoke := filepath.Join(scripts, "ci", "smoke-test.sh")

	volactd("mak", "init", "--dir", filepath.Join(dir, "auth"), "--allow-overrides", "machine-id")
	code, out := run(t, env, "sh", smoke, "volact")
	if code != 6 || !strings.Contains(out, "::error::product not licensed (volact dstatus --check exit 6)") {
		t.Fatalf("no key: exit %d, want 6 and an ::error:: line:\n%s", code, out)
	}

	addr := filepath.Join(dir, "svc.addr")
	srv := exec.Command("volactd", "mak", "serve", "--dir", filepath.Join(dir, "auth"), "--listen", "127.0.0.1:0", "--addr-file", addr)
	srv.Env = append(os.Environ(), env...)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	var url []byte
	for deadline := time.Now().Add(20 * time.Second); len(url) == 0 && time.Now().Before(deadline); {
		url, _ = os.ReadFile(addr)
		time.Sleep(10 * time.Millisecond)
	}
	if len(url) == 0 {
		t.Fatal("mak serve did not write its address within 20s")
	}
	key := volactd("mak", "mint", "--dir", filepath.Join(dir, "auth"), "--type", "mak", "--sku", "suite-pro", "--activations", "2")

	code, out = run(t, append(env, "VOLACT_KEY="+key, "VOLACT_SERVICE="+strings.TrimSpace(string(url))), "sh", smoke, "volact")
	if code != 0 || !strings.Contains(out, "every installed product is licensed") {
		t.Fatalf("with a MAK key: exit %d, want 0:\n%s", code, out)
	}
	if strings.Contains(out, key) {
		t.Errorf("the smoke test printed the full product key:\n%s", out)
	}
}
