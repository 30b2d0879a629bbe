package e2e_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/statuspage"
)

// shownPage is what a status page shows, read in the browser: the cells
// marked data-k per row (data-group or data-key), the numbers marked id,
// the images and how many of them the browser drew, and the HTML.
type shownPage struct {
	Rows   map[string]map[string]string `json:"rows"`
	Hosts  map[string]map[string]string `json:"hosts"`
	IDs    map[string]string            `json:"ids"`
	Images int                          `json:"images"`
	Drawn  int                          `json:"drawn"`
	HTML   string                       `json:"html"`
}

const readPage = `(() => {
	const rows = {}, ids = {}, hosts = {};
	for (const r of document.querySelectorAll('tr[data-group], #keys tr[data-key]')) {
		const o = {};
		for (const c of r.querySelectorAll('td[data-k]')) o[c.dataset.k] = c.textContent.trim();
		rows[r.dataset.group || r.dataset.key] = o;
	}
	for (const r of document.querySelectorAll('tr[data-host]')) {
		const o = {};
		for (const c of r.querySelectorAll('td[data-k]')) o[c.dataset.k] = c.textContent.trim();
		hosts[r.dataset.host] = o;
	}
	for (const e of document.querySelectorAll('[id]')) ids[e.id] = e.textContent.trim();
	const imgs = Array.from(document.images);
	return {rows, ids, hosts, images: imgs.length, drawn: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
		html: document.documentElement.outerHTML};
})()`

// num reads a number the page shows ("1,234"; "—" is -1).
func num(t *testing.T, s string) int {
	t.Helper()
	if s == "—" {
		return -1
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("the page shows %q where a number belongs", s)
	}
	return n
}

// checkCSP checks the page's Content-Security-Policy as the browser got it.
func checkCSP(t *testing.T, browserHeaders map[string]any) {
	t.Helper()
	for k, v := range browserHeaders {
		if strings.EqualFold(k, "Content-Security-Policy") {
			if v != statuspage.CSP {
				t.Errorf("CSP %q, want %q", v, statuspage.CSP)
			}
			return
		}
	}
	t.Errorf("the page has no Content-Security-Policy header: %v", browserHeaders)
}

