package kms_test

import (
	"database/sql"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/kms"
	"github.com/volact/volact/internal/statuspage"
)

// getPage fetches GET / from h with the bearer token (none when "") from
// addr and returns the answer.
func getPage(t *testing.T, h http.Handler, token, addr string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = addr
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// pageCell reads the number in the cell data-k=k of group g's row.
func pageCell(t *testing.T, body, g, k string) int {
	t.Helper()
	row := regexp.MustCompile(`(?s)<tr data-group="` + regexp.QuoteMeta(g) + `">(.*?)</tr>`).FindStringSubmatch(body)
	if row == nil {
		t.Fatalf("no row for group %s in the page", g)
	}
	m := regexp.MustCompile(`data-k="` + k + `">([^<]*)<`).FindStringSubmatch(row[1])
	if m == nil {
		t.Fatalf("no %s in the row of group %s", k, g)
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil {
		return -1 // "—": no client yet
	}
	return n
}

// checkLog compares the page's transparency log with kms.ReadStatus,
// which reads the log's file while the host has it open.
func checkLog(t *testing.T, f *fixture, body string) {
	t.Helper()
	st, err := kms.ReadStatus(f.dir, f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Log == nil || st.Log.Size == 0 || st.Log.TreeSize != st.Log.Size || st.Log.Checkpoint == "" {
		t.Fatalf("kms status: log %+v, want leaves and a checkpoint", st.Log)
	}
	for id, want := range map[string]string{"tlog-size": strconv.FormatInt(st.Log.Size, 10),
		"tlog-tree-size": strconv.FormatInt(st.Log.TreeSize, 10), "tlog-origin": st.Log.Origin} {
		if !strings.Contains(body, `id="`+id+`">`+want+`<`) {
			t.Errorf("the page does not show %s %s", id, want)
		}
	}
	root := regexp.MustCompile(`id="tlog-root" title="([^"]*)">([^<]*)<`).FindStringSubmatch(body)
	if root == nil || html.UnescapeString(root[1]) != st.Log.RootHash || root[2] != st.Log.RootHash[:12]+"…" {
		t.Errorf("the page shows the root hash %q, kms status %s", root, st.Log.RootHash)
	}
	if !strings.Contains(body, "No crash recovery was needed") {
		t.Errorf("the page reports a crash recovery after a clean start")
	}
}

// checkAgainstStatus compares the page's groups with kms.ReadStatus.
func checkAgainstStatus(t *testing.T, f *fixture, body string) {
	t.Helper()
	st, err := kms.ReadStatus(f.dir, f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range st.Groups {
		for k, want := range map[string]int{"threshold": g.Threshold, "count": g.CurrentCount, "clients_seen": g.ClientsSeen} {
			if got := pageCell(t, body, g.Group, k); got != want {
				t.Errorf("group %s: page shows %s %d, kms status %d", g.Group, k, got, want)
			}
		}
	}
}

// The page shows what kms status shows (journal and database), over the
// window; names machines only with the admin token; sets the CSP; is
// refused outside the allowed networks; and its aggregates survive being
// rebuilt from the history (a database from before them).
func TestStatusPage(t *testing.T) {
	f := newFixture(t)
	setLimit(t, f, 3)
	// Day 0: 5 new CMIDs from one /24 (2 past the limit: a count_limit
	// event), a refused request; day 10: 3 more from another network; day
	// 35: 2 renewals. The clients of day 0 are out of the window then.
	for i := range 5 {
		f.activateFrom(t, fmt.Sprintf("cmid-day0-%d", i), "10.9.8.7")
	}
	if _, err := f.h.Activate(t.Context(), req("cmid-bad", "no-such-sku", f.clk.Now()), "10.9.8.7"); err == nil {
		t.Fatal("an unknown SKU was activated")
	}
	f.clk.set(t0.Add(10 * 24 * time.Hour))
	for i := range 3 {
		f.activateFrom(t, fmt.Sprintf("cmid-day10-%d", i), "192.168.5.1")
	}
	h := f.h.Handler(nil)
	tokenData, err := os.ReadFile(filepath.Join(f.dir, httpserve.TokenFile))
	if err != nil {
		t.Fatalf("the host made no admin token: %v", err)
	}
	token := strings.TrimSpace(string(tokenData))

	w := getPage(t, h, "", "127.0.0.1:5000")
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET /: %d %s", w.Code, body)
	}
	if got := w.Header().Get("Content-Security-Policy"); got != statuspage.CSP || !strings.Contains(got, "default-src 'none'") {
		t.Errorf("CSP %q", got)
	}
	checkAgainstStatus(t, f, body) // the journal, not applied yet
	checkLog(t, f, body)
	for _, leak := range []string{"cmid-day0", "cmid-day10", "10.9.8.7", "192.168.5.1", "10.9.8.0/24"} {
		if strings.Contains(body, leak) {
			t.Errorf("the page without the token shows %q", leak)
		}
	}
	if !strings.Contains(body, `data-kind="count_limit">1<`) {
		t.Errorf("the page does not count the count_limit event")
	}
	if !strings.Contains(body, "unknown_product") || !strings.Contains(body, "<img src=\"data:image/svg") {
		t.Errorf("the page lacks the refused table or the charts:\n%s", body)
	}
	admin := getPage(t, h, token, "127.0.0.1:5000").Body.String()
	if !strings.Contains(admin, "cmid-day0-3") || !strings.Contains(admin, "10.9.8.7") {
		t.Errorf("the admin view does not name the event's machine")
	}
	if w := getPage(t, h, "wrong", "127.0.0.1:5000"); strings.Contains(w.Body.String(), "cmid-day0") {
		t.Errorf("a wrong token shows machine identifiers")
	}
	if w := getPage(t, h, token, "203.0.113.9:5000"); w.Code != http.StatusForbidden {
		t.Errorf("GET / from a public address: %d, want 403", w.Code)
	}

	f.clk.set(t0.Add(35 * 24 * time.Hour))
	f.activateFrom(t, "cmid-day10-0", "192.168.5.1")
	f.activateFrom(t, "cmid-day35", "192.168.5.1")
	f.reopen(t) // everything in the database now
	body = getPage(t, f.h.Handler(nil), "", "127.0.0.1:5000").Body.String()
	checkAgainstStatus(t, f, body)
	checkLog(t, f, body)

	// A database from before the aggregates: they are rebuilt from the
	// history when it is next opened.
	if err := f.h.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(f.dir, kms.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM settings WHERE name = 'stats_version'; DROP TABLE seen; DROP TABLE seen_hours; DROP TABLE day_stats`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f.open(t)
	checkAgainstStatus(t, f, getPage(t, f.h.Handler(nil), "", "127.0.0.1:5000").Body.String())
}
