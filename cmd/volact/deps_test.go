package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// forbidden are the packages the client must never link (design §1): the
// servers, the authority, and the server-only libraries. A prefix matches
// the package and everything under it.
var forbidden = []string{
	"github.com/volact/volact/internal/kms",
	"github.com/volact/volact/internal/mak",
	"github.com/volact/volact/internal/ledger",
	"github.com/volact/volact/internal/authority",
	"github.com/volact/volact/internal/servercli",
	"github.com/volact/volact/internal/httpserve",
	"github.com/prometheus/",
	"google.golang.org/protobuf",
	"modernc.org/sqlite",
	"github.com/jackc/pgx",
	"github.com/schollz/progressbar",
}

// violations returns the packages of deps that forbidden names.
func violations(deps []string) []string {
	var bad []string
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
				bad = append(bad, d)
				break
			}
		}
	}
	return bad
}

// listDeps returns the non-standard packages the client links for goos.
func listDeps(t *testing.T, goos string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps (GOOS=%s): %v", goos, err)
	}
	var deps []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			deps = append(deps, l)
		}
	}
	slices.Sort(deps)
	return deps
}

// TestDeps is the client's dependency guard, as tailscale keeps one for its
// CLI: the packages volact links (on Linux) must be exactly those listed in
// deps.txt, so that adding one is a visible decision in review, and no
// forbidden package may appear on any OS.
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the dependency guard needs the go command: %v", err)
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		deps := listDeps(t, goos)
		if bad := violations(deps); len(bad) > 0 {
			t.Errorf("volact (GOOS=%s) links server packages: %s", goos, strings.Join(bad, ", "))
		}
		if goos != "linux" {
			continue
		}
		data, err := os.ReadFile("deps.txt")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				want = append(want, l)
			}
		}
		slices.Sort(want)
		for _, d := range deps {
			if !slices.Contains(want, d) {
				t.Errorf("volact now links %s, which deps.txt does not list: if that is intended, run 'make deps' and say why in the commit", d)
			}
		}
		for _, d := range want {
			if !slices.Contains(deps, d) {
				t.Errorf("volact no longer links %s: run 'make deps' to update deps.txt", d)
			}
		}
	}
}

// TestViolations checks the guard itself: every forbidden package, and
// packages under it, is caught; the client's own are not.
func TestViolations(t *testing.T) {
	tests := []struct {
		dep  string
		want bool
	}{
		{"github.com/volact/volact/internal/kms", true},
		{"github.com/volact/volact/internal/kms/kmsbench", true},
		{"github.com/volact/volact/internal/mak", true},
		{"github.com/volact/volact/internal/ledger", true},
		{"github.com/volact/volact/internal/authority", true},
		{"github.com/prometheus/client_golang/prometheus", true},
		{"google.golang.org/protobuf/proto", true},
		{"modernc.org/sqlite", true},
		{"github.com/jackc/pgx/v5", true},
		{"github.com/volact/volact/internal/client", false},
		{"github.com/volact/volact/internal/kmsclient", false},
		{"github.com/volact/volact/internal/makeup", false},
		{"github.com/spf13/cobra", false},
	}
	for _, tt := range tests {
		if got := len(violations([]string{tt.dep})) == 1; got != tt.want {
			t.Errorf("violations(%s) = %v, want %v", tt.dep, got, tt.want)
		}
	}
}
