// Package browsertest starts headless Chromium for the tests that check a
// page in a real browser (the servers' status pages, the simulator's
// report), through chromedp.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
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

// NoScript switches JavaScript off in the tab's pages, as for a reader who
// disabled it (Emulation.setScriptExecutionDisabled). The test still reads
// the page through DevTools, which is not the page's script.
func NoScript(t testing.TB, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})); err != nil {
		t.Fatalf("disable JavaScript: %v", err)
	}
}

// Console records what the browser logs for the tab's pages from now on
// (the Log domain: a Content-Security-Policy violation, a resource that
// failed to load, ...) and returns a function that lists it, one
// "level source: text (url)" line per entry.
func Console(t testing.TB, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var lines []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && e.Entry != nil {
			mu.Lock()
			lines = append(lines, fmt.Sprintf("%s %s: %s (%s)", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listen to the console: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatalf("enable the console log: %v", err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
}
