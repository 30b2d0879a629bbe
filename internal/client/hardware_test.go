package client_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/machineid"
	"github.com/volact/volact/internal/machineid/machineidtest"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/store"
)

// hw is a fake Linux machine: /etc/machine-id, DMI product UUID and board
// serial, and physical NICs (name -> MAC).
type hw struct {
	machineID, uuid, board string
	nics                   map[string]string
}

// identity writes h under a fresh root and reads its identity from there.
func (h hw) identity(t *testing.T) *machineid.Identity {
	t.Helper()
	root := machineidtest.Linux{MachineID: h.machineID, ProductUUID: h.uuid, BoardSerial: h.board, NICs: h.nics,
		Virtual: map[string]string{"lo": "00:00:00:00:00:00"}}.Root(t)
	id, err := machineid.Read(machineid.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	return &id
}

var (
	original = hw{"5f3c1e0a9b8d4c7e8f6a5b4c3d2e1f00", "4c4c4544-0042-3510-8052-b4c04f4d3432", "CN7016353B00EQ",
		map[string]string{"eno1": "b8:ca:3a:6e:01:10", "eno2": "b8:ca:3a:6e:01:11"}}
	nicSwapped = hw{original.machineID, original.uuid, original.board,
		map[string]string{"eno1": "a0:36:9f:00:00:01", "eno2": "b8:ca:3a:6e:01:11"}}
	allNICs = hw{original.machineID, original.uuid, original.board, map[string]string{"enp5s0": "a0:36:9f:00:00:01"}}
	board   = hw{original.machineID, "4c4c4544-9999-3510-8052-b4c04f4d0000", "NEWBOARD01", original.nics}
	clone   = hw{original.machineID, "564d0000-aaaa-bbbb-cccc-ddddeeeeffff", "VMW-CLONE-7",
		map[string]string{"eno1": "00:50:56:aa:bb:01", "eno2": "00:50:56:aa:bb:02"}}
)

// onHardware is a client of store on the machine id.
func onHardware(s *makService, store string, id *machineid.Identity) *client.Client {
	return client.New(client.Options{StoreDir: store, CatalogPath: filepath.Join(s.auth.Dir, authority.CatalogFile),
		Now: func() time.Time { return mt0 }, Identity: id, ServiceURL: s.url})
}

// activatedOn installs key in a store in dir on the original machine and
// activates it against s.
func activatedOn(t *testing.T, s *makService, dir, key string) {
	t.Helper()
	c := onHardware(s, dir, original.identity(t))
	if _, err := c.InstallKey(key); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestHardwareTolerance activates a MAK on one machine, then evaluates the
// same store on changed hardware: a grant survives while at least half of
// its recorded sources match, and a clone is out of tolerance.
func TestHardwareTolerance(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 5)
	dir := filepath.Join(t.TempDir(), "store")
	activatedOn(t, s, dir, key)
	ctr, _ := machineid.Read(machineid.Options{Override: "container-1"})
	all := []string{"machine-id", "dmi-product-uuid", "board-serial", "macs"}
	cases := []struct {
		name             string
		id               *machineid.Identity
		status           license.Status
		matched, changed []string
		missing          int
	}{
		{"same machine", original.identity(t), license.Licensed, all, nil, 0},
		{"one NIC replaced", nicSwapped.identity(t), license.Licensed, all, nil, 0},
		{"every NIC replaced", allNICs.identity(t), license.Licensed, all[:3], all[3:], 0},
		{"board replaced: half match", board.identity(t), license.Licensed, []string{"machine-id", "macs"}, all[1:3], 0},
		{"cloned VM", clone.identity(t), license.OOTGrace, all[:1], all[1:], 0},
		{"container override", &ctr, license.OOTGrace, nil, nil, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := onHardware(s, dir, tc.id)
			p := status(t, m, "suite-pro")
			h := p.Hardware
			if p.Status != tc.status || h == nil || h.OK != (tc.status == license.Licensed) ||
				!slices.Equal(h.Matched, append([]string{}, tc.matched...)) ||
				!slices.Equal(h.Changed, append([]string{}, tc.changed...)) || len(h.Missing) != tc.missing {
				t.Fatalf("status %s, hardware %+v", p.Status, h)
			}
			if tc.status == license.OOTGrace && (p.GraceRemainingMinutes != 30*24*60 || p.Permanent) {
				t.Errorf("out of tolerance: %+v", p)
			}
		})
	}
	// The clone keeps the hardware id the servers know, yet it may rearm:
	// it is not activated.
	cl := onHardware(s, dir, clone.identity(t))
	if cl.StoreDir() == "" || clone.identity(t).HardwareID != original.identity(t).HardwareID {
		t.Fatal("the clone has another wire hardware id")
	}
	if r, err := cl.RearmStatus(); err != nil || !r[0].Allowed {
		t.Fatalf("rearm on the clone: %+v %v", r, err)
	}
}

// TestHardwareRecordIsSigned edits the hardware sources recorded with a
// grant, as one would to make a clone match: the store is refused.
func TestHardwareRecordIsSigned(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 5)
	edits := map[string]func(*client.Installed){
		"clone's sources written in": func(p *client.Installed) { p.Hardware = clone.identity(t) },
		"sources removed":            func(p *client.Installed) { p.Hardware = nil },
		"a source dropped":           func(p *client.Installed) { p.Hardware.Sources = p.Hardware.Sources[:1] },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			activatedOn(t, s, dir, key)
			var st client.State
			if err := store.New(dir).Update(&st, func(bool) error { edit(st.Products["suite-pro"]); return nil }); err != nil {
				t.Fatal(err)
			}
			_, err := onHardware(s, dir, clone.identity(t)).Status(false)
			if err == nil {
				t.Fatal("the edited store was trusted")
			}
			wantCode(t, err, hresult.StoreTampered, hresult.ExitStore)
		})
	}
}

