package kms_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/pgtest"
	"github.com/volact/volact/internal/protocol"
)

// askState sends h one workstation request of machine hw with state cs.
func askState(t *testing.T, h *kms.Host, hw string, cs protocol.ClientState) {
	t.Helper()
	r := req("c-"+hw, wsSKU, time.Now().UTC())
	r.HardwareID, r.State, r.Nonce = hw, &cs, "n-"+hw+time.Now().String()
	_, _ = h.Activate(context.Background(), r, "10.0.0.1")
}

// waitFor polls ok (at most 30 s).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never %s", what)
		}
	}
}

// TestSharedStateMergeRule: two hosts see different states of one machine
// before either has the other's; the shared row is the state neither
// would flag against the other (and the one with more resets recorded),
// whichever host ships first, as mergeSeen computes it.
func TestSharedStateMergeRule(t *testing.T) {
	t0 := time.Now().UTC().Add(-100 * time.Hour).Truncate(time.Second)
	st := func(rearm int, grace, trusted time.Duration) protocol.ClientState {
		s := protocol.ClientState{RearmCount: rearm, TrustedTime: t0.Add(trusted)}
		if grace >= 0 {
			s.GraceStart = t0.Add(grace)
		}
		return s
	}
	cases := []struct {
		name       string
		a, b, want protocol.ClientState
	}{
		{"higher rearm count", st(2, 5*time.Hour, 6*time.Hour), st(1, 0, 9*time.Hour), st(2, 5*time.Hour, 9*time.Hour)},
		{"equal counts, earlier grace start", st(1, 3*time.Hour, 9*time.Hour), st(1, time.Hour, 4*time.Hour), st(1, time.Hour, 9*time.Hour)},
		{"zero grace start is unknown", st(0, -1, 8*time.Hour), st(0, 2*time.Hour, 3*time.Hour), st(0, 2*time.Hour, 8*time.Hour)},
		{"same state", st(3, time.Hour, 2*time.Hour), st(3, time.Hour, 2*time.Hour), st(3, time.Hour, 2*time.Hour)},
	}
	for _, aFirst := range []bool{true, false} {
		s := newSite(t, pgtest.Start(t))
		a, b := s.host(t, "kms-a"), s.host(t, "kms-b")
		a.HaltShared()
		b.HaltShared()
		for i, c := range cases {
			askState(t, a, "hw-"+itoa(i), c.a)
			askState(t, b, "hw-"+itoa(i), c.b)
			if got, _ := kms.MergeSeen(c.a, 0, c.b, 0); got != c.want {
				t.Errorf("%s: mergeSeen %+v, want %+v", c.name, got, c.want)
			}
		}
		first, second := a, b
		if !aFirst {
			first, second = b, a
		}
		for _, h := range []*kms.Host{first, second} {
			if err := h.ShipTick(); err != nil {
				t.Fatal(err)
			}
		}
		conn, err := pgx.Connect(context.Background(), s.dsn)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			var g, tt int64
			var got protocol.ClientState
			if err := conn.QueryRow(context.Background(), `SELECT grace_start, rearm_count, trusted_time FROM kms_client_state
				WHERE hwid = $1 AND sku = $2`, "hw-"+itoa(i), wsSKU).Scan(&g, &got.RearmCount, &tt); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if g != 0 {
				got.GraceStart = time.Unix(0, g).UTC()
			}
			got.TrustedTime = time.Unix(0, tt).UTC()
			if got != c.want {
				t.Errorf("%s (A first %v): shared row %+v, want %+v", c.name, aFirst, got, c.want)
			}
		}
		conn.Close(context.Background())
		if a.StateResets()+b.StateResets() != 0 {
			t.Errorf("state_reset events: A %d, B %d, want none", a.StateResets(), b.StateResets())
		}
	}
	// More resets recorded win, whatever the states.
	if got, n := kms.MergeSeen(st(5, 0, 0), 0, st(0, time.Hour, 0), 1); got != st(0, time.Hour, 0) || n != 1 {
		t.Errorf("a reset state against a higher one: %+v (%d resets)", got, n)
	}
}

// TestSharedStateResetOnAnotherHost: a machine seen with two rearms on A
// resets its store and asks B, which never saw it: B records a state_reset
// once it merged the site's states, and A, once it merged the reset,
// records none for the machine's renewals. While the database is down A
// answers from its own states and sends them when it is back.
func TestSharedStateResetOnAnotherHost(t *testing.T) {
	srv := pgtest.Own(t)
	s := newSite(t, srv.Database())
	a, b := s.host(t, "kms-a"), s.host(t, "kms-b")
	now := time.Now().UTC()
	rearmed := protocol.ClientState{GraceStart: now.Add(-24 * time.Hour), RearmCount: 2, TrustedTime: now}
	edited := protocol.ClientState{GraceStart: now.Add(-time.Hour), TrustedTime: now}

	srv.Stop()
	askState(t, a, "hw-1", rearmed)
	waitFor(t, "degraded", a.Degraded)
	askState(t, a, "hw-1", rearmed)
	srv.Start()
	waitFor(t, "merged on B", func() bool { return b.StatesMerged() == 1 })
	askState(t, b, "hw-1", edited)
	if n := b.StateResets(); n != 1 {
		t.Fatalf("B: %d state_reset events, want 1", n)
	}
	askState(t, b, "hw-1", edited)
	waitFor(t, "merged the reset on A", func() bool { return a.StatesMerged() == 1 })
	askState(t, a, "hw-1", edited)
	if a.StateResets() != 0 || b.StateResets() != 1 {
		t.Errorf("state_reset events after renewals: A %d, B %d, want 0 and 1", a.StateResets(), b.StateResets())
	}
}

// TestSharedStateTableOnOlderSite: a host joining a site database set up
// before kms_client_state existed creates it.
func TestSharedStateTableOnOlderSite(t *testing.T) {
	s := newSite(t, pgtest.Start(t))
	conn, err := pgx.Connect(context.Background(), s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `DROP TABLE kms_client_state`); err != nil {
		t.Fatal(err)
	}
	a := s.host(t, "kms-a")
	askState(t, a, "hw-old", protocol.ClientState{RearmCount: 1, GraceStart: time.Now().Add(-time.Hour), TrustedTime: time.Now()})
	waitFor(t, "shipped the state", func() bool {
		var n int
		return conn.QueryRow(context.Background(), `SELECT COUNT(*) FROM kms_client_state`).Scan(&n) == nil && n == 1
	})
}
