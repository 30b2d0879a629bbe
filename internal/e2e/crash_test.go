package e2e_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/atomicfile"
	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/productkey"
)

// TestKillClientVerbs kills `volact inpkey`, `sethst` and `act` with
// SIGKILL at a random moment of their run (0 to 20 ms, or up to the time
// the verb takes on this machine when that is longer, as under -race),
// over and over, on one store. After
// every kill `volact dstatus --json` must read the store (exit 0, one JSON
// document): a kill leaves the old state or the new one, never a broken
// store (exit 7). 30 kills; 1,000 with VOLACT_LONG=1.
func TestKillClientVerbs(t *testing.T) {
	needKill(t)
	kills := killRounds(30, 1000)
	now := time.Now().UTC()
	dir := t.TempDir()
	a, _, ts := startService(t, dir, now)
	var keys []string
	for i := range 4 {
		k, err := a.Mint(productkey.MAK, []string{"suite-pro", "server-std"}[i%2], 100, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.String())
	}
	env := []string{"VOLACT_STORE=" + filepath.Join(dir, "store"), "VOLACT_MACHINE_ID=crash-machine", "NO_COLOR=1",
		"VOLACT_CATALOG=" + filepath.Join(dir, "auth", authority.CatalogFile), "VOLACT_SERVICE=" + ts.URL,
		"VOLACT_CONFIG=" + filepath.Join(dir, "none.yaml")}
	if err := os.WriteFile(filepath.Join(dir, "none.yaml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := volactRun(t, env, "inpkey", keys[0]); code != 0 {
		t.Fatalf("first inpkey: exit %d\n%s%s", code, out, errOut)
	}

	verb := func(i int) []string {
		switch i % 3 {
		case 0:
			return []string{"inpkey", keys[rand.IntN(len(keys))]}
		case 1:
			return []string{"sethst", fmt.Sprintf("kms%d.example.com", i)}
		}
		return []string{"act"}
	}
	// How long each verb runs here: the kills land anywhere in that span.
	span := make([]time.Duration, 3)
	for i := range span {
		start := time.Now()
		if code, out, errOut := volactRun(t, env, verb(i)...); code != 0 {
			t.Fatalf("volact %s: exit %d\n%s%s", verb(i)[0], code, out, errOut)
		}
		span[i] = max(time.Since(start)*6/5, 20*time.Millisecond)
	}

	broken, finished, midWrite := 0, 0, 0
	store := filepath.Join(dir, "store")
	for i := range kills {
		args := verb(i)
		cmd := exec.Command("volact", args...)
		cmd.Env = append(os.Environ(), env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Picks the kill moment; nothing waits for time to pass.
		time.Sleep(rand.N(span[i%3]))
		_ = cmd.Process.Kill()
		if err := cmd.Wait(); err == nil {
			finished++
		}
		if left, _ := filepath.Glob(filepath.Join(store, atomicfile.TempPrefix+"*")); len(left) > 0 {
			midWrite++
		}

		code, out, errOut := volactRun(t, env, "dstatus", "--json")
		if code != 0 || !json.Valid([]byte(out)) {
			broken++
			t.Errorf("kill %d (volact %s): dstatus --json exit %d, valid JSON %v\n%s%s",
				i, strings.Join(args, " "), code, json.Valid([]byte(out)), out, errOut)
			if broken >= 3 {
				t.FailNow()
			}
		}
	}
	t.Logf("%d kills of inpkey/sethst/act: %d finished first, %d interrupted a write (left a temp file), %d broken stores",
		kills, finished, midWrite, broken)
	// The store still takes writes after all the kills.
	if code, out, errOut := volactRun(t, env, "act"); code != 0 {
		t.Errorf("act after the kills: exit %d\n%s%s", code, out, errOut)
	}
}
