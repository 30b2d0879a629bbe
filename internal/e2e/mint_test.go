package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/servercli"
)

// TestProgressMintOut mints into a file in-process: the bar shows on a
// terminal stderr, never a key; -q and a pipe keep stderr empty.
func TestProgressMintOut(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	if _, err := authority.Init(filepath.Join(dir, "auth"), now, authority.AllowOverrides(catalog.OverrideClock, catalog.OverrideMachineID)); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VOLACT_CONFIG": filepath.Join(dir, "none.yaml")}
	if err := os.WriteFile(env["VOLACT_CONFIG"], nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		tty     bool
		extra   []string
		wantOut string
		wantBar bool
	}{
		{"terminal", true, nil, "Minted 120 keys into ", true},
		{"terminal quiet", true, []string{"-q"}, "", false},
		{"piped", false, nil, "Minted 120 keys into ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.txt")
			ios, _, out, errOut := cmdutil.TestStreams()
			f := &cmdutil.Factory{IO: ios, Getenv: func(k string) string { return env[k] }, SysNow: func() time.Time { return now }, Opts: &cmdutil.GlobalOptions{}}
			f.IO.SetStderrTTY(tc.tty)
			args := append([]string{"volactd", "mak", "mint", "--dir", filepath.Join(dir, "auth"),
				"--type", "mak", "--sku", "suite-pro", "--count", "120", "--out", path}, tc.extra...)
			if code := servercli.MainWith(f, args); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			keys, err := CheckKeyFile(path, 120)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), tc.wantOut) || (tc.wantOut == "" && out.Len() != 0) {
				t.Errorf("stdout = %q, want it to start with %q", out, tc.wantOut)
			}
			if got := strings.Contains(errOut.String(), "(120/120"); got != tc.wantBar {
				t.Errorf("stderr = %q, bar shown %v, want %v", errOut, got, tc.wantBar)
			}
			if !tc.wantBar && errOut.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
			for _, k := range keys {
				if strings.Contains(out.String()+errOut.String(), k) {
					t.Fatalf("a minted key (…%s) was printed", k[len(k)-5:])
				}
			}
		})
	}
}

// CheckKeyFile checks that path holds exactly n distinct valid product keys,
// one a line, and (on Unix) that only its owner can read it; it returns the
// keys. The end-to-end scripts use it too.
func CheckKeyFile(path string, n int) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		return nil, fmt.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(keys) != n {
		return nil, fmt.Errorf("%s has %d lines, want %d keys", path, len(keys), n)
	}
	seen := map[string]bool{}
	for i, k := range keys {
		pk, err := productkey.Parse(k)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, i+1, err)
		}
		if pk.String() != k {
			return nil, fmt.Errorf("%s line %d is not in canonical form", path, i+1)
		}
		if seen[k] {
			return nil, fmt.Errorf("%s line %d repeats an earlier key", path, i+1)
		}
		seen[k] = true
	}
	return keys, nil
}
