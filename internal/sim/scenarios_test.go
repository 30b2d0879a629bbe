package sim_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/volact/volact/internal/sim"
)

// run simulates the scenario file at path under the built-in catalog.
func run(t *testing.T, path string) *sim.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cat := builtin()
	sc, err := sim.ParseScenario(filepath.Base(path), data, cat)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.New(sc, cat).Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func product(t *testing.T, r *sim.Result, sku string) sim.ProductTurning {
	t.Helper()
	for _, p := range r.Turning.Products {
		if p.SKU == sku {
			return p
		}
	}
	t.Fatalf("no product %s in the result", sku)
	return sim.ProductTurning{}
}

// TestShippedScenarios pins the turning points of the scenarios in
// scripts/sim. They follow from the rules (30 days of grace, the
// thresholds, 7-day renewal, MAK spending): a change of a rule moves them
// and fails this test, which is the point.
func TestShippedScenarios(t *testing.T) {
	dir := filepath.Join("..", "..", "scripts", "sim")
	t.Run("host-outage", func(t *testing.T) {
		r := run(t, filepath.Join(dir, "host-outage.yaml"))
		suite := product(t, r, "suite-pro")
		if suite.FirstNotificationDay != 30 || suite.PeakNotification != 39 || suite.AllLicensedDay != 64 {
			t.Errorf("suite-pro: first notification day %d, peak %d, all licensed day %d; want 30, 39, 64",
				suite.FirstNotificationDay, suite.PeakNotification, suite.AllLicensedDay)
		}
		if lab := product(t, r, "server-std"); lab.FirstNotificationDay != 30 || lab.PeakNotification != 20 {
			t.Errorf("server-std (never connects): first notification day %d, peak %d; want 30, 20", lab.FirstNotificationDay, lab.PeakNotification)
		}
		if ws := product(t, r, "workstation-ent"); ws.FirstNotificationDay != -1 || ws.AllLicensedDay != 1 {
			t.Errorf("workstation-ent: first notification day %d, all licensed day %d; want -1, 1", ws.FirstNotificationDay, ws.AllLicensedDay)
		}
		// During the outage (days 12..21) the host gets no request.
		for d := 12; d < 22; d++ {
			if n := r.Days[d].Requests[0]; n != 0 {
				t.Errorf("day %d: host kms1 is down but got %d requests", d, n)
			}
		}
	})
	t.Run("vpn-laptops", func(t *testing.T) {
		r := run(t, filepath.Join(dir, "vpn-laptops.yaml"))
		suite := product(t, r, "suite-pro")
		if suite.FirstNotificationDay != 30 || suite.PeakNotification != 84 || suite.PeakOOTGraceDay != 188 {
			t.Errorf("suite-pro: first notification day %d, peak %d, peak OOT grace day %d; want 30, 84, 188",
				suite.FirstNotificationDay, suite.PeakNotification, suite.PeakOOTGraceDay)
		}
		if r.Turning.Counts[0].Label != "corp/suite" || r.Turning.Counts[0].ThresholdDay != 0 {
			t.Errorf("shared count %+v, want corp/suite at its threshold on day 0", r.Turning.Counts[0])
		}
	})
	t.Run("mak-runs-out", func(t *testing.T) {
		r := run(t, filepath.Join(dir, "mak-runs-out.yaml"))
		k := r.Turning.MAKKeys[0]
		if k.ExhaustedDay != 62 || k.FirstRefusedDay != 62 || k.FinalRemaining != 0 {
			t.Errorf("MAK key: exhausted day %d, first refused day %d, left %d; want 62, 62, 0", k.ExhaustedDay, k.FirstRefusedDay, k.FinalRemaining)
		}
		suite := product(t, r, "suite-pro")
		if suite.FirstNotificationDay != 90 || suite.PeakNotification != 100 || suite.FinalLicensed != 500 {
			t.Errorf("suite-pro: first notification day %d, peak %d, licensed at the end %d; want 90, 100, 500",
				suite.FirstNotificationDay, suite.PeakNotification, suite.FinalLicensed)
		}
		// The service is down on days 60 and 61: no request reaches it.
		if n := r.Days[60].Requests[len(r.Hosts)-1] + r.Days[61].Requests[len(r.Hosts)-1]; n != 0 {
			t.Errorf("the service got %d requests during its outage", n)
		}
	})
}

// TestDeterministic runs a scenario twice: the same seed gives the same
// result, another seed another one.
func TestDeterministic(t *testing.T) {
	path := filepath.Join("..", "..", "scripts", "sim", "vpn-laptops.yaml")
	a, b := run(t, path), run(t, path)
	ja, _ := a.JSON()
	jb, _ := b.JSON()
	if string(ja) != string(jb) {
		t.Fatal("two runs of one scenario differ")
	}
}

// TestCancel stops a run: no result, the context's error.
func TestCancel(t *testing.T) {
	cat := builtin()
	sc, err := sim.ParseScenario("bench.yaml", []byte(benchScenario(1000)), cat)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, err := sim.New(sc, cat).Run(ctx, func(d int) {
		if d == 10 {
			cancel()
		}
	})
	if r != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v, %v; want no result and context.Canceled", r, err)
	}
}
