// Package pkgtest tests the Linux packages of volact: `make package` builds
// the .deb and .rpm of volact (client) and volactd (servers) with nfpm, and
// the tests install the .deb files into a scratch root with dpkg and run
// what landed there. They also check that .goreleaser.yaml, which cannot
// read the nfpm files, lists the same package contents.
package pkgtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"
)

// repo is the repository root, relative to this package.
const repo = "../.."

// The version the test builds with, and the package version package.sh
// derives from it.
const (
	testVersion = "v1.2.3-4-gabcdef0"
	pkgVersion  = "1.2.3+4.gabcdef0"
)

// need fails the test when a tool is missing: on Linux the package test
// must run (CI is Debian, which has dpkg), so a missing tool is an error,
// not a reason to skip.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: the package test needs it (Debian: apt-get install dpkg make gzip)", tool)
		}
	}
}

// command runs name with args and extra environment, fails the test on a
// non-zero exit, and returns the combined output.
func command(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// entry is one line of `dpkg-deb -c`: a path (without the leading ".") and,
// for a symbolic link, its target.
type entry struct {
	path, link string
	dir        bool
}

// debContents lists a .deb with dpkg-deb -c.
func debContents(t *testing.T, deb string) map[string]entry {
	t.Helper()
	m := map[string]entry{}
	for line := range strings.SplitSeq(strings.TrimSpace(command(t, nil, "dpkg-deb", "-c", deb)), "\n") {
		// drwxr-xr-x root/root 0 2026-01-01 00:00 ./usr/bin/ [-> target]
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("dpkg-deb -c %s: unexpected line %q", deb, line)
		}
		e := entry{path: strings.TrimSuffix(strings.TrimPrefix(f[5], "."), "/"), dir: strings.HasPrefix(f[0], "d")}
		if len(f) == 8 && f[6] == "->" {
			e.link = f[7]
		}
		if e.path != "" {
			m[e.path] = e
		}
	}
	return m
}

// findOne returns the one file in dir that matches pattern.
func findOne(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) != 1 {
		t.Fatalf("want one %s in %s, found %v (%v)", pattern, dir, m, err)
	}
	return m[0]
}