// TestHardwareProxy applies a confirmation requested on this hardware, and
// refuses one requested before the hardware changed.
func TestHardwareProxy(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "server-std", 3)
	dir := filepath.Join(t.TempDir(), "store")
	c := onHardware(s, dir, original.identity(t))
	if _, err := c.InstallKey(key); err != nil {
		t.Fatal(err)
	}
	req, err := c.InstallationRequest("")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := (&mak.ServiceClient{URL: s.url}).Proxy(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = onHardware(s, dir, nicSwapped.identity(t)).ApplyConfirmation(conf)
	wantCode(t, err, hresult.WrongMachine, hresult.ExitInvalid)
	if r, err := c.ApplyConfirmation(conf); err != nil || r.Status != license.Licensed {
		t.Fatalf("ApplyConfirmation: %+v %v", r, err)
	}
	if p := status(t, onHardware(s, dir, nicSwapped.identity(t)), "server-std"); p.Status != license.Licensed || !p.Hardware.OK {
		t.Fatalf("after a NIC swap: %+v", p)
	}
	if p := status(t, onHardware(s, dir, clone.identity(t)), "server-std"); p.Status != license.OOTGrace {
		t.Fatalf("on the clone: %s", p.Status)
	}
}

// TestHardwareKMS activates against a real KMS host, which echoes the
// nonce that commits to the identity, and checks the clone.
func TestHardwareKMS(t *testing.T) {
	a := kmstest.Authority(t, kt0)
	now := func() time.Time { return kt0 }
	port, _ := runHost(t, a, now)
	pin := func(st *client.Settings) error { st.KMSHost, st.KMSPort = "127.0.0.1", port; return nil }
	for i := range 4 { // four machines without sources bring the count to 4
		o := newKMSClient(t, a, "", fmt.Sprint("legacy", i), now)
		o.Configure(pin)
		o.Activate(context.Background(), client.ActOptions{})
	}
	dir := filepath.Join(t.TempDir(), "store")
	on := func(id *machineid.Identity) *client.Client {
		return client.New(client.Options{StoreDir: dir, CatalogPath: filepath.Join(a.Dir, authority.CatalogFile), Now: now, Identity: id})
	}
	c := on(original.identity(t))
	k, _ := a.Mint(productkey.KMSClient, "suite-pro", 0, 0)
	if _, err := c.InstallKey(k.String()); err != nil {
		t.Fatal(err)
	}
	c.Configure(pin)
	if res, err := c.Activate(context.Background(), client.ActOptions{}); err != nil || res[0].Status != license.Licensed {
		t.Fatalf("KMS activation: %+v %v", res, err)
	}
	for h, want := range map[*hw]license.Status{&nicSwapped: license.Licensed, &board: license.Licensed, &clone: license.OOTGrace} {
		r, err := on(h.identity(t)).Status(false)
		if err != nil || r.Products[0].Status != want {
			t.Errorf("%v: %+v %v, want %s", h.nics, r, err, want)
		}
	}
}

// TestHardwareLegacyGrant reads a format-1 store whose grant was requested
// with a hardware id only: it stays bound to that id until the product is
// activated again, which records the sources.
func TestHardwareLegacyGrant(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 5)
	dir := filepath.Join(t.TempDir(), "store")
	id := original.identity(t)
	old := machine(t, s, dir, s.url, id.HardwareID, key)
	if _, err := old.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "state.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The checksum covers the state only: this is what volact of format 1 wrote.
	data = []byte(strings.Replace(string(data), `"format": 2,`, `"format": 1,`, 1))
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p := status(t, onHardware(s, dir, clone.identity(t)), "suite-pro")
	if p.Status != license.Licensed || !slices.Equal(p.Hardware.Matched, []string{"hardware-id"}) {
		t.Fatalf("legacy grant: %s %+v", p.Status, p.Hardware)
	}
	c := onHardware(s, dir, id)
	if _, err := c.Activate(context.Background(), client.ActOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := s.used(t, key); n != 1 {
		t.Errorf("reactivation spent: %d used", n)
	}
	if p := status(t, onHardware(s, dir, clone.identity(t)), "suite-pro"); p.Status != license.OOTGrace || len(p.Hardware.Changed) != 3 {
		t.Fatalf("after reactivation the clone is %s %+v", p.Status, p.Hardware)
	}
}

// TestCloneGraceRunsOnReadOnlyVerbs runs only dstatus on a clone of an
// activated machine, a month apart: the out-of-tolerance grace starts the
// first time a verb sees the clone and runs out, instead of starting
// afresh on every read (a clone that never runs a writing verb would
// otherwise never reach notification).
func TestCloneGraceRunsOnReadOnlyVerbs(t *testing.T) {
	s := newMAKService(t)
	key := s.mint(t, productkey.MAK, "suite-pro", 5)
	dir := filepath.Join(t.TempDir(), "store")
	activatedOn(t, s, dir, key)
	clk := &clockAt{mt0}
	cl := client.New(client.Options{StoreDir: dir, CatalogPath: filepath.Join(s.auth.Dir, authority.CatalogFile),
		Now: clk.now, Identity: clone.identity(t)})
	if p := status(t, cl, "suite-pro"); p.Status != license.OOTGrace || p.GraceRemainingMinutes != 30*24*60 {
		t.Fatalf("first read on the clone: %s, %d minutes", p.Status, p.GraceRemainingMinutes)
	}
	clk.t = mt0.Add(31 * 24 * time.Hour)
	if p := status(t, cl, "suite-pro"); p.Status != license.Notification {
		t.Fatalf("a month of reads later: %s, %d minutes of grace", p.Status, p.GraceRemainingMinutes)
	}
}
