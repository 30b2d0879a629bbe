package store

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The multi-process tests re-run this test binary as a child process that
// works on a store instead of running tests. The environment tells it what
// to do.
const (
	childEnv = "VOLACT_STORE_TEST_CHILD" // "inc" or "loop"
	dirEnv   = "VOLACT_STORE_TEST_DIR"
	idEnv    = "VOLACT_STORE_TEST_ID"
	countEnv = "VOLACT_STORE_TEST_N"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		if err := runChild(mode); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild is the child process. "inc" does N updates that increment the
// counter and append the child's id; "loop" updates forever, printing the
// counter after each update, with a padding that changes size so that
// writes take a while.
func runChild(mode string) error {
	s := New(os.Getenv(dirEnv))
	s.LockTimeout = time.Minute // 50 processes queue for the lock
	switch mode {
	case "inc":
		id := os.Getenv(idEnv)
		n, err := strconv.Atoi(os.Getenv(countEnv))
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			var st testState
			if err := s.Update(&st, func(bool) error {
				st.Counter++
				st.IDs = append(st.IDs, id)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	case "loop":
		for {
			var st testState
			if err := s.Update(&st, func(bool) error {
				st.Counter++
				st.Pad = loopPad(st.Counter)
				return nil
			}); err != nil {
				return err
			}
			fmt.Println(st.Counter)
		}
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// loopPad is the padding that goes with counter in "loop" mode, so that a
// reader can tell a coherent state from a mix of two.
func loopPad(counter int) string {
	return strings.Repeat(strconv.Itoa(counter%10), (counter%16)*4096)
}

// child returns a command that runs this test binary as a child.
func child(dir, mode string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		childEnv+"="+mode, dirEnv+"="+dir,
		// Under -race a process sleeps 1s at exit unless told otherwise.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// TestConcurrentProcesses starts 50 processes at once that all update one
// store and checks that no update was lost.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	const procs, each = 50, 3
	dir := t.TempDir()
	cmds := make([]*exec.Cmd, procs)
	stderr := make([]bytes.Buffer, procs)
	for i := range cmds {
		cmds[i] = child(dir, "inc", fmt.Sprintf("%s=p%02d", idEnv, i), fmt.Sprintf("%s=%d", countEnv, each))
		cmds[i].Stderr = &stderr[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v: %s", i, err, stderr[i].String())
		}
	}

	var st testState
	if exists, err := New(dir).View(&st); !exists || err != nil {
		t.Fatalf("View = %v, %v", exists, err)
	}
	if st.Counter != procs*each {
		t.Errorf("counter = %d, want %d: updates were lost", st.Counter, procs*each)
	}
	seen := map[string]int{}
	for _, id := range st.IDs {
		seen[id]++
	}
	for i := 0; i < procs; i++ {
		if id := fmt.Sprintf("p%02d", i); seen[id] != each {
			t.Errorf("id %s recorded %d times, want %d", id, seen[id], each)
		}
	}
}
