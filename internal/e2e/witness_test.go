package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/mak"
)

// witnessHost is a `volactd kms serve` process on its data directory.
type witnessHost struct {
	dir   string
	serve []string
	p     *serveProc
	n     int // requests sent so far
}

// load sends n activation requests of new machines; each is a leaf.
func (h *witnessHost) load(t *testing.T, prefix string, n int) {
	t.Helper()
	for range n {
		h.n++
		url := "http://" + h.p.addr + "/v1/kms/activate"
		if _, _, err := postJSON(http.DefaultClient, url, kmsRequest(fmt.Sprintf("%s-%04d", prefix, h.n))); err != nil {
			t.Fatal(err)
		}
	}
}

// report runs volactd kms report against the service at svc.
func (h *witnessHost) report(t *testing.T, svc string) (code int, res struct {
	Origin          string `json:"origin"`
	TreeSize        int64  `json:"tree_size"`
	ServiceTreeSize int64  `json:"service_tree_size"`
	ProofFrom       int64  `json:"proof_from"`
	Consistent      bool   `json:"consistent"`
}, stderr string) {
	t.Helper()
	code, out, errOut := volactRun(t, nil, "kms", "report", "--data", h.dir, "--service", svc, "--host", h.p.addr, "--json")
	if out != "" {
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("kms report: output is not JSON: %v\n%s%s", err, out, errOut)
		}
	}
	return code, res, out + errOut
}

// TestKMSWitnessTwoHosts runs real processes: an activation service
// witnesses two KMS hosts of its authority, each reporting with volactd
// kms report while it serves. Reports that extend the kept tree are
// consistent (the second one of each host goes through the two-step
// exchange: the service asks for the proof from the size it keeps). Then
// one host's log is replaced by a different, longer history: its next
// report is flagged inconsistent (exit 5, 0xE0560010) and stays so, while
// the other host stays consistent. volactd mak hosts --json, offline
// and through the admin API, lists both.
func TestKMSWitnessTwoHosts(t *testing.T) {
	needKill(t)
	now := time.Now().UTC()
	auth := filepath.Join(t.TempDir(), "auth")
	a := newAuthority(t, auth, now, "")
	svc := startServe(t, []string{"NO_COLOR=1"}, "mak", "serve", "--dir", auth, "--listen", "127.0.0.1:0")
	svcURL := svc.addr // mak serve writes its URL

	hosts := make([]*witnessHost, 2)
	for i := range hosts {
		dir := kmstest.ActivatedDir(t, a, now, "server-std")
		h := &witnessHost{dir: dir, serve: []string{"kms", "serve", "--data", dir, "--listen", "127.0.0.1:0", "--name", fmt.Sprint("kms-", i)}}
		h.p = startServe(t, nil, h.serve...)
		hosts[i] = h
	}
	origins := map[string]int{}
	for i, h := range hosts {
		h.load(t, fmt.Sprint("h", i), 10+i)
		code, res, errOut := h.report(t, svcURL)
		if code != 0 || !res.Consistent || res.TreeSize != int64(10+i) || res.ServiceTreeSize != res.TreeSize || res.ProofFrom != 0 {
			t.Fatalf("host %d: first report: exit %d %+v %s", i, code, res, errOut)
		}
		origins[res.Origin] = i
		h.load(t, fmt.Sprint("h", i), 5)
		code, res, errOut = h.report(t, svcURL)
		if code != 0 || !res.Consistent || res.TreeSize != int64(15+i) || res.ProofFrom != int64(10+i) {
			t.Fatalf("host %d: second report: exit %d %+v %s; want consistent with a proof from %d", i, code, res, errOut, 10+i)
		}
	}
	if len(origins) != 2 {
		t.Fatalf("two hosts reported %d logs", len(origins))
	}

	// Host 1's log replaced by another history, longer than the kept one.
	h := hosts[1]
	h.p.kill()
	if err := os.Rename(filepath.Join(h.dir, kms.LogDir), filepath.Join(h.dir, "log.real")); err != nil {
		t.Fatal(err)
	}
	h.p = startServe(t, nil, h.serve...)
	h.load(t, "other", 40)
	for range 2 { // flagged, and it stays flagged
		code, res, errOut := h.report(t, svcURL)
		if code != 5 || res.Consistent || !strings.Contains(errOut, "0xE0560010") || !strings.Contains(errOut, "tree size 40) does not extend the checkpoint of size 16") {
			t.Fatalf("forked host: report exit %d %+v %s; want exit 5, 0xE0560010, the kept size 16", code, res, errOut)
		}
	}
	hosts[0].load(t, "h0", 3)
	if code, res, errOut := hosts[0].report(t, svcURL); code != 0 || !res.Consistent || res.TreeSize != 18 {
		t.Fatalf("the other host: exit %d %+v %s", code, res, errOut)
	}

	check := func(how string, args ...string) {
		t.Helper()
		var out mak.HostsResponse
		volactJSON(t, nil, &out, append([]string{"mak", "hosts", "--json"}, args...)...)
		if len(out.Hosts) != 2 {
			t.Fatalf("%s: mak hosts lists %d hosts, want 2: %+v", how, len(out.Hosts), out)
		}
		for _, wh := range out.Hosts {
			i, ok := origins[wh.Origin]
			switch {
			case !ok:
				t.Errorf("%s: unknown host log %s", how, wh.Origin)
			case i == 0 && (!wh.Consistent || wh.TreeSize != 18 || wh.Conflict != ""):
				t.Errorf("%s: host 0 %+v, want consistent at 18", how, wh)
			case i == 1 && (wh.Consistent || wh.TreeSize != 16 || wh.ReportedSize != 40 || wh.Conflict == "" || wh.ConflictAt.IsZero()):
				t.Errorf("%s: host 1 %+v, want inconsistent, kept 16, reported 40, the conflict recorded", how, wh)
			}
			if len(wh.Groups) != 1 || wh.Groups[0] != "server" || len(wh.TrueUp) != 1 || wh.TrueUp[0].MaxMachines == 0 {
				t.Errorf("%s: host %d groups %v, true-up %+v", how, i, wh.Groups, wh.TrueUp)
			}
		}
	}
	check("offline", "--dir", auth)
	check("online", "--service", svcURL, "--token-file", filepath.Join(auth, "admin.token"))
	code, out, errOut := volactRun(t, []string{"NO_COLOR=1"}, "mak", "hosts", "--dir", auth)
	if code != 0 || !strings.Contains(out, "CONSISTENT") || strings.Count(out, "\tserver\t") != 2 || !strings.Contains(out, "\tno\n") {
		t.Errorf("mak hosts table: exit %d\n%s%s", code, out, errOut)
	}
}
