package report_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/volact/volact/internal/browsertest"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/sim"
	"github.com/volact/volact/internal/sim/report"
)

// TestReportInBrowser opens the HTML report of the host-outage scenario in
// headless Chromium from a file:// URL, with JavaScript on and off, checks
// that every chart is drawn, that the numbers and answers shown are those
// of the --json result and that the browser logged nothing (a violation of
// the report's Content-Security-Policy would be logged), and saves a
// screenshot (testdata/screenshots/sim-report.png when it is missing or
// UPDATE_GOLDEN is set, else in the test's temp dir).
func TestReportInBrowser(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noScript bool
	}{{"javascript", false}, {"no-javascript", true}} {
		t.Run(tc.name, func(t *testing.T) { checkReportInBrowser(t, tc.noScript) })
	}
}

// checkReportInBrowser is TestReportInBrowser with JavaScript on or off.
func checkReportInBrowser(t *testing.T, noScript bool) {
	browser := browsertest.Start(t, 1100, 900) // skips or fails here without chromium
	if noScript {
		browsertest.NoScript(t, browser)
	}
	logged := browsertest.Console(t, browser)
	scenario, err := os.ReadFile(filepath.Join("..", "..", "..", "scripts", "sim", "host-outage.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.Template(make(ed25519.PublicKey, ed25519.PublicKeySize), time.Time{})
	sc, err := sim.ParseScenario("host-outage.yaml", scenario, &cat)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.New(sc, &cat).Run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	page, err := report.HTML(res, scenario)
	if err != nil {
		t.Fatal(err)
	}
	js, err := res.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var want sim.Result // what --json says, read back
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.ID("answers"))); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	eval := func(what string, v any, expr string) {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
		if err == nil {
			err = json.Unmarshal(raw, v)
		}
		if err != nil {
			t.Fatalf("chromium: %s: %v", what, err)
		}
	}
	var cells [][3]string // row key, field, text
	var answers []string
	var imagesOK bool
	var images int
	eval("cells", &cells, `[...document.querySelectorAll('[data-field]')].map(e => {
		const r = e.closest('tr').dataset; return [r.sku || r.key || r.host, e.dataset.field, e.textContent] })`)
	eval("answers", &answers, `[...document.querySelectorAll('#answers li')].map(e => e.textContent)`)
	eval("images", &images, `document.images.length`)
	eval("images drawn", &imagesOK, `[...document.images].every(i => i.complete && i.naturalWidth > 0)`)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("chromium: screenshot: %v", err)
	}

	if msgs := logged(); len(msgs) > 0 {
		t.Errorf("the browser logged:\n%s", strings.Join(msgs, "\n"))
	}
	if images != len(want.Products)+2 || !imagesOK {
		t.Errorf("%d charts, all drawn: %v; want %d drawn", images, imagesOK, len(want.Products)+2)
	}
	if fmt.Sprint(answers) != fmt.Sprint(want.Answers) {
		t.Errorf("answers shown:\n%q\nwant (from --json):\n%q", answers, want.Answers)
	}
	expect := map[[2]string]int{}
	for _, p := range want.Turning.Products {
		for f, v := range map[string]int{"machines": p.Machines, "first_notification_day": p.FirstNotificationDay, "peak_notification": p.PeakNotification,
			"peak_notification_day": p.PeakNotificationDay, "all_licensed_day": p.AllLicensedDay, "final_licensed": p.FinalLicensed} {
			expect[[2]string{p.SKU, f}] = v
		}
	}
	for _, h := range want.Turning.Hosts {
		if h.Total > 0 {
			for f, v := range map[string]int{"requests": h.Total, "peak_rps": h.PeakRPS, "peak_day": h.PeakDay} {
				expect[[2]string{h.Host, f}] = v
			}
		}
	}
	for _, c := range cells {
		k := [2]string{c[0], c[1]}
		w, ok := expect[k]
		if !ok {
			t.Errorf("the page shows %s %s = %s, which --json does not have", c[0], c[1], c[2])
			continue
		}
		delete(expect, k)
		shown := c[2]
		if shown == "never" {
			shown = "-1"
		}
		if shown != strconv.Itoa(w) {
			t.Errorf("%s %s: the page shows %s, --json says %d", c[0], c[1], c[2], w)
		}
	}
	for k := range expect {
		t.Errorf("the page does not show %s %s", k[0], k[1])
	}

	out := filepath.Join("..", "..", "..", "testdata", "screenshots", "sim-report.png")
	if _, err := os.Stat(out); (err == nil && os.Getenv("UPDATE_GOLDEN") == "") || noScript {
		out = filepath.Join(dir, "sim-report.png")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
}
