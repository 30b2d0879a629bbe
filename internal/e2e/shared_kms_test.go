package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/pgtest"
	"github.com/volact/volact/internal/protocol"
)

// sharedSite is three `volactd kms serve --db` processes on one throwaway
// PostgreSQL server, and what their clients were answered.
type sharedSite struct {
	t     *testing.T
	env   []string
	dirs  []string
	dsn   string
	srv   *pgtest.Server
	mu    sync.Mutex
	hosts []*serveProc
	acked map[string]int // CMID -> answered requests (a grant or a count)
	tried map[string]int // CMID -> requests without an answer (host killed)
}

func newSharedSite(t *testing.T, skus ...string) *sharedSite {
	return newSharedSiteLimit(t, "0", skus...)
}

// newSharedSiteLimit is newSharedSite with the site's new-CMID limit
// (kms set --new-cmid-limit; "0" = none).
func newSharedSiteLimit(t *testing.T, limit string, skus ...string) *sharedSite {
	now := time.Now().UTC()
	a := kmstest.Authority(t, now)
	s := &sharedSite{t: t, env: []string{"NO_COLOR=1"}, srv: pgtest.Own(t), acked: map[string]int{}, tried: map[string]int{}}
	s.dsn = s.srv.Database()
	for range 3 {
		s.dirs = append(s.dirs, kmstest.ActivatedDir(t, a, now, skus...))
	}
	// Every test client comes from 127.0.0.1: lift the limit on new CMIDs
	// per network, so that every CMID counts. init-db copies the setting.
	s.run("kms", "set", "--data", s.dirs[0], "--new-cmid-limit", limit)
	s.run("kms", "init-db", "--data", s.dirs[0], "--db", s.dsn, "--site", "e2e")
	s.hosts = make([]*serveProc, 3)
	for i := range 3 {
		s.start(i)
	}
	return s
}

func (s *sharedSite) run(args ...string) string {
	s.t.Helper()
	code, out, errOut := volactRun(s.t, s.env, args...)
	if code != 0 {
		s.t.Fatalf("volactd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// start starts host i (again).
func (s *sharedSite) start(i int) {
	p := startServe(s.t, s.env, "kms", "serve", "--data", s.dirs[i], "--listen", "127.0.0.1:0",
		"--name", fmt.Sprintf("kms-%d", i+1), "--db", s.dsn)
	s.mu.Lock()
	s.hosts[i] = p
	s.mu.Unlock()
}

func (s *sharedSite) addr(i int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hosts[i].addr
}

// ask sends one request for cmid of sku to host i, falling over to the
// next host when one does not answer, and returns the HTTP status.
func (s *sharedSite) ask(hc *http.Client, i int, sku, cmid string) int {
	for try := range 3 {
		r := protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: sku,
			HardwareID: "hw-" + cmid, CMID: cmid, ClientTime: time.Now().UTC(), Nonce: fmt.Sprintf("n-%s-%d", cmid, time.Now().UnixNano())}
		status, body, err := postJSON(hc, "http://"+s.addr((i+try)%3)+"/v1/kms/activate", r)
		s.mu.Lock()
		if err != nil {
			s.tried[cmid]++
		} else {
			s.acked[cmid]++
		}
		s.mu.Unlock()
		if err == nil {
			if status != http.StatusOK && status != http.StatusConflict {
				s.t.Errorf("%s on host %d: HTTP %d %s", cmid, (i+try)%3+1, status, body)
			}
			return status
		}
	}
	s.t.Errorf("%s: no host answered", cmid)
	return 0
}

// health returns host i's /healthz.
func (s *sharedSite) health(i int) (status string, reachable bool, backlog int) {
	var h struct {
		Status string `json:"status"`
		Shared struct {
			Reachable bool `json:"reachable"`
			Backlog   int  `json:"backlog"`
		} `json:"shared_db"`
	}
	resp, err := http.Get("http://" + s.addr(i) + "/healthz")
	if err != nil {
		return "", false, -1
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&h)
	return h.Status, h.Shared.Reachable, h.Shared.Backlog
}

// count reads volact_kms_current_count of group from host i's /metrics.
func (s *sharedSite) count(i int, group string) string {
	resp, err := http.Get("http://" + s.addr(i) + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, `volact_kms_current_count{group="`+group+`"} `); ok {
			return rest
		}
	}
	return ""
}

// waitAll waits (at most 60 s) until ok holds for every host.
func (s *sharedSite) waitAll(what string, ok func(i int) bool) {
	s.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		all := true
		for i := range 3 {
			all = all && ok(i)
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("hosts never %s", what)
		}
	}
}

