package kms_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/kms"
)

// activateFrom sends one request of cmid from addr and returns the count
// the host answered with.
func (f *fixture) activateFrom(t *testing.T, cmid, addr string) int {
	t.Helper()
	env, err := f.h.Activate(context.Background(), req(cmid, "workstation-ent", f.clk.Now()), addr)
	if err != nil {
		e := hresult.From(err)
		if e.Code != hresult.CountTooLow {
			t.Fatalf("%s from %s: %v", cmid, addr, err)
		}
		return e.CurrentCount
	}
	if env == nil {
		t.Fatalf("%s from %s: no grant", cmid, addr)
	}
	return -2 // activated
}

func setLimit(t *testing.T, f *fixture, n int) {
	t.Helper()
	if err := f.h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := kms.UpdateSettings(f.dir, func(s *kms.Settings) { s.NewCMIDLimit = n }); err != nil {
		t.Fatal(err)
	}
	f.open(t)
}

// Many new CMIDs from one address: counted up to the limit, then answered
// with the count but not counted; one count_limit event per network and
// hour, kept across a restart. CMIDs counted before keep renewing.
func TestCountLimitOneNetwork(t *testing.T) {
	f := newFixture(t)
	setLimit(t, f, 5)
	for i := 1; i <= 5; i++ {
		if n := f.activateFrom(t, fmt.Sprint("c", i), "10.1.2.3"); n != i {
			t.Fatalf("client %d counted as %d", i, n)
		}
	}
	for i := 6; i <= 12; i++ { // another address of the same /24
		if n := f.activateFrom(t, fmt.Sprint("c", i), "10.1.2.200"); n != 5 {
			t.Fatalf("client %d past the limit: count %d, want 5 (answered, not counted)", i, n)
		}
	}
	if n := f.activateFrom(t, "c1", "10.1.2.3"); n != 5 {
		t.Fatalf("a counted client renewing: count %d", n)
	}
	if n := f.activateFrom(t, "other", "10.1.3.1"); n != 6 {
		t.Fatalf("another /24 is not limited: count %d, want 6", n)
	}
	f.reopen(t)
	evs, err := kms.ReadEvents(f.dir, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Kind != kms.CountLimitEvent || evs[0].Network != "10.1.2.0/24" || evs[0].CMID != "c6" || evs[0].Group != "workstation" {
		t.Fatalf("events after a restart: %+v", evs)
	}
	if n := f.h.Counts()["workstation"]; n != 6 {
		t.Fatalf("count after a restart %d, want 6 (uncounted CMIDs stay uncounted)", n)
	}
	// An hour later the network may add new CMIDs again.
	f.clk.set(f.clk.Now().Add(time.Hour))
	if n := f.activateFrom(t, "late", "10.1.2.3"); n != 7 {
		t.Fatalf("an hour later: count %d, want 7", n)
	}
}

// Fewer CMIDs from many networks are all counted.
func TestCountLimitManyNetworks(t *testing.T) {
	f := newFixture(t)
	setLimit(t, f, 2)
	for i := 1; i <= 20; i++ {
		if n := f.activateFrom(t, fmt.Sprint("m", i), fmt.Sprintf("10.0.%d.7", i)); n != i {
			t.Fatalf("client %d from its own /24 counted as %d", i, n)
		}
	}
	evs, _ := kms.ReadEvents(f.dir, time.Time{})
	if len(evs) != 0 {
		t.Fatalf("events: %+v", evs)
	}
}

func TestNetworkOf(t *testing.T) {
	for in, want := range map[string]string{
		"192.168.7.42":            "192.168.7.0/24",
		"::ffff:10.1.2.3":         "10.1.2.0/24",
		"fd00:1:2:3:4:5:6:7":      "fd00:1:2:3::/64",
		"fe80::1%eth0":            "fe80::/64",
		"not an address":          "not an address",
		"2001:db8:aaaa:bbbb:cc::": "2001:db8:aaaa:bbbb::/64",
	} {
		if got := kms.NetworkOf(in); got != want {
			t.Errorf("NetworkOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int{"100/h": 100, "7": 7, "0": 0, " 25/hour ": 25} {
		if got, err := kms.ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-1", "ten/h", "5/m"} {
		if _, err := kms.ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) accepted", in)
		}
	}
}
