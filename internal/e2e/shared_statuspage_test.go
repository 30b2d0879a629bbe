package e2e_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
)

// TestSharedKMSStatusPageInBrowser starts three `volactd kms serve --db`
// hosts on one PostgreSQL database, has each answer clients of its own,
// and opens every host's status page in headless Chromium: each must show
// the site's count, threshold and clients seen as `volactd kms status
// --data DIR --db DSN --json` gives them for that host, and say that it
// counts with the shared database. With PostgreSQL stopped each page still
// answers, says the host is degraded, and shows the count the host answers
// with (its /metrics).
func TestSharedKMSStatusPageInBrowser(t *testing.T) {
	needKill(t)
	ctx := browser(t)
	s := newSharedSite(t, "server-std")
	hc := &http.Client{}
	perHost := []int{3, 2, 1} // distinct clients each host answers
	for i, n := range perHost {
		for c := range n {
			s.ask(hc, i, "server-std", fmt.Sprintf("shared-page-%d-%d", i, c))
		}
	}
	s.waitAll("shipped and counted every client", func(i int) bool {
		st, _, backlog := s.health(i)
		return st == "ok" && backlog == 0 && s.count(i, "server") == "6"
	})
	for i, dir := range s.dirs {
		var st kms.Status
		volactJSON(t, s.env, &st, "kms", "status", "--data", dir, "--db", s.dsn, "--json")
		// The site's clients seen are counted in the background once a
		// page asks (the count reads the whole shared history): the first
		// page says so, a reload shows the count and its time.
		var shown shownPage
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			openPage(t, ctx, "http://"+s.addr(i)+"/", "")
			shown = evalJS[shownPage](t, ctx, readPage)
			if shown.IDs["shared-seen-at"] != "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("host %d: the page never showed the site's clients seen", i+1)
			}
		}
		for _, g := range st.Groups {
			row := shown.Rows[g.Group]
			if row == nil {
				t.Fatalf("host %d: the page shows no group %s", i+1, g.Group)
			}
			for k, want := range map[string]int{"threshold": g.Threshold, "count": g.CurrentCount, "clients_seen": g.ClientsSeen} {
				if got := num(t, row[k]); got != want {
					t.Errorf("host %d, group %s: the page shows %s %d, kms status --db --json %d", i+1, g.Group, k, got, want)
				}
			}
		}
		if got := shown.IDs["shared-state"]; got != "reachable" {
			t.Errorf("host %d: the page shows shared database state %q, want reachable", i+1, got)
		}
		if got := shown.IDs["shared-site"]; st.Shared == nil || got != st.Shared.SiteName {
			t.Errorf("host %d: the page shows site %q; kms status --db --json %+v", i+1, got, st.Shared)
		}
		if shown.Images < 2 || shown.Drawn != shown.Images {
			t.Errorf("host %d: charts: %d of %d images drawn", i+1, shown.Drawn, shown.Images)
		}
	}

	s.srv.Stop()
	defer s.srv.Start()
	s.waitAll("said degraded with PostgreSQL stopped", func(i int) bool {
		st, reachable, _ := s.health(i)
		return st == "degraded" && !reachable
	})
	s.ask(hc, 2, "server-std", "shared-page-degraded")
	for i := range s.dirs {
		resp := openPage(t, ctx, "http://"+s.addr(i)+"/", "")
		if resp.Status != http.StatusOK {
			t.Fatalf("host %d with PostgreSQL stopped: the page answers HTTP %d", i+1, resp.Status)
		}
		shown := evalJS[shownPage](t, ctx, readPage)
		if got := shown.IDs["shared-state"]; got != "degraded" {
			t.Errorf("host %d with PostgreSQL stopped: the page shows shared database state %q, want degraded", i+1, got)
		}
		if got, want := shown.Rows["server"]["count"], s.count(i, "server"); got != want {
			t.Errorf("host %d with PostgreSQL stopped: the page shows count %s, the host answers with %s", i+1, got, want)
		}
	}
}
