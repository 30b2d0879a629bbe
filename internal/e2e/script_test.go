package e2e_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/volact/volact/internal/cli"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/servercli"
)

// TestMain makes the test binary answer as volact (and as ospp/slmgr, for
// the multi-call names) and as volactd when testscript runs it as a real process.
// As volact it reads the machine identity's file sources under
// VOLACT_TEST_MACHINE_ROOT when that is set (machineid.SetTestOnlyRoot).
func TestMain(m *testing.M) {
	// Under -race every process sleeps 1s at exit (the race runtime's
	// atexit_sleep_ms); the end-to-end tests start hundreds of volact
	// processes, which inherit GORACE.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	run := func() {
		// The test binary's own knob, read here and never by a shipped
		// binary: the machine identity's file sources come from a fake
		// root (cloned_identity_test.go).
		if root := os.Getenv("VOLACT_TEST_MACHINE_ROOT"); root != "" {
			machineid.SetTestOnlyRoot(root)
		}
		os.Exit(cli.Main(os.Args))
	}
	testscript.Main(m, map[string]func(){
		"volact": run, "ospp.vbs": run, "slmgr.vbs": run, "ospp": run, "slmgr": run,
		"volactd": func() { os.Exit(servercli.Main(os.Args)) },
	})
}

// TestScript runs the end-to-end scripts in testdata/script against real
// processes of the binary.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") != "",
		Setup: func(e *testscript.Env) error {
			e.Setenv("HOME", e.WorkDir)
			e.Setenv("XDG_CONFIG_HOME", filepath.Join(e.WorkDir, ".config"))
			e.Setenv("XDG_STATE_HOME", filepath.Join(e.WorkDir, ".state"))
			e.Setenv("VOLACT_STORE", filepath.Join(e.WorkDir, "store"))
			e.Setenv("VOLACT_MACHINE_ID", "test-machine-1")
			e.Setenv("NO_COLOR", "1")
			e.Setenv("TZ", "UTC")
			// Never ask the system resolver (it is not on loopback): scripts
			// that need DNS start their own server and override this.
			e.Setenv("VOLACT_DNS_SERVER", "127.0.0.1:9")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitcode,
			"waitfile": cmdWaitfile,
			"envfile":  cmdEnvfile,
			"dns":      cmdDNS,
			"keyfile":  cmdKeyfile,
			"mode":     cmdMode,
			"garble":   cmdGarble,
			"editleaf": cmdEditLeaf,
			"midhour":  cmdMidhour,
		},
	})
}

// exitcode N prog args... runs prog and checks its exit status is exactly N;
// stdout and stderr are kept for the next stdout/stderr commands.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %q is not a number", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// waitfile FILE waits up to 15s for FILE to exist and be non-empty (a
// server writes its address there once it listens).
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	p := ts.MkAbs(args[0])
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := os.Stat(p); err == nil && st.Size() > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("waitfile: %s did not appear within 15s", args[0])
}

// midhour VAR sets VAR to the clock offset (a Go duration) that puts now at
// half past the current UTC hour, so that a script counting per clock hour
// (MAK velocity) cannot straddle an hour boundary. Only catalogs minted with
// --allow-overrides clock honour it.
func cmdMidhour(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: midhour VAR")
	}
	now := time.Now()
	ts.Setenv(args[0], now.Truncate(time.Hour).Add(30*time.Minute).Sub(now).Round(time.Second).String())
}

// envfile VAR FILE sets VAR to the trimmed content of FILE.
func cmdEnvfile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: envfile VAR FILE")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
}
