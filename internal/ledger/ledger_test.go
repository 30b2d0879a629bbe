package ledger

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volact/volact/internal/hresult"
)

func TestActivateMAK(t *testing.T) {
	// One key with limit 2, activated in this order.
	steps := []struct {
		install   string
		wantSpent bool
		wantUsed  int
		wantCode  hresult.Code
		wantMsg   string
	}{
		{install: "hw-a/ent", wantSpent: true, wantUsed: 1},
		{install: "hw-a/ent", wantSpent: false, wantUsed: 1}, // same installation: idempotent
		{install: "hw-a/pro", wantSpent: true, wantUsed: 2},  // same hardware, other product: new
		{install: "hw-c/ent", wantCode: hresult.KeyExhausted, wantMsg: "MAK ...ABCDE has no activations left (2 of 2 used)"},
		{install: "hw-a/ent", wantSpent: false, wantUsed: 2}, // still fine once exhausted
	}
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		k := makKey("key-abcde", 2)
		for i, s := range steps {
			res, err := l.ActivateMAK(context.Background(), k, Installation{ID: s.install}, now)
			if s.wantCode != 0 {
				wantErr(t, err, s.wantCode, s.wantMsg)
				continue
			}
			if err != nil {
				t.Fatalf("step %d (%s): %v", i, s.install, err)
			}
			want := ActivateResult{Spent: s.wantSpent, Used: s.wantUsed, Limit: 2, Instance: 1}
			if res != want {
				t.Fatalf("step %d (%s): got %+v, want %+v", i, s.install, res, want)
			}
		}
		wantStatus(t, l, k, KeyStatus{Used: 2, Limit: 2, Remaining: 0, Activations: 2})
	})
}

func TestRemaining(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		k := makKey("key-rem01", 50)
		wantStatus(t, l, k, KeyStatus{Used: 0, Limit: 50, Remaining: 50}) // never seen
		for i := range 3 {
			if _, err := l.ActivateMAK(context.Background(), k, Installation{ID: fmt.Sprintf("hw-%d/ent", i)}, now); err != nil {
				t.Fatal(err)
			}
		}
		wantStatus(t, l, k, KeyStatus{Used: 3, Limit: 50, Remaining: 47, Activations: 3})
		// The limit is the one stored at first use, not the caller's.
		k.Limit = 10
		wantStatus(t, l, k, KeyStatus{Used: 3, Limit: 50, Remaining: 47, Activations: 3})
	})
}

// A blocked key refuses everything, re-activation of an installation that
// was activated before the block included.
func TestBlock(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		before []string // installations activated before the block
		try    string   // installation tried after the block
	}{
		{name: "before first use", try: "hw-a/ent"},
		{name: "new installation", before: []string{"hw-a/ent"}, try: "hw-b/ent"},
		{name: "re-activation", before: []string{"hw-a/ent"}, try: "hw-a/ent"},
	}
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				k := makKey(fmt.Sprintf("key-blk%02d", i), 5)
				for _, inst := range c.before {
					if _, err := l.ActivateMAK(ctx, k, Installation{ID: inst}, now); err != nil {
						t.Fatal(err)
					}
				}
				for range 2 { // blocking twice is fine
					if err := l.Block(ctx, k, now); err != nil {
						t.Fatalf("Block: %v", err)
					}
				}
				_, err := l.ActivateMAK(ctx, k, Installation{ID: c.try}, now)
				wantErr(t, err, hresult.KeyBlocked, "MAK ..."+k.Last5+" is blocked")
				n := len(c.before)
				wantStatus(t, l, k, KeyStatus{Used: n, Limit: 5, Remaining: 5 - n, Blocked: true, Activations: n})
			})
		}
		t.Run("host key", func(t *testing.T) {
			k := hostKey("host-blk01")
			if _, err := l.ActivateHost(ctx, k, "kms1", now); err != nil {
				t.Fatal(err)
			}
			if err := l.Block(ctx, k, now); err != nil {
				t.Fatal(err)
			}
			_, err := l.ActivateHost(ctx, k, "kms1", now)
			wantErr(t, err, hresult.KeyBlocked, "host key ...BLK01 is blocked")
		})
	})
}

func TestActivateHost(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		k := hostKey("host-hk001")
		for i := 1; i <= MaxHostActivations; i++ {
			res, err := l.ActivateHost(ctx, k, "kms0", now)
			if err != nil {
				t.Fatalf("activation %d: %v", i, err)
			}
			if want := (HostResult{Hosts: 1, Activations: i}); res != want {
				t.Fatalf("activation %d: got %+v, want %+v", i, res, want)
			}
		}
		_, err := l.ActivateHost(ctx, k, "kms0", now)
		wantErr(t, err, hresult.HostKeyLimit, "host kms0 activated 10 times with this key")

		for h := 1; h < MaxHosts; h++ {
			res, err := l.ActivateHost(ctx, k, fmt.Sprintf("kms%d", h), now)
			if err != nil {
				t.Fatalf("host %d: %v", h, err)
			}
			if want := (HostResult{Hosts: h + 1, Activations: 1}); res != want {
				t.Fatalf("host %d: got %+v, want %+v", h, res, want)
			}
		}
		_, err = l.ActivateHost(ctx, k, "kms6", now)
		wantErr(t, err, hresult.HostKeyLimit, "host key ...HK001 already activated 6 hosts")

		// A host already counted may still activate again.
		if res, err := l.ActivateHost(ctx, k, "kms1", now); err != nil || res != (HostResult{Hosts: 6, Activations: 2}) {
			t.Fatalf("re-activation of kms1: %+v, %v", res, err)
		}
		wantStatus(t, l, k, KeyStatus{Used: 6, Limit: 6, Remaining: 0, Activations: 6})
	})
}

