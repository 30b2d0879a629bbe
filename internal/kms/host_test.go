package kms_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

var t0 = time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is an injected clock tests move by hand; the host's background
// writer reads it too.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type fixture struct {
	a   *authority.Authority
	dir string
	clk *clock
	h   *kms.Host
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	a := kmstest.Authority(t, t0)
	f := &fixture{a: a, dir: kmstest.ActivatedDir(t, a, t0, "suite-pro", "workstation-ent"), clk: &clock{t: t0}}
	f.open(t)
	return f
}

func (f *fixture) open(t *testing.T) {
	t.Helper()
	h, err := kms.Open(kms.Options{Dir: f.dir, Now: f.clk.Now, Name: "kms1"})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	t.Cleanup(func() { h.Close() })
}

func (f *fixture) reopen(t *testing.T) {
	t.Helper()
	if err := f.h.Close(); err != nil {
		t.Fatal(err)
	}
	f.open(t)
}

func req(cmid, sku string, at time.Time) protocol.ActivationRequest {
	return protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: sku,
		HardwareID: "hw-" + cmid, CMID: cmid, ClientTime: at, Nonce: "n-" + cmid}
}

// activate sends one request and returns the count it reports and its code.
func (f *fixture) activate(t *testing.T, cmid, sku string) (int, hresult.Code, *protocol.Grant) {
	t.Helper()
	env, err := f.h.Activate(context.Background(), req(cmid, sku, f.clk.Now()), "127.0.0.1")
	if err != nil {
		e := hresult.From(err)
		return e.CurrentCount, e.Code, nil
	}
	var g protocol.Grant
	cert, err := protocol.Open(*env, f.a.Public(), f.clk.Now(), &g)
	if err != nil {
		t.Fatalf("grant does not verify against the root: %v", err)
	}
	if cert.Role != protocol.RoleKMSHost {
		t.Fatalf("grant signed by a %q certificate", cert.Role)
	}
	return g.CurrentCount, hresult.OK, &g
}

func TestThresholdAndGrant(t *testing.T) {
	f := newFixture(t)
	if got := f.h.Counts()["suite"]; got != -1 {
		t.Fatalf("count before any request = %d, want -1", got)
	}
	for i := 1; i <= 4; i++ {
		n, code, _ := f.activate(t, fmt.Sprintf("c%d", i), "suite-pro")
		if code != hresult.CountTooLow || n != i {
			t.Fatalf("client %d: %s count %d, want 0xC004F038 count %d", i, code, n, i)
		}
	}
	// A clone of a store (same CMID) counts once.
	if n, code, _ := f.activate(t, "c1", "suite-pro"); code != hresult.CountTooLow || n != 4 {
		t.Fatalf("clone: %s count %d, want 0xC004F038 count 4", code, n)
	}
	n, code, g := f.activate(t, "c5", "suite-pro")
	if code != hresult.OK || n != 5 {
		t.Fatalf("5th client: %s count %d, want activation at 5", code, n)
	}
	if g.Kind != "kms" || g.SKU != "suite-pro" || g.HardwareID != "hw-c5" || g.CMID != "c5" || g.Nonce != "n-c5" || g.Issuer != "kms1" {
		t.Errorf("grant fields wrong: %+v", g)
	}
	if !g.ExpiresAt.Equal(t0.Add(180*24*time.Hour)) || g.ActivationInterval != 120 || g.RenewalInterval != 10080 {
		t.Errorf("grant expiry/intervals: %v %d %d", g.ExpiresAt, g.ActivationInterval, g.RenewalInterval)
	}
	// The first clients activate on their next retry.
	if _, code, _ := f.activate(t, "c1", "suite-pro"); code != hresult.OK {
		t.Fatalf("first client retry: %s", code)
	}
	// Workstation needs 25, counted apart from suite.
	if n, code, _ := f.activate(t, "c1", "workstation-ent"); code != hresult.CountTooLow || n != 1 {
		t.Fatalf("workstation: %s count %d", code, n)
	}
}

func TestCapWindowAndSkew(t *testing.T) {
	f := newFixture(t)
	for i := range 12 {
		f.activate(t, fmt.Sprintf("c%02d", i), "suite-pro")
	}
	if got := f.h.Counts()["suite"]; got != 10 {
		t.Fatalf("count after 12 clients = %d, want 2 x threshold = 10", got)
	}
	f.clk.set(t0.Add(29 * 24 * time.Hour))
	if n, code, _ := f.activate(t, "late", "suite-pro"); code != hresult.OK || n != 10 {
		t.Fatalf("within 30 days: %s count %d", code, n)
	}
	f.clk.set(t0.Add(30 * 24 * time.Hour))
	if n, code, _ := f.activate(t, "new", "suite-pro"); code != hresult.CountTooLow || n != 2 {
		t.Fatalf("after 30 days: %s count %d, want 0xC004F038 count 2 (late + new)", code, n)
	}
	for _, tc := range []struct {
		off  time.Duration
		want hresult.Code
	}{{-4*time.Hour - time.Second, hresult.ClockSkew}, {4*time.Hour + time.Second, hresult.ClockSkew}, {-4 * time.Hour, hresult.CountTooLow}} {
		r := req(fmt.Sprintf("skew%v", tc.off), "suite-pro", f.clk.Now().Add(tc.off))
		_, err := f.h.Activate(context.Background(), r, "127.0.0.1")
		if got := hresult.CodeOf(err); got != tc.want {
			t.Errorf("client clock off by %v: %s, want %s", tc.off, got, tc.want)
		}
	}
}

