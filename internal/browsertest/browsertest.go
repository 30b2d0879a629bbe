// Package browsertest starts headless Chromium for the tests that check a
// page in a real browser (the servers' status pages, the simulator's
// report), through chromedp.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium finds the browser: $CHROMIUM (a path), else chromium on PATH.
// VOLACT_NO_BROWSER=1 or CHROMIUM=off skip the browser tests, saying so;
// elsewhere a missing browser skips them, but on Linux, where .ci/run
// installs Debian's chromium, it fails the test.
func Chromium(t testing.TB) string {
	t.Helper()
	if os.Getenv("VOLACT_NO_BROWSER") == "1" || os.Getenv("CHROMIUM") == "off" {
		t.Skip("VOLACT_NO_BROWSER=1 or CHROMIUM=off: the page is not checked in a browser")
	}
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if runtime.GOOS != "linux" {
		t.Skip("no chromium on PATH (set CHROMIUM=/path/to/chromium to run this test)")
	}
	t.Fatal("chromium is not installed: apt-get install -y chromium, or set CHROMIUM=/path/to/it (VOLACT_NO_BROWSER=1 skips this test)")
	return ""
}

// Start starts headless Chromium with a temporary profile, a window of
// width x height and none of the browser's background network services
// (the test machine has no outside network), and returns a tab's context.
// The browser starts with the tab's first action and stops at the end of
// the test.
func Start(t testing.TB, width, height int) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(Chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(width, height),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}
