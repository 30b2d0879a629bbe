package pgtest

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// query returns the one int a query on the database at dsn yields.
func query(t *testing.T, dsn, q string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func TestStartGivesFreshDatabases(t *testing.T) {
	t.Setenv(EnvURL, "")
	a, b := Start(t), Start(t)
	if dbName(t, a) == dbName(t, b) {
		t.Fatalf("two Starts returned the same database %s", a)
	}
	u, _ := url.Parse(a)
	if u.Hostname() != "127.0.0.1" {
		t.Fatalf("throwaway server at %s, want 127.0.0.1", u.Host)
	}
	for _, dsn := range []string{a, b} {
		if n := query(t, dsn, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'`); n != 0 {
			t.Fatalf("%s has %d tables, want an empty database", dbName(t, dsn), n)
		}
	}
	// A table made in one database is not in the other.
	if err := admin(a, `CREATE TABLE t (n int)`); err != nil {
		t.Fatal(err)
	}
	if n := query(t, b, `SELECT COUNT(*) FROM pg_tables WHERE tablename = 't'`); n != 0 {
		t.Fatalf("table made in %s shows in %s", dbName(t, a), dbName(t, b))
	}
}

// With VOLACT_TEST_PG set, Start uses that server and drops its database at
// cleanup.
func TestStartUsesGivenServer(t *testing.T) {
	t.Setenv(EnvURL, "")
	server := Start(t) // only to get a server to point VOLACT_TEST_PG at
	u, _ := url.Parse(server)
	u.Path = "/postgres"
	t.Setenv(EnvURL, u.String())

	var made string
	t.Run("start", func(t *testing.T) {
		made = Start(t)
		if !strings.HasPrefix(dbName(t, made), "volact_test_") {
			t.Fatalf("database %q, want volact_test_<random>", dbName(t, made))
		}
		if n := query(t, u.String(), `SELECT COUNT(*) FROM pg_database WHERE datname = $1`, dbName(t, made)); n != 1 {
			t.Fatalf("database %s not created on the given server", dbName(t, made))
		}
	})
	if n := query(t, u.String(), `SELECT COUNT(*) FROM pg_database WHERE datname = $1`, dbName(t, made)); n != 0 {
		t.Fatalf("database %s still exists after cleanup", dbName(t, made))
	}
}