// TestPackagesInstall builds the packages with `make package` into a
// temporary directory, checks what each .deb and .rpm holds, installs both
// .deb files into a scratch root with dpkg and runs the installed commands.
func TestPackagesInstall(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("deb and rpm are Linux packages")
	}
	need(t, "make", "gzip", "dpkg", "dpkg-deb")
	tmp := t.TempDir()
	dist := filepath.Join(tmp, "dist")

	// The real make target, with every output redirected into tmp; only
	// this machine's architecture, so that the installed binaries run.
	start := time.Now()
	// MAKEFLAGS cleared: `make test` may be the caller, with its own flags.
	command(t, []string{"MAKEFLAGS=", "MFLAGS="}, "make", "-C", repo, "--no-print-directory", "package",
		"VERSION="+testVersion, "PKGOUT="+dist, "PKGARCHS="+runtime.GOARCH,
		"BIN="+filepath.Join(tmp, "bin", "volact"), "BIND="+filepath.Join(tmp, "bin", "volactd"))
	t.Logf("make package: %s", time.Since(start).Round(time.Millisecond))

	client := findOne(t, dist, "volact_*.deb")
	server := findOne(t, dist, "volactd_*.deb")
	for _, deb := range []string{client, server} {
		if got := strings.TrimSpace(command(t, nil, "dpkg-deb", "-f", deb, "Version")); got != pkgVersion {
			t.Errorf("%s: Version %q, want %q", filepath.Base(deb), got, pkgVersion)
		}
	}

	// What each package holds, and what it must not.
	cc, sc := debContents(t, client), debContents(t, server)
	for _, p := range []string{"/usr/bin/volact", "/usr/lib/systemd/system/volact-act.service",
		"/usr/lib/systemd/system/volact-act.timer", "/usr/libexec/volact/volact-act-bg",
		"/usr/share/doc/volact/examples/hooks/nm-dispatcher-90-volact", "/usr/share/doc/volact/copyright",
		"/usr/share/man/man1/volact.1.gz", "/usr/share/man/man1/volact-dstatus.1.gz"} {
		if _, ok := cc[p]; !ok {
			t.Errorf("volact package lacks %s", p)
		}
	}
	for _, name := range []string{"ospp", "ospp.vbs", "slmgr", "slmgr.vbs"} {
		if e := cc["/usr/bin/"+name]; e.link != "volact" {
			t.Errorf("volact package: /usr/bin/%s is %+v, want a link to volact", name, e)
		}
	}
	for _, p := range []string{"/usr/bin/volactd", "/usr/lib/systemd/system/volact-kms.service",
		"/usr/lib/systemd/system/volact-mak.service", "/usr/lib/systemd/system/volact-kms-report.timer", "/usr/share/doc/volactd/copyright",
		"/usr/share/man/man1/volactd.1.gz", "/usr/share/man/man1/volactd-kms-serve.1.gz"} {
		if _, ok := sc[p]; !ok {
			t.Errorf("volactd package lacks %s", p)
		}
	}
	for p, e := range cc {
		if strings.Contains(p, "volactd") || strings.Contains(p, "volact-kms") || strings.Contains(p, "volact-mak") {
			t.Errorf("volact package holds a server file: %s", p)
		}
		if _, ok := sc[p]; ok && !e.dir {
			t.Errorf("both packages hold %s", p)
		}
	}
	for p := range sc {
		if p == "/usr/bin/volact" || strings.Contains(p, "volact-act") || strings.HasPrefix(p, "/usr/share/man/man1/volact-") {
			t.Errorf("volactd package holds a client file: %s", p)
		}
	}

	// Install both into a scratch root. --force-script-chrootless runs the
	// maintainer scripts without chroot, with DPKG_ROOT set: they must not
	// touch this machine's systemd then.
	root := filepath.Join(tmp, "root")
	admin := filepath.Join(root, "var", "lib", "dpkg")
	for _, d := range []string{"updates", "info", "triggers"} {
		if err := os.MkdirAll(filepath.Join(admin, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(admin, "status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dpkg := []string{"--instdir=" + root, "--admindir=" + admin, "--log=/dev/null",
		"--force-not-root", "--force-script-chrootless", "--force-unsafe-io"}
	command(t, nil, "dpkg", append(dpkg, "-i", client, server)...)

	bin := filepath.Join(root, "usr", "bin")
	if out := command(t, nil, filepath.Join(bin, "volact"), "version"); !strings.Contains(out, testVersion) {
		t.Errorf("installed volact version: %q, want %s", out, testVersion)
	}
	if out := command(t, nil, filepath.Join(bin, "volactd"), "version"); !strings.Contains(out, testVersion) {
		t.Errorf("installed volactd version: %q, want %s", out, testVersion)
	}
	// The two together: an authority made by the installed volactd, its
	// catalog installed by the installed volact, then the old tool's name.
	authority := filepath.Join(tmp, "authority")
	command(t, nil, filepath.Join(bin, "volactd"), "mak", "init", "--dir", authority)
	store := []string{"VOLACT_STORE=" + filepath.Join(tmp, "store")}
	command(t, store, filepath.Join(bin, "volact"), "catalog", "install", filepath.Join(authority, "catalog.json"))
	if out := command(t, store, filepath.Join(bin, "ospp.vbs"), "/dstatus"); !strings.Contains(out, "---Processing--------------------------") {
		t.Errorf("installed ospp.vbs /dstatus printed %q, want the ospp.vbs layout", out)
	}
	if _, err := os.Stat(filepath.Join(root, "usr", "libexec", "volact", "volact-act-bg")); err != nil {
		t.Error(err)
	}

	// Every unit landed, and its ExecStart names a program the packages
	// installed.
	units := filepath.Join(root, "usr", "lib", "systemd", "system")
	for _, u := range []string{"volact-act.service", "volact-act.timer", "volact-kms.service", "volact-mak.service", "volact-kms-report.service"} {
		data, err := os.ReadFile(filepath.Join(units, u))
		if err != nil {
			t.Errorf("unit not installed: %v", err)
			continue
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			exe, ok := strings.CutPrefix(line, "ExecStart=")
			if !ok {
				continue
			}
			exe, _, _ = strings.Cut(exe, " ")
			if st, err := os.Stat(filepath.Join(root, exe)); err != nil || st.Mode()&0o111 == 0 {
				t.Errorf("%s: ExecStart=%s is not an installed program (%v)", u, exe, err)
			}
		}
	}

	// Removing the servers leaves the client.
	command(t, nil, "dpkg", append(dpkg, "-r", "volactd")...)
	if _, err := os.Stat(filepath.Join(bin, "volactd")); !os.IsNotExist(err) {
		t.Errorf("volactd still installed after dpkg -r volactd (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(bin, "volact")); err != nil {
		t.Errorf("dpkg -r volactd removed the client: %v", err)
	}

	// The .rpm files hold the same files as the .deb files.
	for _, pair := range [][2]string{{"volact-[0-9]*.rpm", client}, {"volactd-[0-9]*.rpm", server}} {
		rpmFile := findOne(t, dist, pair[0])
		if _, err := exec.LookPath("rpm"); err != nil {
			t.Logf("rpm is not installed: %s built but not listed (apt-get install rpm)", filepath.Base(rpmFile))
			continue
		}
		deb := debContents(t, pair[1])
		var want, got []string
		for p, e := range deb {
			if !e.dir {
				want = append(want, p)
			}
		}
		for p := range strings.SplitSeq(strings.TrimSpace(command(t, nil, "rpm", "-qlp", rpmFile)), "\n") {
			if e, ok := deb[p]; !ok {
				t.Errorf("%s holds %s, which the .deb does not", filepath.Base(rpmFile), p)
			} else if !e.dir {
				got = append(got, p)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("rpm -qlp %s:\n%s\nwant the .deb's files:\n%s", filepath.Base(rpmFile), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if v := command(t, nil, "rpm", "-qp", "--queryformat", "%{VERSION}", rpmFile); v != pkgVersion {
			t.Errorf("%s: version %q, want %q", filepath.Base(rpmFile), v, pkgVersion)
		}
	}
}

// readYAML reads a YAML file with viper (already a dependency of volact).
func readYAML(t *testing.T, path string) *viper.Viper {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// contentKeys turns an nfpm contents list into comparable strings. The man
// page directory is ${VOLACT_PKG_MAN} for nfpm and bin/man/man1 for
// goreleaser; the binary is listed by nfpm and put in bindir by goreleaser,
// so it is returned apart.
func contentKeys(t *testing.T, list any) (keys []string, binary string) {
	t.Helper()
	items, ok := list.([]any)
	if !ok {
		t.Fatalf("contents is %T, want a list", list)
	}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			t.Fatalf("contents entry is %T, want a map", it)
		}
		src := fmt.Sprint(m["src"])
		if strings.HasPrefix(src, "${VOLACT_PKG_BIN}/") {
			binary = fmt.Sprint(m["dst"])
			continue
		}
		src = strings.ReplaceAll(src, "${VOLACT_PKG_MAN}", "bin/man/man1")
		keys = append(keys, fmt.Sprintf("src=%s dst=%v type=%v file_info=%v", src, m["dst"], m["type"], m["file_info"]))
	}
	sort.Strings(keys)
	return keys, binary
}

// TestGoreleaserMatchesNfpm: .goreleaser.yaml repeats the contents of
// scripts/package/nfpm-*.yaml (goreleaser cannot include them); the two
// must describe the same packages.
func TestGoreleaserMatchesNfpm(t *testing.T) {
	gr := readYAML(t, filepath.Join(repo, ".goreleaser.yaml"))
	nfpms, ok := gr.Get("nfpms").([]any)
	if !ok || len(nfpms) != 2 {
		t.Fatalf(".goreleaser.yaml: nfpms is %T of %v, want two packages", gr.Get("nfpms"), gr.Get("nfpms"))
	}
	for _, it := range nfpms {
		g, ok := it.(map[string]any)
		if !ok {
			t.Fatalf("nfpms entry is %T", it)
		}
		name := fmt.Sprint(g["package_name"])
		t.Run(name, func(t *testing.T) {
			n := readYAML(t, "nfpm-"+name+".yaml")
			if got := n.GetString("name"); got != name {
				t.Fatalf("nfpm-%s.yaml: name %q", name, got)
			}
			if ids := fmt.Sprint(g["ids"]); ids != "["+name+"]" {
				t.Errorf("goreleaser nfpms %s: ids %s, want [%s]", name, ids, name)
			}
			for _, f := range []string{"section", "priority", "maintainer", "vendor", "homepage", "license", "description"} {
				if a, b := fmt.Sprint(g[f]), n.GetString(f); a != b {
					t.Errorf("%s: goreleaser %q, nfpm %q", f, a, b)
				}
			}
			if a, b := g["scripts"], n.Get("scripts"); !reflect.DeepEqual(a, b) {
				t.Errorf("scripts: goreleaser %v, nfpm %v", a, b)
			}
			gk, _ := contentKeys(t, g["contents"])
			nk, binary := contentKeys(t, n.Get("contents"))
			if want := fmt.Sprint(g["bindir"], "/", name); binary != want {
				t.Errorf("nfpm installs the binary as %q, goreleaser as %q (bindir)", binary, want)
			}
			if !slices.Equal(gk, nk) {
				t.Errorf("contents differ:\ngoreleaser:\n%s\nnfpm:\n%s", strings.Join(gk, "\n"), strings.Join(nk, "\n"))
			}
		})
	}
}
