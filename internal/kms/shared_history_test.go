package kms_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/pgtest"
)

// TestSharedHistoryExport: two hosts on one database, with a site limit of
// one new CMID per network and hour, each answer some requests. B ships
// all of it; A ships part of it twice without clearing its outbox (as a
// host stopped between the commit and the delete) and keeps its last
// request in its journal. The site's history exported through A lists
// every request exactly once with the host that answered it, and the
// site's events are those of both hosts.
func TestSharedHistoryExport(t *testing.T) {
	s := newSite(t, pgtest.Start(t))
	if _, err := kms.UpdateSiteSettings(context.Background(), s.dsn, func(st *kms.Settings) { st.NewCMIDLimit = 1 }); err != nil {
		t.Fatal(err)
	}
	dirA := kmstest.ActivatedDir(t, s.a, time.Now(), wsSKU)
	a := openHost(t, dirA, "kms-a", s.dsn)
	b := s.host(t, "kms-b")
	for _, h := range []*kms.Host{a, b} {
		h.HaltShared()
		h.HaltApplier()
	}
	want := map[string]string{} // CMID -> host
	for _, c := range []string{"b1", "b2", "b3"} {
		ask(t, b, c)
		want[c] = "kms-b"
	}
	b.ApplyNow()
	if err := b.SyncShared(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a1", "a2"} {
		ask(t, a, c)
		want[c] = "kms-a"
	}
	a.ApplyNow()
	for range 2 {
		if err := a.ShipKeepingOutbox(); err != nil {
			t.Fatal(err)
		}
	}
	ask(t, a, "a3") // in A's journal only
	want["a3"] = "kms-a"

	var out bytes.Buffer
	if err := kms.WriteSharedHistory(context.Background(), &out, dirA, s.dsn, kms.FormatCSV, time.Time{}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	events := map[string]int{} // host -> count_limit events
	for _, r := range recs[1:] {
		cmid, result, host := r[1], r[4], r[7]
		if slices.Contains(kms.EventKinds, result) {
			events[host]++
			continue
		}
		seen[cmid]++
		if host != want[cmid] || r[8] == "" {
			t.Errorf("%s listed as answered by %q (%q), want %s", cmid, host, r[8], want[cmid])
		}
	}
	for cmid := range want {
		if seen[cmid] != 1 {
			t.Errorf("%s listed %d times, want once", cmid, seen[cmid])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("listed %v, want %v", seen, want)
	}
	if events["kms-a"] != 1 || events["kms-b"] != 1 {
		t.Errorf("count_limit rows per host %v, want one of each", events)
	}

	evs, err := kms.ReadSharedEvents(context.Background(), dirA, s.dsn, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	hosts := []string{}
	for _, e := range evs {
		hosts = append(hosts, e.Host)
	}
	slices.Sort(hosts)
	if !slices.Equal(hosts, []string{"kms-a", "kms-b"}) {
		t.Errorf("site events from hosts %v, want kms-a and kms-b: %+v", hosts, evs)
	}
	if evs, err := kms.ReadSharedEvents(context.Background(), dirA, s.dsn, time.Now().Add(time.Hour)); err != nil || len(evs) != 0 {
		t.Errorf("events since an hour ahead: %+v, %v; want none", evs, err)
	}
}

// openHost opens the host in dir on the shared database dsn.
func openHost(t *testing.T, dir, name, dsn string) *kms.Host {
	t.Helper()
	h, err := kms.Open(kms.Options{Dir: dir, Name: name, DB: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}
