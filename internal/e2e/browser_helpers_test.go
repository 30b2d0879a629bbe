package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/volact/volact/internal/browsertest"
)

// browser starts headless Chromium with a temporary profile, isolated from
// the network's background services, and returns a tab's context; the
// browser stops at the end of the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx := browsertest.Start(t, 1200, 900)
	// The first action starts the browser: no timeout on it (see chromedp.Run).
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	})); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// openPage loads url in the tab with the bearer token (none when "") and
// returns the document's HTTP response.
func openPage(t *testing.T, ctx context.Context, url, token string) *network.Response {
	t.Helper()
	headers := network.Headers{}
	if token != "" {
		headers["Authorization"] = "Bearer " + token
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers})
		return err
	})); err != nil {
		t.Fatalf("set headers: %v", err)
	}
	resp, err := chromedp.Run(tctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return resp
}

// evalJS evaluates expr in the tab and decodes its value into a T.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// screenshot takes a full-page PNG of the tab and saves it to
// testdata/screenshots/name (shown in README) when that file is missing or
// UPDATE_GOLDEN is set; otherwise into the test's temporary directory, so
// that test runs leave the checkout as it was.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := filepath.Join("..", "..", "testdata", "screenshots")
	if _, err := os.Stat(filepath.Join(dir, name)); err == nil && os.Getenv("UPDATE_GOLDEN") == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
