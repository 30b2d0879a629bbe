package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/browsertest"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/kms/kmstest"
	"github.com/volact/volact/internal/mak"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/statuspage"
)

// TestStatusPagesWithoutJavaScript opens the status pages of a real
// volactd kms serve and volactd mak serve in headless Chromium with
// JavaScript switched off and checks that every number is there (against
// kms status --json and mak remaining --json) and every chart is drawn,
// that the page loads nothing from elsewhere and has no script, and that
// the browser logged nothing (a Content-Security-Policy violation would be
// logged). A control page first shows that scripts are really off and
// that a CSP violation is really logged.
func TestStatusPagesWithoutJavaScript(t *testing.T) {
	ctx := browser(t)
	browsertest.NoScript(t, ctx)
	logged := browsertest.Console(t, ctx)
	checkNoScriptControl(t, ctx, logged)

	env := []string{"NO_COLOR=1"}
	now := time.Now().UTC()
	dir := kmstest.ActivatedDir(t, kmstest.Authority(t, now), now, "server-std")
	p := startServe(t, env, "kms", "serve", "--data", dir, "--listen", "127.0.0.1:0", "--name", "kms-noscript")
	for i := 1; i <= 6; i++ {
		if status, body, err := postJSON(http.DefaultClient, "http://"+p.addr+"/v1/kms/activate", kmsRequest(fmt.Sprintf("noscript-%d", i))); err != nil || (status != http.StatusOK && status != http.StatusConflict) {
			t.Fatalf("activate %d: %d %v %s", i, status, err, body)
		}
	}
	var st kms.Status
	volactJSON(t, env, &st, "kms", "status", "--data", dir, "--json")
	shown := openNoScript(t, ctx, logged, "http://"+p.addr+"/")
	for _, g := range st.Groups {
		for k, want := range map[string]int{"threshold": g.Threshold, "count": g.CurrentCount, "clients_seen": g.ClientsSeen} {
			if got := num(t, shown.Rows[g.Group][k]); got != want {
				t.Errorf("KMS page without JavaScript, group %s: %s %d, kms status --json %d", g.Group, k, got, want)
			}
		}
	}
	if shown.Images < 2 {
		t.Errorf("KMS page without JavaScript: %d charts, want the count and the requests", shown.Images)
	}
	if st.Log == nil || num(t, shown.IDs["tlog-size"]) != int(st.Log.Size) {
		t.Errorf("KMS page without JavaScript: log size %s, kms status --json %+v", shown.IDs["tlog-size"], st.Log)
	}

	authDir := filepath.Join(t.TempDir(), "auth")
	newAuthority(t, authDir, now, "")
	code, out, errOut := volactRun(t, env, "mak", "mint", "--dir", authDir, "--type", "mak", "--sku", "workstation-ent", "--activations", "50")
	if code != 0 {
		t.Fatalf("mak mint: %d %s%s", code, out, errOut)
	}
	key := strings.TrimSpace(out)
	svc := startServe(t, env, "mak", "serve", "--dir", authDir, "--listen", "127.0.0.1:0")
	base := svc.addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req := protocol.ActivationRequest{Version: protocol.Version, Kind: protocol.KindMAK, SKU: "workstation-ent",
		Key: key, HardwareID: "noscript-hw", CMID: "noscript-cmid", ClientTime: now, Nonce: "n-noscript"}
	if status, body, err := postJSON(http.DefaultClient, base+"/v1/activate", req); err != nil || status != http.StatusOK {
		t.Fatalf("activate: %d %v %s", status, err, body)
	}
	shown = openNoScript(t, ctx, logged, base+"/")
	var ks mak.KeyStatus
	volactJSON(t, env, &ks, "mak", "remaining", key, "--dir", authDir, "--json")
	row := shown.Rows[key[len(key)-5:]]
	for k, want := range map[string]int{"used": ks.Used, "limit": ks.Limit, "remaining": ks.Remaining} {
		if got := num(t, row[k]); got != want {
			t.Errorf("MAK page without JavaScript: %s %d, mak remaining --json %d", k, got, want)
		}
	}
}

// refAttr is an attribute that loads or runs something, with its value.
var refAttr = regexp.MustCompile(`(?i)\s(src|href|action|srcset|on[a-z]+)\s*=\s*"([^"]*)"`)

// externalRef returns the first attribute of html that would load
// something other than a data: URL or run a handler, or "".
func externalRef(html string) string {
	for _, m := range refAttr.FindAllStringSubmatch(html, -1) {
		if name := strings.ToLower(m[1]); strings.HasPrefix(name, "on") || !strings.HasPrefix(m[2], "data:") {
			return m[0][:min(len(m[0]), 80)]
		}
	}
	return ""
}

// openNoScript opens url in the tab (scripts off), reads what it shows,
// and checks that every image is drawn, the page has no script and loads
// nothing from elsewhere, its CSP is the status pages', and the browser
// logged nothing while loading it.
func openNoScript(t *testing.T, ctx context.Context, logged func() []string, url string) shownPage {
	t.Helper()
	before := len(logged())
	resp := openPage(t, ctx, url, "")
	checkCSP(t, resp.Headers)
	shown := evalJS[shownPage](t, ctx, readPage)
	if shown.Drawn != shown.Images {
		t.Errorf("%s without JavaScript: %d of %d charts drawn", url, shown.Drawn, shown.Images)
	}
	if strings.Contains(strings.ToLower(shown.HTML), "<script") {
		t.Errorf("%s has a script element", url)
	}
	if m := externalRef(shown.HTML); m != "" {
		t.Errorf("%s loads or runs something: %q", url, m)
	}
	if msgs := logged()[before:]; len(msgs) > 0 {
		t.Errorf("%s: the browser logged:\n%s", url, strings.Join(msgs, "\n"))
	}
	return shown
}

// checkNoScriptControl opens a page whose script would change a text and
// that loads an image its CSP forbids: the text must stay (scripts are
// off) and the browser must log the CSP violation (the console is read).
func checkNoScriptControl(t *testing.T, ctx context.Context, logged func() []string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", statuspage.CSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><title>control</title><p id="js">off</p>`+
			`<script>document.getElementById("js").textContent = "on"</script><img src="http://127.0.0.1:9/x.png" alt="">`)
	}))
	defer srv.Close()
	openPage(t, ctx, srv.URL, "")
	if got := evalJS[string](t, ctx, `document.getElementById("js").textContent`); got != "off" {
		t.Fatalf("control page: a script ran (%q): JavaScript is not off", got)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(strings.Join(logged(), "\n"), "Content Security Policy") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("control page: the browser logged no CSP violation: %q", logged())
		}
	}
}
