package ledger

import (
	"testing"
	"time"
)

// TestWitness stores a host, replaces its row, leaves it alone when decide
// returns nil, and lists it, on both backends (migration 5).
func TestWitness(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		ctx := t.Context()
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		row := WitnessedHost{Subject: "host-1", Groups: []string{"a", "b"}, TreeSize: 3, Checkpoint: "c3", Summary: "[]",
			FirstReport: at, LastReport: at, ReportedSize: 3, Consistent: true}
		put := func(want *WitnessedHost, next func(prev *WitnessedHost) *WitnessedHost) {
			t.Helper()
			err := l.Witness(ctx, "origin-1", func(prev *WitnessedHost) (*WitnessedHost, error) {
				if (prev == nil) != (want == nil) || prev != nil && (prev.TreeSize != want.TreeSize || prev.Consistent != want.Consistent) {
					t.Errorf("prev %+v, want %+v", prev, want)
				}
				return next(prev), nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		put(nil, func(*WitnessedHost) *WitnessedHost { r := row; return &r })
		flagged := row
		flagged.Consistent, flagged.Conflict, flagged.ConflictAt, flagged.ReportedSize = false, "c-other", at.Add(time.Hour), 9
		put(&row, func(*WitnessedHost) *WitnessedHost { return &flagged })
		put(&flagged, func(*WitnessedHost) *WitnessedHost { return nil })
		hosts, err := l.WitnessedHosts(ctx)
		if err != nil || len(hosts) != 1 {
			t.Fatalf("WitnessedHosts: %+v %v", hosts, err)
		}
		h := hosts[0]
		if h.Origin != "origin-1" || h.Consistent || h.Conflict != "c-other" || !h.ConflictAt.Equal(at.Add(time.Hour)) ||
			h.ReportedSize != 9 || len(h.Groups) != 2 || !h.FirstReport.Equal(at) {
			t.Errorf("kept %+v", h)
		}
	})
}