// TestKMSStatusPageInBrowser starts volactd kms serve, sends it requests
// (past the new-CMID limit: a count_limit event naming a machine; one
// unknown product: a refused request), opens GET / in headless Chromium,
// and checks the numbers shown against volactd kms status --json, the
// charts drawn, the CSP, and that CMIDs and addresses show with the admin
// token only. It saves testdata/screenshots/kms-status.png.
func TestKMSStatusPageInBrowser(t *testing.T) {
	ctx := browser(t)
	now := time.Now().UTC()
	dir := kmstest.ActivatedDir(t, kmstest.Authority(t, now), now, "server-std")
	env := []string{"NO_COLOR=1"}
	if code, out, errOut := volactRun(t, env, "kms", "set", "--data", dir, "--new-cmid-limit", "6/h"); code != 0 {
		t.Fatalf("kms set: %d %s%s", code, out, errOut)
	}
	p := startServe(t, env, "kms", "serve", "--data", dir, "--listen", "127.0.0.1:0", "--name", "kms-status")
	base := "http://" + p.addr
	for i := 1; i <= 8; i++ {
		if status, body, err := postJSON(http.DefaultClient, base+"/v1/kms/activate", kmsRequest(fmt.Sprintf("page-cmid-%d", i))); err != nil || (status != http.StatusOK && status != http.StatusConflict) {
			t.Fatalf("activate %d: %d %v %s", i, status, err, body)
		}
	}
	bad := kmsRequest("page-cmid-bad")
	bad.SKU = "no-such-sku"
	if status, _, _ := postJSON(http.DefaultClient, base+"/v1/kms/activate", bad); status == http.StatusOK {
		t.Fatal("an unknown product was activated")
	}
	var st kms.Status
	volactJSON(t, env, &st, "kms", "status", "--data", dir, "--json")

	resp := openPage(t, ctx, base+"/", "")
	checkCSP(t, resp.Headers)
	shown := evalJS[shownPage](t, ctx, readPage)
	for _, g := range st.Groups {
		row := shown.Rows[g.Group]
		if row == nil {
			t.Fatalf("the page shows no group %s", g.Group)
		}
		for k, want := range map[string]int{"threshold": g.Threshold, "count": g.CurrentCount, "clients_seen": g.ClientsSeen} {
			if got := num(t, row[k]); got != want {
				t.Errorf("group %s: the page shows %s %d, kms status --json %d", g.Group, k, got, want)
			}
		}
	}
	if server := shown.Rows["server"]; server == nil || num(t, server["count"]) != 6 || num(t, server["clients_seen"]) != 8 {
		t.Errorf("group server: %v, want count 6 and 8 clients seen", server)
	}
	if shown.Images < 2 || shown.Drawn != shown.Images {
		t.Errorf("charts: %d of %d images drawn", shown.Drawn, shown.Images)
	}
	for _, id := range []string{"page-cmid", "127.0.0.1", "hw-page-cmid"} {
		if strings.Contains(shown.HTML, id) {
			t.Errorf("the page without the admin token shows %q", id)
		}
	}
	if !strings.Contains(shown.HTML, "unknown_product") {
		t.Errorf("the page lacks the refused requests")
	}
	if st.Log == nil || st.Log.Size == 0 {
		t.Fatalf("kms status --json: log %+v, want the answered requests", st.Log)
	}
	if num(t, shown.IDs["tlog-size"]) != int(st.Log.Size) || num(t, shown.IDs["tlog-tree-size"]) != int(st.Log.TreeSize) ||
		shown.IDs["tlog-origin"] != st.Log.Origin || !strings.HasPrefix(st.Log.RootHash, strings.TrimSuffix(shown.IDs["tlog-root"], "…")) {
		t.Errorf("transparency log: the page shows size %s, tree size %s, origin %s, root %s; kms status --json %+v",
			shown.IDs["tlog-size"], shown.IDs["tlog-tree-size"], shown.IDs["tlog-origin"], shown.IDs["tlog-root"], st.Log)
	}
	screenshot(t, ctx, "kms-status.png")

	token := readToken(t, filepath.Join(dir, httpserve.TokenFile))
	openPage(t, ctx, base+"/", token)
	admin := evalJS[shownPage](t, ctx, readPage)
	if !strings.Contains(admin.HTML, "page-cmid-7") || !strings.Contains(admin.HTML, "127.0.0.1") {
		t.Errorf("the admin view does not name the machine of the count_limit event")
	}
}

