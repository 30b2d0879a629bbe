package e2e_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSimInterrupted is issue 14's Ctrl-C rule with a real process: a
// year-long simulation of 100,000 machines gets SIGINT while it runs and
// writes nothing half-done: the --html report of an earlier run keeps its
// content, no CSV row reaches stdout, and stderr says so in one line with
// exit status 1.
func TestSimInterrupted(t *testing.T) {
	needKill(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(scenario, []byte(`name: big
seed: 1
days: 3650
hosts:
  - name: kms1
machines:
  - {name: desktops, sku: suite-pro, channel: kms_client, count: 100000, connect: daily}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	const old = "<p>the report of an earlier run</p>"
	if err := os.WriteFile(page, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	// SIGINT that arrives before volactd has set up its handler ends the
	// process the default way; that is not what this test is about, so
	// such a run is repeated.
	for attempt := 1; ; attempt++ {
		cmd := exec.Command("volactd", "sim", scenario, "--html", page, "--csv")
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		tick := time.NewTicker(50 * time.Millisecond)
	signal:
		for {
			select {
			case err = <-done:
				break signal
			case <-tick.C:
				cmd.Process.Signal(syscall.SIGINT)
			}
		}
		tick.Stop()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("volactd sim ended with %v, want exit status 1\n%s", err, errOut.String())
		}
		if !ee.Exited() && attempt < 5 {
			continue // killed before its handler was set up
		}
		if ee.ExitCode() != 1 || strings.TrimSpace(errOut.String()) == "" || strings.Count(strings.TrimSpace(errOut.String()), "\n") != 0 ||
			!strings.Contains(errOut.String(), "interrupted: nothing was written") {
			t.Fatalf("exit %d, stderr %q; want 1 and one line saying nothing was written", ee.ExitCode(), errOut.String())
		}
		if out.Len() != 0 {
			t.Errorf("an interrupted run printed %.80q", out.String())
		}
		break
	}
	if got, _ := os.ReadFile(page); string(got) != old {
		t.Errorf("the earlier report was replaced: %.80q", got)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".*")); len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}