// TestSharedKMSHosts: 40 workstation clients (threshold 25) spread over
// three hosts on one PostgreSQL database by weight (3:2:1), while
// background clients of another group load the hosts. Host 2 is killed
// with SIGKILL and restarted after the 8th client; PostgreSQL is stopped
// after the 16th for 10 s (the hosts answer, degraded) and started again.
// No client is activated before the 25th distinct client; every one of the
// first 25 is activated on its retry once the hosts have caught up, and
// the last 15 at once. At the end every count is the distinct CMIDs
// answered (capped at twice the threshold), and every answered request is
// in the shared history once.
func TestSharedKMSHosts(t *testing.T) {
	needKill(t)
	s := newSharedSite(t, "workstation-ent", "server-std")
	hostOf := func(c int) int { return []int{0, 0, 0, 1, 1, 2}[c%6] }
	hc := &http.Client{Timeout: 10 * time.Second}

	stopLoad := make(chan struct{})
	var load sync.WaitGroup
	for w := range 2 {
		load.Go(func() {
			lc := &http.Client{Timeout: 10 * time.Second}
			for n := 0; ; n++ {
				select {
				case <-stopLoad:
					return
				case <-time.After(5 * time.Millisecond):
				}
				s.ask(lc, n%3, "server-std", fmt.Sprintf("load-%d-%d", w, n))
			}
		})
	}

	var stoppedAt time.Time
	for c := 1; c <= 25; c++ {
		status := s.ask(hc, hostOf(c), "workstation-ent", fmt.Sprintf("ws-%02d", c))
		if c < 25 && status != http.StatusConflict {
			t.Fatalf("client %d of 25 answered HTTP %d: activated before the threshold", c, status)
		}
		switch c {
		case 8:
			s.hosts[1].kill()
			s.start(1)
		case 16:
			s.srv.Stop()
			stoppedAt = time.Now()
			s.waitAll("said degraded with PostgreSQL stopped", func(i int) bool {
				st, reachable, _ := s.health(i)
				return st == "degraded" && !reachable
			})
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Until(stoppedAt.Add(10 * time.Second)))
	s.srv.Start()
	s.waitAll("caught up with the shared count", func(i int) bool {
		st, _, _ := s.health(i)
		return st == "ok" && s.count(i, "workstation") == "25"
	})
	for c := 1; c <= 40; c++ {
		if status := s.ask(hc, hostOf(c), "workstation-ent", fmt.Sprintf("ws-%02d", c)); status != http.StatusOK {
			t.Errorf("client %d on its retry after the 25th: HTTP %d, want activated", c, status)
		}
	}
	close(stopLoad)
	load.Wait()
	s.waitAll("shipped every answered request", func(i int) bool {
		st, _, backlog := s.health(i)
		return st == "ok" && backlog == 0
	})
	s.check()
}

// check compares the shared database with what the clients were answered.
func (s *sharedSite) check() {
	t := s.t
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT cmid, COUNT(*) FROM kms_history GROUP BY cmid`)
	if err != nil {
		t.Fatal(err)
	}
	inHistory, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct {
		cmid string
		n    int
	}, error) {
		var v struct {
			cmid string
			n    int
		}
		return v, r.Scan(&v.cmid, &v.n)
	})
	if err != nil {
		t.Fatal(err)
	}
	rowsOf := map[string]int{}
	for _, v := range inHistory {
		rowsOf[v.cmid] = v.n
	}
	distinct := map[string]int{} // group -> distinct CMIDs answered
	bad := 0
	for cmid, n := range s.acked {
		distinct[strings.Split(cmid, "-")[0]]++
		if got := rowsOf[cmid]; got < n || got > n+s.tried[cmid] {
			bad++
			t.Errorf("%s: %d answered (+%d unanswered), %d in the shared history", cmid, n, s.tried[cmid], got)
		}
	}
	for cmid := range rowsOf {
		if s.acked[cmid] == 0 && s.tried[cmid] == 0 {
			t.Errorf("%s is in the shared history but was never sent", cmid)
		}
	}
	var st kms.Status
	volactJSON(t, s.env, &st, "kms", "status", "--data", s.dirs[2], "--db", s.dsn, "--json")
	want := map[string]int{"workstation": distinct["ws"], "server": distinct["load"]}
	for _, g := range st.Groups {
		n, ok := want[g.Group]
		if !ok {
			continue
		}
		if g.ClientsSeen < n || g.CurrentCount != min(g.ClientsSeen, 2*g.Threshold) {
			t.Errorf("group %s: count %d, clients seen %d; want %d distinct CMIDs answered (count capped at %d)", g.Group, g.CurrentCount, g.ClientsSeen, n, 2*g.Threshold)
		}
	}
	if st.Shared == nil || len(st.Shared.Hosts) != 3 {
		t.Fatalf("kms status --db lists hosts %+v, want 3", st.Shared)
	}
	for _, h := range st.Shared.Hosts {
		if time.Since(h.LastContact) > time.Minute {
			t.Errorf("host %s last reached the database at %s", h.Name, h.LastContact)
		}
	}
	t.Logf("%d workstation and %d load CMIDs answered; %d requests unanswered at the kill; %d mismatches", distinct["ws"], distinct["load"], len(s.tried), bad)
}
