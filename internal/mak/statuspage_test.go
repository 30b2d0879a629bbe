package mak

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/statuspage"
)

// keyCell reads the number in the cell data-k=k of the key ending in last5.
func keyCell(t *testing.T, body, last5, k string) int {
	t.Helper()
	row := regexp.MustCompile(`(?s)<tr data-key="` + last5 + `">(.*?)</tr>`).FindStringSubmatch(body)
	if row == nil {
		t.Fatalf("no row for key ...%s", last5)
	}
	m := regexp.MustCompile(`data-k="` + k + `">([^<]*)<`).FindStringSubmatch(row[1])
	if m == nil {
		t.Fatalf("no %s for key ...%s", k, last5)
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The page lists each key by its last 5 characters with what
// /v1/admin/remaining reports, the blocked keys, and the events, whose
// hardware ids only the admin token shows; the CSP is set.
func TestStatusPage(t *testing.T) {
	e := newEnv(t, "")
	e.led.SetVelocity(ledger.Velocity{Limit: 1}) // the second activation is a velocity_limit event
	k1 := e.mint(productkey.MAK, "workstation-ent", 5)
	k2 := e.mint(productkey.MAK, "workstation-ent", 3)
	for _, hw := range []string{"hw-page-1", "hw-page-2"} {
		if _, status, herr := e.activate(makReq(k1, "workstation-ent", hw)); status != http.StatusOK {
			t.Fatalf("activate %s: %d %v", hw, status, herr)
		}
	}
	if status, body := e.post("/v1/admin/block", testToken, KeyRequest{Key: k2}); status != http.StatusOK {
		t.Fatalf("block: %d %s", status, body)
	}

	status, body := e.do(http.MethodGet, "/", "", "", nil)
	page := string(body)
	if status != http.StatusOK {
		t.Fatalf("GET /: %d %s", status, page)
	}
	for _, k := range []string{k1, k2} {
		last5 := productkey.Redact(k)[len(productkey.Redact(k))-5:]
		st := e.remaining(k)
		for name, want := range map[string]int{"used": st.Used, "limit": st.Limit, "remaining": st.Remaining} {
			if got := keyCell(t, page, last5, name); got != want {
				t.Errorf("key ...%s: page shows %s %d, remaining says %d", last5, name, got, want)
			}
		}
		noKeyIn(t, "the status page", page, k)
	}
	if !strings.Contains(page, `id="blocked-count">1<`) || !strings.Contains(page, `data-kind="velocity_limit">1<`) {
		t.Errorf("the page does not count the blocked key or the velocity event")
	}
	if strings.Contains(page, "hw-page") {
		t.Errorf("the page without the token shows a hardware id")
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != statuspage.CSP {
		t.Errorf("CSP %q", got)
	}
	if _, admin := e.do(http.MethodGet, "/", "", testToken, nil); !strings.Contains(string(admin), "hw-page-2") {
		t.Errorf("the admin view does not show the event's hardware id")
	}
}

// The witnessed hosts: their counts for everyone, an inconsistent host
// flagged; their subjects (host ids), groups and tree sizes with the
// admin token only, each as volactd mak hosts reports it.
func TestStatusPageWitnessedHosts(t *testing.T) {
	e := newEnv(t, "")
	status, body := e.do(http.MethodGet, "/", "", "", nil)
	if page := string(body); status != http.StatusOK || !strings.Contains(page, `id="witnessed-count">0<`) || strings.Contains(page, `id="witnessed-alert"`) {
		t.Fatalf("no host yet: %d\n%s", status, page)
	}
	rows := []ledger.WitnessedHost{
		{Origin: "kms-host/sha256:aa", Subject: "hostid-good-1", Groups: []string{"server"}, TreeSize: 15, ReportedSize: 15, Consistent: true},
		{Origin: "kms-host/sha256:bb", Subject: "hostid-forked-2", Groups: []string{"server", "workstation"}, TreeSize: 16, ReportedSize: 40,
			Conflict: "forked checkpoint", ConflictAt: now},
		{Origin: "kms-host/sha256:cc", Subject: "hostid-good-3", Groups: []string{"workstation"}, TreeSize: 7, ReportedSize: 7, Consistent: true},
	}
	for _, r := range rows {
		r.Checkpoint, r.Summary, r.FirstReport, r.LastReport = "ckpt", "[]", now, now
		if err := e.led.Witness(t.Context(), r.Origin, func(*ledger.WitnessedHost) (*ledger.WitnessedHost, error) { return &r, nil }); err != nil {
			t.Fatal(err)
		}
	}

	_, body = e.do(http.MethodGet, "/", "", "", nil)
	page := string(body)
	for id, want := range map[string]string{"witnessed-count": "3", "witnessed-consistent": "2", "witnessed-inconsistent": "1"} {
		if !strings.Contains(page, `id="`+id+`">`+want+`<`) {
			t.Errorf("the page without the token does not show %s %s", id, want)
		}
	}
	if !strings.Contains(page, `id="witnessed-alert"`) || !strings.Contains(page, `class="big bad" id="witnessed-inconsistent"`) {
		t.Errorf("the inconsistent host is not flagged")
	}
	if strings.Contains(page, "hostid-") || strings.Contains(page, "sha256:aa") {
		t.Errorf("the page without the token names a witnessed host")
	}

	_, body = e.do(http.MethodGet, "/", "", testToken, nil)
	admin := string(body)
	hosts, err := e.srv.admin.Hosts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		row := regexp.MustCompile(`(?s)<tr data-host="` + h.Host + `"([^>]*)>(.*?)</tr>`).FindStringSubmatch(admin)
		if row == nil {
			t.Fatalf("the admin view lists no host %s", h.Host)
		}
		if !strings.Contains(row[2], `data-k="tree_size">`+strconv.FormatInt(h.TreeSize, 10)+`<`) ||
			!strings.Contains(row[2], `data-k="reported_size">`+strconv.FormatInt(h.ReportedSize, 10)+`<`) ||
			!strings.Contains(row[2], strings.Join(h.Groups, ", ")) {
			t.Errorf("host %s: the row does not show %+v:\n%s", h.Host, h, row[2])
		}
		if flagged := strings.Contains(row[1], "inconsistent") && strings.Contains(row[2], ">NO<"); flagged == h.Consistent {
			t.Errorf("host %s: consistent %v, flagged on the page %v", h.Host, h.Consistent, flagged)
		}
	}
	if i, j := strings.Index(admin, "hostid-forked-2"), strings.Index(admin, "hostid-good-1"); i < 0 || j < 0 || i > j {
		t.Errorf("the inconsistent host is not listed first")
	}
}