func TestPersistenceAcrossRestart(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		f.activate(t, fmt.Sprintf("c%d", i), "suite-pro")
	}
	f.reopen(t)
	if got := f.h.Counts()["suite"]; got != 3 {
		t.Fatalf("count after restart = %d, want 3", got)
	}
	st, err := kms.ReadStatus(f.dir, f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Groups[0].Group != "suite" || st.Groups[0].CurrentCount != 3 || st.Groups[0].ClientsSeen != 3 || !st.Groups[0].Served {
		t.Errorf("status after restart: %+v", st.Groups[0])
	}
	if n, _, _ := f.activate(t, "c3", "suite-pro"); n != 4 {
		t.Errorf("count continues at %d, want 4", n)
	}
}

// historyRows counts the rows `kms history` exports for dir.
func historyRows(t *testing.T, dir string) int {
	t.Helper()
	var buf strings.Builder
	if err := kms.WriteHistory(&buf, dir, kms.FormatCSV, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return strings.Count(buf.String(), "\n") - 1 // less the header
}

// TestCrashLosesNothingAnswered answers requests from many goroutines,
// then drops the host as kill -9 would, before or while the journal is
// applied: status and history show every answered request at once, and
// again after the restart.
func TestCrashLosesNothingAnswered(t *testing.T) {
	f := newFixture(t)
	setLimit(t, f, 0) // 300 new CMIDs from one network
	const clients = 300
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			if _, err := f.h.Activate(context.Background(), req(fmt.Sprintf("w%03d", i), "workstation-ent", t0), "10.0.0.1"); err != nil &&
				hresult.CodeOf(err) != hresult.CountTooLow {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	check := func(when string) {
		t.Helper()
		st, err := kms.ReadStatus(f.dir, f.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range st.Groups {
			if g.Group == "workstation" && (g.CurrentCount != 50 || g.ClientsSeen != clients) {
				t.Errorf("%s: workstation count %d, clients seen %d; want 50 (2 x threshold) and %d", when, g.CurrentCount, g.ClientsSeen, clients)
			}
		}
		if rows := historyRows(t, f.dir); rows != clients {
			t.Errorf("%s: history has %d rows, want %d", when, rows, clients)
		}
	}
	check("while serving")
	f.h.Crash()
	f.open(t)
	check("after the crash and a restart")
	if got := f.h.Counts()["workstation"]; got != 50 {
		t.Errorf("host count after the restart = %d, want 50", got)
	}
}

// TestFullDisk fills the disk under the journal and under the database:
// a request that could not be recorded is refused with a clear error and
// not counted; requests recorded while the database is full are kept and
// land in it once there is room, each once.
func TestFullDisk(t *testing.T) {
	f := newFixture(t)
	setLimit(t, f, 0) // 300 new CMIDs from one network
	f.h.HaltApplier()
	for i := range 3 {
		f.activate(t, fmt.Sprintf("c%d", i), "suite-pro")
	}
	restore := f.h.FailJournal()
	_, err := f.h.Activate(context.Background(), req("lost", "suite-pro", t0), "127.0.0.1")
	if e := hresult.From(err); e.Code != hresult.ServiceFailure || !strings.Contains(e.Hint, "not recorded") {
		t.Fatalf("journal write on a full disk: %v (hint %q), want 0x%X saying the request was not recorded", err, e.Hint, uint32(hresult.ServiceFailure))
	}
	if got := f.h.Counts()["suite"]; got != 3 {
		t.Fatalf("count after a request that was not recorded = %d, want 3", got)
	}
	restore()

	if err := f.h.LimitDB(0); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 300; i++ { // more than the free room in the pages there are
		f.activate(t, fmt.Sprintf("c%d", i), "suite-pro")
	}
	if waiting := f.h.ApplyNow(); waiting != 300 {
		t.Fatalf("with the database full, %d requests wait for a retry, want 300", waiting)
	}
	if got := historyRows(t, f.dir); got != 300 { // the refused request could not be written anywhere
		t.Fatalf("history while the database is full: %d rows, want the 300 answered", got)
	}
	if err := f.h.LimitDB(-1); err != nil {
		t.Fatal(err)
	}
	if waiting := f.h.ApplyNow(); waiting != 0 {
		t.Fatalf("%d requests still wait after the disk has room", waiting)
	}
	f.h.Crash()
	f.open(t)
	if got := historyRows(t, f.dir); got != 300 {
		t.Fatalf("history after the disk had room and a restart: %d rows, want 300", got)
	}
	if got := f.h.Counts()["suite"]; got != 10 {
		t.Fatalf("count after the restart = %d, want 10", got)
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		mod  func(*protocol.ActivationRequest)
		want hresult.Code
	}{
		{"unknown sku", func(r *protocol.ActivationRequest) { r.SKU = "nope" }, hresult.SKUNotFound},
		{"group not served", func(r *protocol.ActivationRequest) { r.SKU = "server-std" }, hresult.ServiceFailure},
		{"wrong group", func(r *protocol.ActivationRequest) { r.Group = "server" }, hresult.BadRequest},
		{"mak kind", func(r *protocol.ActivationRequest) { r.Kind = "mak"; r.Key = "x" }, hresult.BadRequest},
		{"no cmid", func(r *protocol.ActivationRequest) { r.CMID = "" }, hresult.BadRequest},
		{"long cmid", func(r *protocol.ActivationRequest) { r.CMID = string(make([]byte, 500)) }, hresult.BadRequest},
	} {
		r := req("x", "suite-pro", t0)
		tc.mod(&r)
		_, err := f.h.Activate(context.Background(), r, "127.0.0.1")
		if got := hresult.CodeOf(err); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if got := f.h.Counts()["suite"]; got != -1 {
		t.Errorf("refused requests were counted: %d", got)
	}
}

func TestSecondHostOnSameDirIsRefused(t *testing.T) {
	f := newFixture(t)
	_, err := kms.Open(kms.Options{Dir: f.dir, Now: f.clk.Now})
	e := hresult.From(err)
	if e.Code != hresult.StoreLocked || e.Exit != hresult.ExitStore {
		t.Fatalf("second host: %v (exit %d), want StoreLocked exit 7", err, e.Exit)
	}
	if _, err := kms.UpdateSettings(f.dir, func(*kms.Settings) {}); hresult.CodeOf(err) != hresult.StoreLocked {
		t.Fatalf("kms set while serving: %v", err)
	}
}

func TestInstallKeyAndActivate(t *testing.T) {
	a := kmstest.Authority(t, t0)
	dir := filepath.Join(t.TempDir(), "kms")
	client, _ := a.Mint(productkey.KMSClient, "suite-pro", 0, 0)
	_, err := kms.InstallKey(dir, client.String(), nil, t0)
	if e := hresult.From(err); e.Code != hresult.InvalidKey || e.Exit != hresult.ExitInvalid {
		t.Fatalf("client key on a host: %v, want InvalidKey exit 3", err)
	}
	host, _ := a.Mint(productkey.KMSHost, "suite-pro", 0, 0)
	if _, err := kms.InstallKey(dir, host.String(), nil, t0); hresult.CodeOf(err) != hresult.NoCatalog {
		t.Fatalf("install without a catalog: %v", err)
	}
	catData, err := os.ReadFile(filepath.Join(a.Dir, authority.CatalogFile))
	if err != nil {
		t.Fatal(err)
	}
	hk, err := kms.InstallKey(dir, host.String(), catData, t0)
	if err != nil || hk.Group != "suite" || hk.Last5 != host.Last5() {
		t.Fatalf("install host key: %+v %v", hk, err)
	}
	_, err = kms.Open(kms.Options{Dir: dir})
	if !errors.Is(err, hresult.Sentinel(hresult.KeyNotInstalled)) || !strings.Contains(err.Error(), "not activated") {
		t.Fatalf("serving before activation: %v", err)
	}
	other := kmstest.Authority(t, t0)
	srv := kmstest.Service(t, other, func() time.Time { return t0 })
	dir2 := kmstest.ActivatedDir(t, a, t0, "suite-pro")
	if _, err := kms.ActivateHost(context.Background(), dir2, srv.URL, "h", srv.Client(), t0); hresult.CodeOf(err) != hresult.KeyNotFound {
		t.Fatalf("activation against another authority: %v", err)
	}
}

func TestSettings(t *testing.T) {
	f := newFixture(t)
	f.h.Close()
	if _, err := kms.UpdateSettings(f.dir, func(s *kms.Settings) { s.ActivationInterval = 14 }); hresult.From(err).Exit != hresult.ExitInvalid {
		t.Fatalf("interval 14 accepted: %v", err)
	}
	s, err := kms.UpdateSettings(f.dir, func(s *kms.Settings) { s.ActivationInterval, s.RenewalInterval, s.Port = 60, 43200, 1700 })
	if err != nil {
		t.Fatal(err)
	}
	f.open(t)
	if got := f.h.Settings(); got.ActivationInterval != 60 || got.RenewalInterval != 43200 || got.Port != 1700 || got != s {
		t.Fatalf("settings after restart: %+v", got)
	}
	for range 5 {
		f.activate(t, fmt.Sprint(f.clk.Now().UnixNano()), "suite-pro")
		f.clk.set(f.clk.Now().Add(time.Second))
	}
	_, _, g := f.activate(t, "z", "suite-pro")
	if g == nil || g.ActivationInterval != 60 || g.RenewalInterval != 43200 {
		t.Fatalf("grant does not carry the host's intervals: %+v", g)
	}
}
