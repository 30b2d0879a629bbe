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