// TestMAKStatusPageInBrowser starts volactd mak serve on a fresh
// authority, spends two MAKs (past a velocity limit: an event naming a
// machine), blocks one through the admin API, has a KMS host of the
// authority report its log (volactd kms report), opens GET / in headless
// Chromium and checks each key's numbers against volactd mak remaining
// --json and the witnessed hosts against volactd mak hosts --json, the
// blocked key, the CSP, that no full key shows, and that hardware ids and
// host ids show with the admin token only. It saves
// testdata/screenshots/mak-status.png.
func TestMAKStatusPageInBrowser(t *testing.T) {
	ctx := browser(t)
	dir := filepath.Join(t.TempDir(), "auth")
	env := []string{"NO_COLOR=1"}
	a := newAuthority(t, dir, time.Now().UTC(), "")
	mint := func(n int) string {
		code, out, errOut := volactRun(t, env, "mak", "mint", "--dir", dir, "--type", "mak", "--sku", "workstation-ent", "--activations", strconv.Itoa(n))
		if code != 0 {
			t.Fatalf("mak mint: %d %s%s", code, out, errOut)
		}
		return strings.TrimSpace(out)
	}
	keys := []string{mint(50), mint(100)}
	p := startServe(t, env, "mak", "serve", "--dir", dir, "--listen", "127.0.0.1:0", "--velocity-limit", "2/h")
	base := p.addr // mak serve writes its URL
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	activate := func(key, hw string) {
		req := protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindMAK, SKU: "workstation-ent",
			Key: key, HardwareID: hw, CMID: "cmid-" + hw, ClientTime: time.Now().UTC(), Nonce: "n-" + hw}
		if status, body, err := postJSON(http.DefaultClient, base+"/v1/activate", req); err != nil || status != http.StatusOK {
			t.Fatalf("activate %s: %d %v %s", hw, status, err, body)
		}
	}
	for i := 1; i <= 3; i++ {
		activate(keys[0], fmt.Sprintf("page-hw-%d", i))
	}
	activate(keys[1], "page-hw-other")
	tokenFile := filepath.Join(dir, httpserve.TokenFile)
	if code, out, errOut := volactRun(t, env, "mak", "block", keys[1], "--service", base, "--token-file", tokenFile); code != 0 {
		t.Fatalf("mak block: %d %s%s", code, out, errOut)
	}
	kmsDir := kmstest.ActivatedDir(t, a, time.Now().UTC(), "server-std")
	h := &witnessHost{dir: kmsDir}
	h.p = startServe(t, env, "kms", "serve", "--data", kmsDir, "--listen", "127.0.0.1:0", "--name", "kms-witnessed")
	h.load(t, "page-witnessed", 4)
	if code, res, errOut := h.report(t, base); code != 0 || !res.Consistent {
		t.Fatalf("kms report: exit %d %+v %s", code, res, errOut)
	}
	var hosts mak.HostsResponse
	volactJSON(t, env, &hosts, "mak", "hosts", "--json", "--dir", dir)
	if len(hosts.Hosts) != 1 {
		t.Fatalf("mak hosts --json: %+v, want the one host", hosts)
	}
	wh := hosts.Hosts[0]

	resp := openPage(t, ctx, base+"/", "")
	checkCSP(t, resp.Headers)
	shown := evalJS[shownPage](t, ctx, readPage)
	for _, k := range keys {
		var st mak.KeyStatus
		volactJSON(t, env, &st, "mak", "remaining", k, "--dir", dir, "--json")
		row := shown.Rows[k[len(k)-5:]]
		if row == nil {
			t.Fatalf("the page shows no key ...%s", k[len(k)-5:])
		}
		for name, want := range map[string]int{"used": st.Used, "limit": st.Limit, "remaining": st.Remaining} {
			if got := num(t, row[name]); got != want {
				t.Errorf("key ...%s: the page shows %s %d, mak remaining --json %d", k[len(k)-5:], name, got, want)
			}
		}
		if strings.Contains(shown.HTML, k) || strings.Contains(shown.HTML, k[:5]) {
			t.Errorf("the page shows more of key ...%s than its last 5 characters", k[len(k)-5:])
		}
	}
	if num(t, shown.IDs["blocked-count"]) != 1 || num(t, shown.IDs["key-count"]) != 2 {
		t.Errorf("totals: %d keys, %d blocked; want 2 and 1", num(t, shown.IDs["key-count"]), num(t, shown.IDs["blocked-count"]))
	}
	if strings.Contains(shown.HTML, "page-hw") {
		t.Errorf("the page without the admin token shows a hardware id")
	}
	if !strings.Contains(shown.HTML, `data-kind="velocity_limit">1<`) {
		t.Errorf("the page lacks the velocity event")
	}
	if num(t, shown.IDs["witnessed-count"]) != len(hosts.Hosts) || num(t, shown.IDs["witnessed-consistent"]) != 1 ||
		num(t, shown.IDs["witnessed-inconsistent"]) != 0 || strings.Contains(shown.HTML, wh.Host) {
		t.Errorf("witnessed hosts without the token: %s hosts, %s consistent, %s inconsistent (want 1, 1, 0), host id shown %v",
			shown.IDs["witnessed-count"], shown.IDs["witnessed-consistent"], shown.IDs["witnessed-inconsistent"], strings.Contains(shown.HTML, wh.Host))
	}
	screenshot(t, ctx, "mak-status.png")

	openPage(t, ctx, base+"/", readToken(t, tokenFile))
	admin := evalJS[shownPage](t, ctx, readPage)
	if !strings.Contains(admin.HTML, "page-hw-3") {
		t.Errorf("the admin view does not name the machine of the velocity event")
	}
	row := admin.Hosts[wh.Host]
	if row == nil || num(t, row["tree_size"]) != int(wh.TreeSize) || num(t, row["reported_size"]) != int(wh.ReportedSize) ||
		!strings.HasPrefix(row["consistent"], shownFlag(wh.Consistent)) || row["groups"] != strings.Join(wh.Groups, ", ") {
		t.Errorf("the admin view shows host %s as %v; mak hosts --json %+v", wh.Host, row, wh)
	}
}

// shownFlag is how the page shows a host's consistency.
func shownFlag(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// readToken reads an admin token file.
func readToken(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("admin token: %v", err)
	}
	return strings.TrimSpace(string(b))
}
