package client_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/productkey"
)

// TestIfDueWritesOnlyWhatChanged: `act --if-due` with nothing due leaves
// the store file as it is while the trusted clock moved less than the
// rollback tolerance (repeated logon and VPN runs cost no fsync), and saves
// the clock once it moved more, forward or back.
func TestIfDueWritesOnlyWhatChanged(t *testing.T) {
	s := newMAKService(t)
	store := t.TempDir()
	now := mt0
	c := client.New(client.Options{StoreDir: store, CatalogPath: filepath.Join(s.auth.Dir, "catalog.json"),
		Now: func() time.Time { return now }, HardwareID: "hw-touch", ServiceURL: s.url})
	if _, err := c.InstallKey(s.mint(t, productkey.MAK, "suite-pro", 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(store, "state.json")
	read := func() string {
		b, err := os.ReadFile(state)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name    string
		advance time.Duration
		written bool
	}{
		{"a second later", time.Second, false},
		{"nine minutes later", 9 * time.Minute, false},
		{"eleven minutes after the last save", 2 * time.Minute, true},
		{"right after that save", time.Second, false},
		// A clock set back is a rollback: the run's clock is saved so that
		// the trusted time counts on from it (else every later run on the
		// set-back clock would see the trusted time frozen).
		{"the clock set back an hour", -time.Hour, true},
		{"a minute later on the set-back clock", time.Minute, false},
		{"eleven minutes later on the set-back clock", 10 * time.Minute, true},
	} {
		before := read()
		now = now.Add(tc.advance)
		res, err := c.Activate(context.Background(), client.ActOptions{IfDue: true})
		if err != nil || len(res) != 1 || !res[0].Skipped {
			t.Fatalf("%s: act --if-due = %+v, %v; want one skipped result", tc.name, res, err)
		}
		if got := read() != before; got != tc.written {
			t.Errorf("%s: store written = %v, want %v", tc.name, got, tc.written)
		}
	}
}
