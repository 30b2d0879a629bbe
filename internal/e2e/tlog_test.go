package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/translog"
)

// logClient is one machine with its own store, activating a KMS client
// key against a pinned host.
type logClient struct {
	store string
	env   []string
}

// receipts is what volact receipts --json prints.
type receipts struct {
	Logs []struct {
		Origin     string `json:"origin"`
		TreeSize   int64  `json:"tree_size"`
		Checkpoint string `json:"checkpoint"`
	} `json:"logs"`
	Grants []struct {
		SKU       string `json:"sku"`
		LeafIndex int64  `json:"leaf_index"`
	} `json:"grants"`
}

func (c logClient) receipts(t *testing.T) receipts {
	t.Helper()
	var r receipts
	volactJSON(t, c.env, &r, "receipts", "--json")
	if len(r.Logs) != 1 || len(r.Grants) != 1 || r.Grants[0].LeafIndex < 0 {
		t.Fatalf("%s: receipts %+v, want one log and one grant with a leaf", c.store, r)
	}
	return r
}

// TestKMSLogKillAndFork runs real processes: 8 clients activate against
// a host while raw requests load it; the host is killed -9 mid-batch and
// restarted, and every client's kept checkpoint is extended by the
// restarted host's tree (the client accepts the consistency proof, and so
// does a direct check against GET /v1/log/consistency). Then the host's
// log is replaced by another history: every client that saw the older
// checkpoint refuses its answers (exit 5, 0xE0560010 in history
// --failures) and stores nothing. An edited log keeps the host from
// starting at all (exit 7). The export verifies, and its true-up counts
// the clients.
func TestKMSLogKillAndFork(t *testing.T) {
	needKill(t)
	now := time.Now().UTC()
	a := kmstest.Authority(t, now)
	dir := kmstest.ActivatedDir(t, a, now, "server-std")
	clientKey, err := a.Mint(productkey.KMSClient, "server-std", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	serve := []string{"kms", "serve", "--data", dir, "--listen", "127.0.0.1:0", "--name", "kms-log"}
	p := startServe(t, nil, serve...)

	clients := make([]logClient, 8)
	for i := range clients {
		c := logClient{store: filepath.Join(t.TempDir(), fmt.Sprint("m", i))}
		c.env = []string{"NO_COLOR=1", "VOLACT_STORE=" + c.store, "VOLACT_CATALOG=" + filepath.Join(a.Dir, authority.CatalogFile)}
		clients[i] = c
		mustVolact(t, c.env, "inpkey", clientKey.String())
	}
	actAll := func(want int) {
		t.Helper()
		for _, c := range clients {
			mustVolact(t, c.env, "sethst", p.addr)
			if code, out, errOut := volactRun(t, c.env, "act"); want == 0 && code != 0 {
				t.Fatalf("%s: act exit %d\n%s%s", c.store, code, out, errOut)
			}
		}
	}
	actAll(-1) // the first four are below the threshold of 5
	actAll(0)
	before := make([]receipts, len(clients))
	for i, c := range clients {
		before[i] = c.receipts(t)
	}

	// Load the host from 4 goroutines and kill it mid-batch.
	url := "http://" + p.addr + "/v1/kms/activate"
	var seq atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			hc := &http.Client{Transport: &http.Transport{}}
			defer hc.CloseIdleConnections()
			for {
				n := seq.Add(1)
				if n == 150 {
					p.kill()
				}
				if _, _, err := postJSON(hc, url, kmsRequest(fmt.Sprintf("load-%05d", n))); err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	p = startServe(t, nil, serve...)
	actAll(0)
	for i, c := range clients {
		after := c.receipts(t)
		if after.Logs[0].TreeSize <= before[i].Logs[0].TreeSize {
			t.Errorf("%s: kept tree %d after the restart, want more than %d", c.store, after.Logs[0].TreeSize, before[i].Logs[0].TreeSize)
		}
		checkConsistent(t, p.addr, before[i].Logs[0].Checkpoint, before[i].Logs[0].Origin)
	}

	// The log replaced by another history, longer than any client saw.
	p.kill()
	if err := os.Rename(filepath.Join(dir, kms.LogDir), filepath.Join(dir, "log.real")); err != nil {
		t.Fatal(err)
	}
	p = startServe(t, nil, serve...)
	url = "http://" + p.addr + "/v1/kms/activate"
	for i := range 400 {
		if status, body, err := postJSON(http.DefaultClient, url, kmsRequest(fmt.Sprintf("other-%04d", i))); err != nil || status != http.StatusOK {
			t.Fatalf("forked host: HTTP %d %v %s", status, err, body)
		}
	}
	for _, c := range clients {
		mustVolact(t, c.env, "sethst", p.addr)
		state, _ := os.ReadFile(filepath.Join(c.store, "state.json"))
		code, _, errOut := volactRun(t, c.env, "act")
		if code != 5 || !strings.Contains(errOut, "0xE0560010") {
			t.Fatalf("%s: act against a forked log: exit %d, %s; want exit 5 and 0xE0560010", c.store, code, errOut)
		}
		var h struct {
			History []struct{ Code string } `json:"history"`
		}
		volactJSON(t, c.env, &h, "history", "--failures", "--json")
		if n := len(h.History); n == 0 || h.History[n-1].Code != "0xE0560010" {
			t.Errorf("%s: history --failures %+v does not record the fork", c.store, h.History)
		}
		var st struct{ Products map[string]json.RawMessage }
		var was struct{ Products map[string]json.RawMessage }
		now, _ := os.ReadFile(filepath.Join(c.store, "state.json"))
		_ = json.Unmarshal(now, &st)
		_ = json.Unmarshal(state, &was)
		if grantOf(st.Products["server-std"]) != grantOf(was.Products["server-std"]) {
			t.Errorf("%s: the forked answer's grant was stored", c.store)
		}
	}

	// An edited leaf in the real log: the host refuses to start (exit 7).
	p.kill()
	if err := os.RemoveAll(filepath.Join(dir, kms.LogDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "log.real"), filepath.Join(dir, kms.LogDir)); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(t.TempDir(), "ledger.txt")
	mustVolact(t, nil, "kms", "ledger", "export", "--data", dir, "--out", export)
	var rep struct {
		Leaves int64
		Groups []struct {
			Group       string
			MaxMachines int `json:"max_machines_30d"`
		}
	}
	volactJSON(t, nil, &rep, "ledger", "verify", export, "--catalog", filepath.Join(a.Dir, authority.CatalogFile), "--json")
	if len(rep.Groups) != 1 || rep.Groups[0].MaxMachines < len(clients)+100 {
		t.Errorf("true-up %+v: want the %d clients and the load counted", rep, len(clients))
	}
	logFile := filepath.Join(dir, kms.LogDir, "log")
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), `"load-00010"`)
	if i < 0 {
		t.Fatal("leaf load-00010 not found in the log file")
	}
	copy(data[i+1:], "LOAD")
	if err := os.WriteFile(logFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := volactRun(t, nil, append(serve, "--addr-file", filepath.Join(t.TempDir(), "a"))...); code != 7 {
		t.Errorf("kms serve on an edited log: exit %d, want 7\n%s", code, errOut)
	}
}

// mustVolact runs volact or volactd and wants exit 0.
func mustVolact(t *testing.T, env []string, args ...string) {
	t.Helper()
	if code, out, errOut := volactRun(t, env, args...); code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
}

// grantOf is a stored product's envelope, to compare stores.
func grantOf(raw json.RawMessage) string {
	var p struct{ Envelope json.RawMessage }
	_ = json.Unmarshal(raw, &p)
	return string(p.Envelope)
}

// checkConsistent checks, as an auditor would, that the host at addr
// serves a tree that extends the checkpoint a client kept.
func checkConsistent(t *testing.T, addr, kept, origin string) {
	t.Helper()
	older, err := translog.ParseCheckpoint([]byte(strings.SplitN(kept, "\n\n", 2)[0] + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	var ck httpserve.LogCheckpoint
	getJSON(t, "http://"+addr+"/v1/log/checkpoint", &ck)
	var cons httpserve.LogConsistency
	getJSON(t, fmt.Sprintf("http://%s/v1/log/consistency?from=%d&to=%d", addr, older.Size, ck.Size), &cons)
	newer, err := translog.PeekCheckpoint(ck.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if newer.Origin != origin {
		t.Fatalf("host log %s, client kept %s", newer.Origin, origin)
	}
	if err := translog.CheckConsistency(older, newer, cons.Proof); err != nil {
		t.Errorf("the restarted host's tree does not extend a client's checkpoint: %v", err)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
