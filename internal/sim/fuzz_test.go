package sim_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/volact/volact/internal/sim"
)

// FuzzParseScenario feeds arbitrary text to the scenario parser: it never
// panics, a refusal is an *InputError of one line, and an accepted
// scenario has at least one day and no negative count.
func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("days: 1e9\nmachines: {a: 1}\n"))
	f.Add([]byte("name: &a [*a]\n"))
	files, _ := filepath.Glob(filepath.Join("..", "..", "scripts", "sim", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	cat := builtin()
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := sim.ParseScenario("s.yaml", data, cat)
		if err != nil {
			var ie *sim.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v (%T), want an *InputError", err, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if sc.Days < 1 || sc.Days > sim.MaxDays {
			t.Fatalf("accepted %d days", sc.Days)
		}
		for _, m := range sc.Machines {
			if m.Count < 0 {
				t.Fatalf("accepted a negative count %d", m.Count)
			}
		}
	})
}
