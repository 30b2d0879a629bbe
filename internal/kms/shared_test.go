package kms_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/pgtest"
)

const wsSKU = "workstation-ent" // group workstation, threshold 25

// site is an authority and a shared database set up from its first host.
type site struct {
	a   *authority.Authority
	dsn string
}

func newSite(t *testing.T, dsn string) *site {
	t.Helper()
	s := &site{a: kmstest.Authority(t, time.Now()), dsn: dsn}
	dir := kmstest.ActivatedDir(t, s.a, time.Now(), wsSKU)
	if _, err := kms.InitSharedDB(context.Background(), dir, dsn, "hq", time.Now()); err != nil {
		t.Fatal(err)
	}
	return s
}

// host opens a new activated host of the site on its database.
func (s *site) host(t *testing.T, name string) *kms.Host {
	t.Helper()
	dir := kmstest.ActivatedDir(t, s.a, time.Now(), wsSKU)
	h, err := kms.Open(kms.Options{Dir: dir, Name: name, DB: s.dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// ask sends one workstation request for cmid and returns the code and count.
func ask(t *testing.T, h *kms.Host, cmid string) (hresult.Code, int) {
	t.Helper()
	_, err := h.Activate(context.Background(), req(cmid, wsSKU, time.Now().UTC()), "10.0.0.1")
	if err == nil {
		return hresult.OK, 0
	}
	e := hresult.From(err)
	return e.Code, e.CurrentCount
}

// TestSharedThresholdThroughAnotherHost: 24 clients on host A, the 25th on
// host B, which activates it because it merged A's clients; then A, after
// its refresh, activates A's first client on its retry. The same again
// with the background refresher instead of an explicit sync.
func TestSharedThresholdThroughAnotherHost(t *testing.T) {
	s := newSite(t, pgtest.Start(t))
	a, b := s.host(t, "kms-a"), s.host(t, "kms-b")
	for _, h := range []*kms.Host{a, b} {
		h.HaltShared()
		h.HaltApplier()
	}
	for i := 1; i <= 24; i++ {
		if code, n := ask(t, a, "ws-"+itoa(i)); code != hresult.CountTooLow || n != i {
			t.Fatalf("client %d on A: %s count %d, want CountTooLow count %d", i, code, n, i)
		}
	}
	a.ApplyNow()
	if err := a.SyncShared(); err != nil {
		t.Fatal(err)
	}
	if err := b.SyncShared(); err != nil {
		t.Fatal(err)
	}
	if got := b.Counts()["workstation"]; got != 24 {
		t.Fatalf("B's count after its refresh = %d, want A's 24", got)
	}
	if code, _ := ask(t, b, "ws-25"); code != hresult.OK {
		t.Fatalf("25th client on B: %s, want activated", code)
	}
	if code, _ := ask(t, a, "ws-1"); code != hresult.CountTooLow {
		t.Fatalf("A before its refresh: %s, want CountTooLow (it has not seen B's client yet)", code)
	}
	b.ApplyNow()
	if err := b.SyncShared(); err != nil {
		t.Fatal(err)
	}
	if err := a.SyncShared(); err != nil {
		t.Fatal(err)
	}
	if code, _ := ask(t, a, "ws-1"); code != hresult.OK {
		t.Fatalf("A's client 1 on its retry after A's refresh: %s, want activated", code)
	}

	// The background loops: a third host sees the threshold after its
	// next refresh, with nothing synced by hand.
	c := s.host(t, "kms-c")
	c.WaitRefresh()
	if code, _ := ask(t, c, "ws-26"); code != hresult.OK {
		t.Fatalf("a new client on C after C's refresh: %s, want activated", code)
	}
}

// TestSharedShipTwice: a batch shipped twice (the host stopped between the
// commit and clearing its outbox) is in the shared history once, and each
// CMID is counted once.
func TestSharedShipTwice(t *testing.T) {
	dsn := pgtest.Start(t)
	s := newSite(t, dsn)
	a := s.host(t, "kms-a")
	a.HaltShared()
	a.HaltApplier()
	for _, id := range []string{"x1", "x2", "x1", "x3", "x2"} {
		ask(t, a, id)
	}
	a.ApplyNow()
	if n := a.Backlog(); n != 5 {
		t.Fatalf("outbox holds %d requests, want 5", n)
	}
	for range 2 {
		if err := a.ShipKeepingOutbox(); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SyncShared(); err != nil {
		t.Fatal(err)
	}
	if n := a.Backlog(); n != 0 {
		t.Fatalf("outbox holds %d requests after shipping, want 0", n)
	}
	if hist, clients := pgCounts(t, dsn); hist != 5 || clients != 3 {
		t.Fatalf("shared database: %d history rows, %d clients; want 5 and 3", hist, clients)
	}
}

// pgCounts returns the number of shared history rows and counted clients.
func pgCounts(t *testing.T, dsn string) (hist, clients int) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM kms_history), (SELECT COUNT(*) FROM kms_clients)`).Scan(&hist, &clients); err != nil {
		t.Fatal(err)
	}
	return hist, clients
}

// TestSharedRefusals: a database without a site, another authority's,
// another site's than the one the host joined, an unreachable one, and a
// joined host started alone are refused at Open, each with one line.
func TestSharedRefusals(t *testing.T) {
	s := newSite(t, pgtest.Start(t))
	joinedDir := kmstest.ActivatedDir(t, s.a, time.Now(), wsSKU)
	h, err := kms.Open(kms.Options{Dir: joinedDir, DB: s.dsn})
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	otherSite := pgtest.Start(t)
	if _, err := kms.InitSharedDB(context.Background(), joinedDir, otherSite, "branch", time.Now()); err != nil {
		t.Fatal(err)
	}
	foreign := newSite(t, pgtest.Start(t)) // another authority
	fresh := kmstest.ActivatedDir(t, s.a, time.Now(), wsSKU)
	for _, tc := range []struct {
		name, dir, dsn, want string
		exit                 int
	}{
		{"not set up", fresh, pgtest.Start(t), "holds no volact KMS site", hresult.ExitStore},
		{"another authority", fresh, foreign.dsn, "belongs to another authority", hresult.ExitStore},
		{"another site", joinedDir, otherSite, "not the site this host joined", hresult.ExitStore},
		{"unreachable", fresh, "postgres://u:secret@127.0.0.1:1/x?sslmode=disable", "cannot reach the shared PostgreSQL database 127.0.0.1:1/x", hresult.ExitUnreachable},
		{"not postgres", fresh, "mysql://x", "is not a postgres:// URL", hresult.ExitInvalid},
		{"joined, started alone", joinedDir, "", "start it with --db", hresult.ExitInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := kms.Open(kms.Options{Dir: tc.dir, DB: tc.dsn})
			if err == nil {
				h.Close()
				t.Fatal("opened, want refused")
			}
			e := hresult.From(err)
			if msg := e.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "secret") || e.Exit != tc.exit {
				t.Errorf("error %q (exit %d), want one line with %q (exit %d), no password", e.Error(), e.Exit, tc.want, tc.exit)
			}
		})
	}
}

// TestSharedPartition: with the database stopped, a host keeps answering
// from the last shared count plus the clients it counts itself, says it is
// degraded, and ships everything once the database is back.
func TestSharedPartition(t *testing.T) {
	srv := pgtest.Own(t)
	dsn := srv.Database()
	s := newSite(t, dsn)
	a, b := s.host(t, "kms-a"), s.host(t, "kms-b")
	b.HaltApplier()
	for i := 1; i <= 20; i++ {
		ask(t, b, "p-"+itoa(i))
	}
	b.ApplyNow()
	if err := b.SyncShared(); err != nil {
		t.Fatal(err)
	}
	a.WaitRefresh()
	srv.Stop()
	for !a.Degraded() {
		time.Sleep(20 * time.Millisecond)
	}
	for i := 21; i <= 24; i++ {
		if code, n := ask(t, a, "p-"+itoa(i)); code != hresult.CountTooLow || n != i {
			t.Fatalf("client %d on A without the database: %s count %d, want CountTooLow %d", i, code, n, i)
		}
	}
	if code, _ := ask(t, a, "p-25"); code != hresult.OK {
		t.Fatalf("25th client on A without the database: %s, want activated (20 shared + 5 its own)", code)
	}
	srv.Start()
	for a.Degraded() || a.Backlog() > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	if hist, clients := pgCounts(t, dsn); hist != 25 || clients != 25 {
		t.Fatalf("after the outage: %d history rows, %d clients; want 25 and 25", hist, clients)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestSharedIdleHostStaysDegraded: a host with nothing to ship that lost
// its database stays degraded: the shipper's round with an empty outbox
// sends nothing, so it must not say the database is back (it did, and an
// idle host's /healthz flipped between ok and degraded every 50 ms).
func TestSharedIdleHostStaysDegraded(t *testing.T) {
	srv := pgtest.Own(t)
	s := newSite(t, srv.Database())
	a := s.host(t, "kms-a")
	a.HaltShared()
	if err := a.RefreshTick(); err != nil || a.Degraded() {
		t.Fatalf("refresh with the database up: %v, degraded %v", err, a.Degraded())
	}
	srv.Stop()
	defer srv.Start()
	if err := a.RefreshTick(); err == nil || !a.Degraded() {
		t.Fatalf("refresh with the database stopped: %v, degraded %v; want an error and degraded", err, a.Degraded())
	}
	for range 3 {
		if err := a.ShipTick(); err != nil {
			t.Fatalf("ship with an empty outbox: %v", err)
		}
		if !a.Degraded() {
			t.Fatal("a ship round that sent nothing said the database was back")
		}
	}
}
