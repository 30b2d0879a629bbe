package e2e_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/ledger"
	"github.com/volact/volact/internal/mak"
)

// startService creates an authority in dir/auth and serves the activation
// service on 127.0.0.1 with a SQLite ledger in dir; both stop with the test.
func startService(t *testing.T, dir string, now time.Time) (*authority.Authority, *ledger.Ledger, *httptest.Server) {
	t.Helper()
	a, err := authority.Init(filepath.Join(dir, "auth"), now, authority.AllowOverrides(catalog.OverrideClock, catalog.OverrideMachineID))
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(context.Background(), filepath.Join(dir, "service.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	srv, err := mak.New(a, l, mak.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return a, l, ts
}
