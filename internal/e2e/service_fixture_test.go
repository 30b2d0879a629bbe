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
	a := newAuthority(t, filepath.Join(dir, "auth"), now, "-")
	l, err := ledger.Create(context.Background(), filepath.Join(dir, "service.db"), a.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	srv, err := mak.New(a, l, mak.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return a, l, ts
}

// newAuthority creates an authority in dir that allows the clock and
// machine-id overrides, and its ledger in dsn (dir/service.db when dsn is
// "", none when it is "-"), as volactd mak init --allow-overrides
// clock,machine-id does. Servers open only a ledger made this way.
func newAuthority(t *testing.T, dir string, now time.Time, dsn string) *authority.Authority {
	t.Helper()
	a, err := authority.Init(dir, now, authority.AllowOverrides(catalog.OverrideClock, catalog.OverrideMachineID))
	if err != nil {
		t.Fatal(err)
	}
	if dsn == "-" {
		return a
	}
	if dsn == "" {
		dsn = filepath.Join(dir, "service.db")
	}
	l, err := ledger.Create(context.Background(), dsn, a.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	return a
}
