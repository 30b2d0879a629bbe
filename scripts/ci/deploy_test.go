// Package ci holds the tests of the deployment examples under scripts/:
// systemd units, launchd plist, Windows task, hooks and the CI smoke test.
// scripts/lint.sh is the real check of their syntax; these tests check that
// they run the right volact commands and behave as their comments say.
package ci

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/volact/volact/internal/cli"
	"github.com/volact/volact/internal/servercli"
)

// TestMain puts `volact` and `volactd` commands (this test binary) on PATH for the
// scripts under test.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"volact":  func() { os.Exit(cli.Main(os.Args)) },
		"volactd": func() { os.Exit(servercli.Main(os.Args)) },
	})
}

const scripts = ".."

func TestDeploymentFiles(t *testing.T) {
	tests := []struct {
		path string
		exec bool     // must be executable
		want []string // each must appear
	}{
		{"systemd/volact-kms.service", false, []string{"ExecStart=/usr/bin/volactd kms serve --data /var/lib/volact-kms --listen :1688",
			"StateDirectory=volact-kms", "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
			"SystemCallFilter=@system-service", "Restart=on-failure"}},
		{"systemd/volact-mak.service", false, []string{"ExecStart=/usr/bin/volactd mak serve --dir /var/lib/volact-service --listen 127.0.0.1:8443",
			"StateDirectory=volact-service", "ProtectHome=yes", "PrivateTmp=yes", "RestrictAddressFamilies=", "Restart=on-failure"}},
		{"systemd/volact-act.service", false, []string{"Type=oneshot", "ExecStart=/usr/bin/volact act --if-due -q", "TimeoutStartSec="}},
		{"systemd/volact-act.timer", false, []string{"OnBootSec=", "OnUnitActiveSec=2h", "RandomizedDelaySec=", "Unit=volact-act.service"}},
		{"launchd/com.volact.act.plist", false, []string{"<string>act</string>", "<string>--if-due</string>", "<string>-q</string>",
			"<key>RunAtLoad</key>\n\t<true/>", "<key>StartInterval</key>\n\t<integer>7200</integer>"}},
		{"windows/volact-act-task.xml", false, []string{"<LogonTrigger>", "<Interval>PT2H</Interval>", "<Arguments>act --if-due -q</Arguments>",
			"<ExecutionTimeLimit>PT5M</ExecutionTimeLimit>"}},
		{"windows/volact-logon.ps1", false, []string{"'act --if-due -q'", "WaitForExit($TimeoutSeconds * 1000)", "$proc.Kill()", `"exit=$code `}},
		{"hooks/volact-act-bg", true, []string{`act --if-due -q`, "timeout -k 5", "setsid"}},
		{"hooks/nm-dispatcher-90-volact", true, []string{"up | vpn-up)", "systemctl start --no-block volact-act.service", "volact-act-bg"}},
		{"hooks/openvpn-volact-up.sh", true, []string{"script-security 2", "volact-act-bg", "exit 0"}},
		{"hooks/login-volact.sh", false, []string{"/etc/profile.d/volact.sh", "volact-act-bg"}},
		{"ci/smoke-test.sh", true, []string{`dstatus --check -q`}},
		{"ci/github-actions.yml", false, []string{"sh scripts/ci/smoke-test.sh volact", "volact dstatus --check -q"}},
		{"lint.sh", true, []string{"shellcheck", "systemd-analyze verify", "xmllint --noout", "plutil -lint"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := filepath.Join(scripts, filepath.FromSlash(tt.path))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(data), w) {
					t.Errorf("%s does not contain %q", tt.path, w)
				}
			}
			if tt.exec && runtime.GOOS != "windows" {
				if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
					t.Errorf("%s is not executable (%v)", tt.path, err)
				}
			}
		})
	}
}

