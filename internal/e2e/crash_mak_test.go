package e2e_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/pgtest"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/protocol"
)

// makSetup is an authority with one MAK key and the database a service
// keeps its counts in.
type makSetup struct {
	dir, key string
	db       []string // --db URL, or nothing for SQLite in dir
}

func newMakSetup(t *testing.T, dsn string, limit int) *makSetup {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "auth")
	a := newAuthority(t, dir, time.Now().UTC(), dsn)
	k, err := a.Mint(productkey.MAK, "workstation-ent", limit, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &makSetup{dir: dir, key: k.String()}
	if dsn != "" {
		s.db = []string{"--db", dsn}
	}
	return s
}

// serve starts a `volactd mak serve` replica on the setup's database;
// extra flags (--log DIR for a second replica) are passed on.
func (s *makSetup) serve(t *testing.T, extra ...string) *serveProc {
	t.Helper()
	args := append([]string{"mak", "serve", "--dir", s.dir, "--listen", "127.0.0.1:0"}, s.db...)
	return startServe(t, []string{"NO_COLOR=1"}, append(args, extra...)...)
}

// used reads the key's count with `volactd mak remaining --json` (offline,
// on the database).
func (s *makSetup) used(t *testing.T) int {
	t.Helper()
	var st mak.KeyStatus
	volactJSON(t, nil, &st, append([]string{"mak", "remaining", s.key, "--dir", s.dir, "--json"}, s.db...)...)
	return st.Used
}

// outcome counts the answers of a batch of activations.
type outcome struct {
	mu        sync.Mutex
	granted   map[string]bool // hardware ids that got a grant (200)
	exhausted int             // 403 answers
	lost      int             // no answer
}

// activateAll sends one activation per hardware id, all at once, to the
// services in urls in turn. onAnswer runs after each answer.
func (s *makSetup) activateAll(t *testing.T, urls []string, hwids []string, onAnswer func()) *outcome {
	t.Helper()
	o := &outcome{granted: map[string]bool{}}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer hc.CloseIdleConnections()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, hw := range hwids {
		wg.Go(func() {
			<-start
			req := protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindMAK, SKU: "workstation-ent",
				Key: s.key, HardwareID: hw, CMID: "cmid-" + hw, ClientTime: time.Now().UTC(), Nonce: "n-" + hw}
			status, body, err := postJSON(hc, urls[i%len(urls)]+"/v1/activate", req)
			o.mu.Lock()
			switch {
			case err != nil:
				o.lost++
			case status == http.StatusOK:
				o.granted[hw] = true
			case status == http.StatusForbidden:
				o.exhausted++
			default:
				t.Errorf("%s: HTTP %d %s", hw, status, body)
			}
			o.mu.Unlock()
			if err == nil && onAnswer != nil {
				onAnswer()
			}
		})
	}
	close(start)
	wg.Wait()
	return o
}

func hardwareIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return ids
}

// TestKillMAKServe sends 100 racing activations with distinct hardware ids
// against a 50-activation key and kills `volactd mak serve` with SIGKILL
// after a random number of answers. After a restart the count is exact:
// every acknowledged grant is spent, at most the requests in flight at the
// kill are spent besides (acknowledged <= used <= acknowledged + lost);
// re-activating an acknowledged machine spends nothing; sending all 100
// again ends with exactly 50 machines activated. On SQLite and PostgreSQL;
// 2 kills on SQLite and 1 on PostgreSQL, 20 each with VOLACT_LONG=1.
func TestKillMAKServe(t *testing.T) {
	needKill(t)
	t.Cleanup(pgtest.StopShared) // runs after the subtests dropped their databases
	const n, limit = 100, 50
	for _, backend := range []struct {
		name   string
		rounds int
	}{{"sqlite", killRounds(2, 20)}, {"postgres", killRounds(1, 20)}} {
		rounds := backend.rounds
		t.Run(backend.name, func(t *testing.T) {
			totalLost, totalAcked := 0, 0
			for round := range rounds {
				dsn := ""
				if backend.name == "postgres" {
					dsn = pgtest.Start(t)
				}
				s := newMakSetup(t, dsn, limit)
				hw := hardwareIDs(fmt.Sprintf("r%d", round), n)
				p := s.serve(t)
				killAt, answers := int64(rand.IntN(60)), atomic.Int64{}
				kill := func() {
					if answers.Add(1) == killAt {
						p.kill()
					}
				}
				if killAt == 0 {
					go p.kill() // while the requests start
				}
				first := s.activateAll(t, []string{p.addr}, hw, kill)
				p.kill()
				totalLost += first.lost
				totalAcked += len(first.granted)

				p = s.serve(t)
				acked := len(first.granted)
				if used := s.used(t); used < acked || used > min(limit, acked+first.lost) {
					t.Errorf("round %d: %d used after the kill; %d grants acknowledged, %d requests lost in flight",
						round, used, acked, first.lost)
				}
				// Acknowledged machines again, then everyone.
				var again []string
				for h := range first.granted {
					again = append(again, h)
				}
				before := s.used(t)
				if o := s.activateAll(t, []string{p.addr}, again, nil); len(o.granted) != acked {
					t.Errorf("round %d: %d of %d acknowledged machines re-activate", round, len(o.granted), acked)
				}
				if used := s.used(t); used != before {
					t.Errorf("round %d: re-activating acknowledged machines spent %d", round, used-before)
				}
				all := s.activateAll(t, []string{p.addr}, hw, nil)
				if len(all.granted) != limit || all.exhausted != n-limit || s.used(t) != limit {
					t.Errorf("round %d: after the restart %d machines activated, %d refused, %d used; want %d, %d, %d",
						round, len(all.granted), all.exhausted, s.used(t), limit, n-limit, limit)
				}
				p.kill()
			}
			t.Logf("%s: %d kills of mak serve, %d grants acknowledged before the kills, %d requests without an answer",
				backend.name, rounds, totalAcked, totalLost)
		})
	}

	// Two replicas on one PostgreSQL database: 200 racing activations split
	// across both against 50 activations, exactly 50 succeed.
	t.Run("postgres replicas", func(t *testing.T) {
		s := newMakSetup(t, pgtest.Start(t), limit)
		a := s.serve(t)                       // the first start creates admin.token; then a replica
		b := s.serve(t, "--log", t.TempDir()) // its own log and signing key
		o := s.activateAll(t, []string{a.addr, b.addr}, hardwareIDs("replica", 200), nil)
		if len(o.granted) != limit || o.exhausted != 200-limit || o.lost != 0 || s.used(t) != limit {
			t.Errorf("two replicas: %d granted, %d exhausted, %d lost, %d used; want %d, %d, 0, %d",
				len(o.granted), o.exhausted, o.lost, s.used(t), limit, 200-limit, limit)
		}
	})
}
