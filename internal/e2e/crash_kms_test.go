package e2e_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/protocol"
)

// TestKillKMSServe kills `volactd kms serve` with SIGKILL while 4 clients
// send activations with distinct CMIDs, restarts it on the same data
// directory, and so on. Every request the host answered (a grant, 200, or
// a count below the threshold, 409) was journaled before the answer: its
// CMID must be in `kms history`, and `kms status` must count it (up to the
// cap of twice the threshold). The host answers again after each restart.
// 5 kills; 50 with VOLACT_LONG=1.
func TestKillKMSServe(t *testing.T) {
	needKill(t)
	const sku, clients = "server-std", 4
	kills := killRounds(5, 50)
	now := time.Now().UTC()
	dir := kmstest.ActivatedDir(t, kmstest.Authority(t, now), now, sku)
	env := []string{"NO_COLOR=1"}
	serve := []string{"kms", "serve", "--data", dir, "--listen", "127.0.0.1:0", "--name", "kms-crash"}

	var mu sync.Mutex
	acked := map[string]bool{} // CMIDs the host answered
	var seq atomic.Int64
	var lost int // requests without an answer (in flight at a kill)
	for round := 0; round <= kills; round++ {
		p := startServe(t, env, serve...)
		url := "http://" + p.addr + "/v1/kms/activate"
		if round == kills { // the last start only checks that the host answers
			status, body, err := postJSON(http.DefaultClient, url, kmsRequest("after-the-kills"))
			if err != nil || status != http.StatusOK {
				t.Fatalf("host after %d kills: HTTP %d %v %s\n%s", kills, status, err, body, p.logs.String())
			}
			p.kill()
			break
		}
		// Kill after a random number of answers, so the kill lands under load.
		killAt := int64(20 + rand.IntN(200))
		var answered atomic.Int64
		var wg sync.WaitGroup
		killed := make(chan struct{})
		for range clients {
			wg.Go(func() {
				hc := &http.Client{Transport: &http.Transport{}}
				defer hc.CloseIdleConnections()
				for {
					cmid := fmt.Sprintf("crash-%06d", seq.Add(1))
					status, _, err := postJSON(hc, url, kmsRequest(cmid))
					mu.Lock()
					switch {
					case err != nil:
						lost++
					case status == http.StatusOK || status == http.StatusConflict:
						acked[cmid] = true
					default:
						t.Errorf("%s: HTTP %d", cmid, status)
					}
					mu.Unlock()
					if err != nil {
						return // the host is gone
					}
					if answered.Add(1) == killAt {
						p.kill()
						close(killed)
					}
				}
			})
		}
		wg.Wait()
		select {
		case <-killed:
		default:
			t.Fatalf("round %d: the clients stopped before the kill\n%s", round, p.logs.String())
		}
	}

	var hist struct {
		History []kms.HistoryRow `json:"history"`
	}
	volactJSON(t, env, &hist, "kms", "history", "--data", dir, "--format", "json")
	inHistory := map[string]bool{}
	for _, h := range hist.History {
		inHistory[h.CMID] = true
	}
	missing := 0
	for cmid := range acked {
		if !inHistory[cmid] {
			missing++
		}
	}
	var st kms.Status
	volactJSON(t, env, &st, "kms", "status", "--data", dir, "--json")
	var g *kms.GroupStatus
	for i := range st.Groups {
		if st.Groups[i].Group == "server" {
			g = &st.Groups[i]
		}
	}
	if g == nil {
		t.Fatalf("kms status has no group server: %+v", st.Groups)
	}
	want := len(acked) + 1 // and the request after the kills
	if missing > 0 || g.ClientsSeen < want || g.CurrentCount != min(g.ClientsSeen, 2*g.Threshold) {
		t.Errorf("acknowledged activations lost: %d of %d answered CMIDs missing from the history; status: %d seen (want >= %d), count %d (threshold %d)",
			missing, len(acked), g.ClientsSeen, want, g.CurrentCount, g.Threshold)
	}
	t.Logf("%d kills of kms serve: %d answered requests, %d lost in flight, %d acknowledged missing from the history",
		kills, len(acked), lost, missing)
}

// kmsRequest is a KMS activation request for server-std from machine cmid
// at the real time (the host runs on the real clock).
func kmsRequest(cmid string) protocol.ActivationRequest {
	return protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindKMS, SKU: "server-std",
		HardwareID: "hw-" + cmid, CMID: cmid, ClientTime: time.Now().UTC(), Nonce: "n-" + cmid}
}