// needShell skips on systems without a POSIX shell toolset.
func needShell(t *testing.T, tools ...string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("hooks are POSIX shell scripts")
	}
	for _, tool := range append([]string{"sh"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

// run runs a script with extra environment and returns its exit status
// and combined output.
func run(t *testing.T, env []string, name string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	// A hook that leaks its output descriptors to the background run would
	// keep the pipe open: fail then instead of hanging.
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s did not return within a minute: %s", name, strings.Join(args, " "), out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	return 0, string(out)
}

// TestHooksHandOver checks which events start an activation: each hook
// calls volact-act-bg (here a stub that records its call) or returns.
func TestHooksHandOver(t *testing.T) {
	needShell(t)
	nmUsesSystemd := exec.Command("systemctl", "cat", "volact-act.service").Run() == nil
	tests := []struct {
		name string
		hook string
		args []string
		env  []string
		want string // the stub's record; "" = not called
	}{
		{"nm up", "nm-dispatcher-90-volact", []string{"eth0", "up"}, nil, "networkmanager up eth0 delay="},
		{"nm vpn-up", "nm-dispatcher-90-volact", []string{"tun0", "vpn-up"}, nil, "networkmanager vpn-up tun0 delay="},
		{"nm down", "nm-dispatcher-90-volact", []string{"eth0", "down"}, nil, ""},
		{"nm loopback", "nm-dispatcher-90-volact", []string{"lo", "up"}, nil, ""},
		{"nm no args", "nm-dispatcher-90-volact", nil, nil, ""},
		{"openvpn up waits for routes", "openvpn-volact-up.sh", []string{"tun0", "1500"}, []string{"script_type=up", "dev=tun0"}, "openvpn up tun0 delay=5"},
		{"openvpn route-up", "openvpn-volact-up.sh", nil, []string{"script_type=route-up", "dev=tun1"}, "openvpn route-up tun1 delay="},
		{"login", "login-volact.sh", nil, []string{"USER=alice"}, "login alice delay="},
		{"login opted out", "login-volact.sh", nil, []string{"USER=alice", "VOLACT_LOGIN_HOOK=0"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if nmUsesSystemd && strings.HasPrefix(tt.hook, "nm-") {
				t.Skip("volact-act.service is installed here: the hook starts it instead")
			}
			dir := t.TempDir()
			record := filepath.Join(dir, "called")
			stub := filepath.Join(dir, "bg")
			body := "#!/bin/sh\nprintf '%s delay=%s' \"$*\" \"${VOLACT_ACT_DELAY:-}\" > " + record + "\n"
			if err := os.WriteFile(stub, []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			env := append([]string{"VOLACT_ACT_BG=" + stub, "VOLACT_ACT_DELAY="}, tt.env...)
			code, out := run(t, env, "sh", append([]string{filepath.Join(scripts, "hooks", tt.hook)}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, want 0 (a hook never fails the connection or login): %s", code, out)
			}
			got, err := os.ReadFile(record)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("volact-act-bg called with %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBackgroundRunNeverBlocks: volact-act-bg returns while volact is still
// running (here: blocked on a FIFO), and the run is `act --if-due -q`.
func TestBackgroundRunNeverBlocks(t *testing.T) {
	needShell(t, "mkfifo")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "release")
	if out, err := exec.Command("mkfifo", fifo).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	args := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "volact")
	body := "#!/bin/sh\nprintf '%s' \"$*\" > " + args + ".tmp && mv " + args + ".tmp " + args + "\nread -r _ < " + fifo + "\n"
	if err := os.WriteFile(fake, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out := run(t, []string{"VOLACT_BIN=" + fake, "VOLACT_ACT_TIMEOUT=60"}, filepath.Join(scripts, "hooks", "volact-act-bg"), "test")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	// The hook has returned although the fake volact cannot have finished:
	// it waits for the FIFO, which only this test writes.
	deadline := time.Now().Add(20 * time.Second)
	var got []byte
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(args); err == nil {
			got = b
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got == nil {
		t.Fatal("the background run did not start volact within 20s")
	}
	if err := os.WriteFile(fifo, []byte("go\n"), 0); err != nil {
		t.Fatalf("release the fake volact: %v", err)
	}
	if string(got) != "act --if-due -q" {
		t.Fatalf("background run called volact with %q, want %q", got, "act --if-due -q")
	}
}

// TestBackgroundRunMissingBinary: no volact installed is logged, not fatal.
func TestBackgroundRunMissingBinary(t *testing.T) {
	needShell(t)
	code, out := run(t, []string{"VOLACT_BIN=" + filepath.Join(t.TempDir(), "none"), "PATH=/usr/bin:/bin"},
		filepath.Join(scripts, "hooks", "volact-act-bg"), "--foreground", "test")
	if code != 0 {
		t.Errorf("exit %d, want 0: %s", code, out)
	}
}
