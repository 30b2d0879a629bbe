// Package pgtest gives tests a fresh, empty PostgreSQL database.
//
// With VOLACT_TEST_PG set to a postgres:// URL, that server is used: each
// Start creates a uniquely named database on it and drops it at cleanup.
// Otherwise the first Start in a test binary runs a throwaway server on
// 127.0.0.1 from the local PostgreSQL installation (initdb and pg_ctl, as
// the "postgres" OS user when running as root), shared by all tests of the
// binary; each Start still gets its own database.
//
// A package that uses the throwaway server stops it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// or, with its own TestMain, by calling StopShared after m.Run.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding an existing server's URL.
const EnvURL = "VOLACT_TEST_PG"

const fixHint = "install postgresql (initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin), " +
	"or set " + EnvURL + "=postgres://user:password@host:port/postgres"

// Start returns a postgres:// URL to a new, empty database that is dropped
// when tb ends. It fails tb, never skips it, when no server is available.
func Start(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		var err error
		if base, err = sharedURL(); err != nil {
			tb.Fatalf("pgtest: cannot start a PostgreSQL server: %v\nfix: %s", err, fixHint)
		}
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("pgtest: %s is not a postgres:// URL", EnvURL)
	}
	name := "volact_test_" + randomHex(8)
	if err := admin(base, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database on %s: %v\nfix: %s", u.Host, err, fixHint)
	}
	tb.Cleanup(func() {
		if err := admin(base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// Main runs the tests of a package and then stops the shared server:
// call it from TestMain. It does not return.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// admin runs one statement on the server's maintenance database.
func admin(base, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, stmt)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tail returns the last n lines of s, for error messages quoting a log.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
