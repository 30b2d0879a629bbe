package e2e_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
)

// TestSharedKMSHostsHistoryExport: three `kms serve --db` processes with a
// site limit of 1 new CMID per network and hour each answer some clients
// (every one from 127.0.0.1, so each host records a count_limit event).
// Once every host has shipped, `kms history --db` run on one host lists
// every answered request exactly once with the host that answered it, as
// JSON and as CSV, and `kms events --db` lists the events of all three.
func TestSharedKMSHostsHistoryExport(t *testing.T) {
	needKill(t)
	s := newSharedSiteLimit(t, "1/h", "workstation-ent")
	hc := &http.Client{Timeout: 10 * time.Second}
	hostOf := map[string]string{} // CMID -> the host that answered it
	for c := range 9 {
		cmid := fmt.Sprintf("ws-%02d", c)
		if status := s.ask(hc, c%3, "workstation-ent", cmid); status != http.StatusConflict {
			t.Fatalf("%s: HTTP %d, want 409 (below the threshold)", cmid, status)
		}
		hostOf[cmid] = fmt.Sprintf("kms-%d", c%3+1)
	}
	s.ask(hc, 0, "workstation-ent", "ws-00") // a second request of one client
	// /healthz's backlog is counted at each shipment (every 50 ms): give
	// every host one after the last answer before trusting a 0.
	time.Sleep(500 * time.Millisecond)
	s.waitAll("shipped every answered request", func(i int) bool {
		st, _, backlog := s.health(i)
		return st == "ok" && backlog == 0
	})

	var out struct {
		History []kms.SharedHistoryRow `json:"history"`
	}
	volactJSON(t, s.env, &out, "kms", "history", "--data", s.dirs[1], "--db", s.dsn, "--format", "json")
	requests := map[string]int{}
	for _, r := range out.History {
		if slices.Contains(kms.EventKinds, r.Result) {
			continue
		}
		requests[r.CMID]++
		if r.Host != hostOf[r.CMID] || r.HostID == "" {
			t.Errorf("%s answered by %s (%q), want %s", r.CMID, r.Host, r.HostID, hostOf[r.CMID])
		}
	}
	for cmid, n := range s.acked {
		if requests[cmid] != n {
			t.Errorf("%s: %d request(s) answered, %d in kms history --db", cmid, n, requests[cmid])
		}
	}
	if len(requests) != len(s.acked) {
		t.Errorf("kms history --db lists %d CMIDs, %d were answered", len(requests), len(s.acked))
	}

	csvOut := s.run("kms", "history", "--data", s.dirs[1], "--format", "csv", "--db", s.dsn)
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := "time,cmid,group,sku,result,count,client_address,host,host_id"; strings.Join(recs[0], ",") != want {
		t.Errorf("CSV header %q, want %q", strings.Join(recs[0], ","), want)
	}
	if len(recs)-1 != len(out.History) {
		t.Errorf("CSV lists %d rows, JSON %d", len(recs)-1, len(out.History))
	}

	var evs struct {
		Events []kms.Event `json:"events"`
	}
	volactJSON(t, s.env, &evs, "kms", "events", "--data", s.dirs[0], "--db", s.dsn, "--json")
	byHost := map[string]int{}
	for _, e := range evs.Events {
		if e.Kind == kms.CountLimitEvent {
			byHost[e.Host]++
		}
	}
	for i := 1; i <= 3; i++ {
		if h := fmt.Sprintf("kms-%d", i); byHost[h] != 1 {
			t.Errorf("kms events --db: %d count_limit event(s) of %s, want 1 (all: %+v)", byHost[h], h, evs.Events)
		}
	}
	table := s.run("kms", "events", "--data", s.dirs[0], "--db", s.dsn)
	if !strings.Contains(table, "HOST") || !strings.Contains(table, "kms-3") {
		t.Errorf("kms events --db table has no HOST column:\n%s", table)
	}
	status := s.run("kms", "status", "--data", s.dirs[2], "--db", s.dsn)
	for _, want := range []string{"New CMID limit per network: 1/h", "Per site (as the shared database holds them", "Per host: port; and each host counts the new CMID limit on its own"} {
		if !strings.Contains(status, want) {
			t.Errorf("kms status --db does not say %q:\n%s", want, status)
		}
	}
	var own struct {
		Events []kms.Event `json:"events"`
	}
	volactJSON(t, s.env, &own, "kms", "events", "--data", s.dirs[0], "--json")
	if len(own.Events) != 1 || own.Events[0].Host != "" {
		t.Errorf("kms events without --db: %+v, want the host's own event only", own.Events)
	}
}