func TestInvalidInput(t *testing.T) {
	ctx := context.Background()
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		if _, err := l.ActivateMAK(ctx, makKey("key-typ01", 5), Installation{ID: "hw/ent"}, now); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			call func() error
			code hresult.Code
		}{
			{"empty installation", func() error {
				_, err := l.ActivateMAK(ctx, makKey("key-in001", 5), Installation{ID: ""}, now)
				return err
			}, hresult.InvalidArg},
			{"no limit", func() error {
				_, err := l.ActivateMAK(ctx, makKey("key-in002", 0), Installation{ID: "hw/ent"}, now)
				return err
			}, hresult.InvalidArg},
			{"host key as MAK", func() error {
				_, err := l.ActivateMAK(ctx, hostKey("key-in003"), Installation{ID: "hw/ent"}, now)
				return err
			}, hresult.InvalidArg},
			{"empty host", func() error { _, err := l.ActivateHost(ctx, hostKey("key-in004"), "", now); return err }, hresult.InvalidArg},
			{"MAK row used as host key", func() error { _, err := l.ActivateHost(ctx, hostKey("key-typ01"), "kms", now); return err }, hresult.BadRequest},
			{"empty id", func() error { return l.Block(ctx, KeyRef{}, now) }, hresult.InvalidArg},
			{"unknown type", func() error { return l.Block(ctx, KeyRef{ID: "key-in005", Type: "retail"}, now) }, hresult.InvalidArg},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { wantErr(t, c.call(), c.code, "") })
		}
	})
}

func TestMigrationIdempotent(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		first := open(t, dsn)
		k := makKey("key-mig01", 5)
		if _, err := first.ActivateMAK(context.Background(), k, Installation{ID: "hw/ent"}, now); err != nil {
			t.Fatal(err)
		}
		second := open(t, dsn) // while the first is open
		first.Close()
		third := open(t, dsn) // after it closed
		for _, l := range []*Ledger{second, third} {
			wantStatus(t, l, k, KeyStatus{Used: 1, Limit: 5, Remaining: 4, Activations: 1})
			var rows, top int
			err := l.tx(context.Background(), "test", func(q querier) error {
				return q.queryRow(context.Background(), `SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &top)
			})
			if err != nil || rows != len(migrations) || top != len(migrations) {
				t.Fatalf("schema_version: %d rows, top %d, %v; want %d", rows, top, err, len(migrations))
			}
		}
	})
}

func TestOpenFailures(t *testing.T) {
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	cases := []struct {
		name string
		dsn  string
		code hresult.Code
		msg  string
	}{
		{"postgres down", "postgres://volact:s3cret-pw@" + closed + "/volact?sslmode=disable",
			hresult.ServiceFailure, "cannot connect to PostgreSQL at " + closed + "/volact"},
		{"sqlite dir missing", "sqlite:" + filepath.Join(t.TempDir(), "missing", "ledger.db"), hresult.ServiceFailure, ""},
		{"empty", "", hresult.InvalidArg, ""},
		{"bad pool size", "postgres://u@127.0.0.1/db?pool_max_conns=0", hresult.InvalidArg, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			l, err := Create(context.Background(), c.dsn, testRoot)
			if err == nil {
				l.Close()
				t.Fatal("Open succeeded")
			}
			wantErr(t, err, c.code, c.msg)
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Fatalf("error shows the password: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("Open took %v to fail", d)
			}
		})
	}
}

// A request whose context is already cancelled fails with ServiceFailure
// and spends nothing.
func TestCancelledSpendsNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		l := open(t, dsn)
		k := makKey("key-can01", 5)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := l.ActivateMAK(ctx, k, Installation{ID: "hw/ent"}, now)
		wantErr(t, err, hresult.ServiceFailure, "")
		wantStatus(t, l, k, KeyStatus{Used: 0, Limit: 5, Remaining: 5})
		if err := l.Ping(context.Background()); err != nil {
			t.Fatalf("Ping after a cancelled request: %v", err)
		}
	})
}

func TestBackendName(t *testing.T) {
	for _, b := range backends {
		if got := open(t, b.dsn(t)).Backend(); got != b.name {
			t.Errorf("Backend() = %q, want %q", got, b.name)
		}
	}
}
