package e2e_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
)

// TestPinnedBuild builds volact with TRUSTED_ROOTS set to one authority's
// root, as a vendor would, and checks that a self-made authority's catalog
// is refused: on a fresh machine, over the vendor's with --replace-root,
// and as --catalog; the vendor's own catalog is accepted.
func TestPinnedBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := t.TempDir()
	now := time.Now()
	vendor, err := authority.Init(filepath.Join(dir, "vendor"), now, authority.AllowOverrides(catalog.OverrideMachineID))
	if err != nil {
		t.Fatal(err)
	}
	_, err = authority.Init(filepath.Join(dir, "self"), now, authority.AllowOverrides(catalog.OverrideMachineID))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "volact")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-trimpath", "-o", bin,
		"-ldflags", "-X github.com/volact/volact/internal/build.TrustedRoots="+catalog.RootFingerprint(vendor.Public()),
		"github.com/volact/volact/cmd/volact")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(store string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "VOLACT_STORE="+filepath.Join(dir, store), "VOLACT_MACHINE_ID=pinned-1",
			"VOLACT_CONFIG="+filepath.Join(dir, "none.yaml"), "NO_COLOR=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	if err := os.WriteFile(filepath.Join(dir, "none.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	selfCat := filepath.Join(dir, "self", authority.CatalogFile)
	vendorCat := filepath.Join(dir, "vendor", authority.CatalogFile)

	if code, out := run("fresh", "catalog", "install", selfCat); code == 0 || !strings.Contains(out, "root") {
		t.Errorf("a self-made catalog on a fresh machine: exit %d, want a refusal naming the root\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "fresh", "catalog.json")); err == nil {
		t.Error("the refused catalog was installed")
	}
	if code, out := run("vendor", "catalog", "install", vendorCat); code != 0 {
		t.Fatalf("the vendor's catalog: exit %d\n%s", code, out)
	}
	if code, out := run("vendor", "catalog", "install", "--replace-root", selfCat); code == 0 {
		t.Errorf("--replace-root with a self-made catalog: exit 0, want a refusal\n%s", out)
	}
	if code, out := run("vendor", "--catalog", selfCat, "dstatus"); code == 0 {
		t.Errorf("--catalog with a self-made catalog: exit 0, want a refusal\n%s", out)
	}
	code, out := run("vendor", "dstatus", "--json")
	if code != 0 || !strings.Contains(out, catalog.RootFingerprint(vendor.Public())) {
		t.Errorf("dstatus after the refusals: exit %d, want the vendor's root\n%s", code, out)
	}
}
