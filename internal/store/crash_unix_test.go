//go:build unix

package store

import (
	"bufio"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// TestKillDuringUpdate kills a process that updates the store in a loop
// with SIGKILL at random moments. After every kill the store must read as
// a whole state, old or new, never a broken one. (Unix only: Windows has
// no SIGKILL, and Process.Kill there is TerminateProcess.)
func TestKillDuringUpdate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 30 processes")
	}
	dir := t.TempDir()
	s := New(dir)
	last, midWrite := 0, 0
	for i := 0; i < 30; i++ {
		cmd := child(dir, "loop")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The child runs ahead of what we read (the pipe buffers), so
		// the kill lands at an arbitrary point of an update.
		lines := bufio.NewScanner(out)
		for n := 1 + rand.IntN(5); n > 0 && lines.Scan(); n-- {
		}
		_ = cmd.Process.Kill() // SIGKILL
		_ = cmd.Wait()
		if stderr.Len() > 0 {
			t.Fatalf("child failed: %s", stderr.String())
		}

		var st testState
		exists, err := s.View(&st)
		if err != nil || !exists {
			t.Fatalf("after kill %d: View = %v, %v", i, exists, err)
		}
		if st.Counter < last || st.Pad != loopPad(st.Counter) {
			t.Fatalf("after kill %d: incoherent state: counter %d (was %d), pad of %d bytes",
				i, st.Counter, last, len(st.Pad))
		}
		last = st.Counter
		if left, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*")); len(left) > 0 {
			midWrite++
		}
	}
	t.Logf("%d of 30 kills interrupted a write (left a temp file)", midWrite)

	put(t, s, &testState{Counter: last + 1})
	if left, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*")); len(left) != 0 {
		t.Errorf("Update left temp files of killed writers: %v", left)
	}
}
