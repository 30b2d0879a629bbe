package ledger

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

const otherRoot = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

// wantRefused checks that err is a one-line refusal with exit 7 whose
// message contains msg.
func wantRefused(t *testing.T, err error, msg string) {
	t.Helper()
	he, ok := err.(*hresult.Error)
	if !ok {
		t.Fatalf("error = %v (%T), want a refusal", err, err)
	}
	if he.Exit != hresult.ExitStore || !strings.Contains(he.Error(), msg) || strings.Contains(he.Error(), "\n") {
		t.Fatalf("error = %q (exit %d), want exit 7 and %q", he.Error(), he.Exit, msg)
	}
}

func TestOpenNeedsCreate(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		l, err := Open(context.Background(), dsn, testRoot)
		if err == nil {
			l.Close()
			t.Fatal("Open made a ledger")
		}
		if strings.HasPrefix(dsn, "sqlite:") {
			wantRefused(t, err, "there is no ledger at")
		} else {
			wantRefused(t, err, "holds no volact ledger")
		}
		created := open(t, dsn)
		if _, err := created.ActivateMAK(context.Background(), makKey("key-open1", 5), Installation{ID: "hw/a"}, now); err != nil {
			t.Fatal(err)
		}
		l, err = Open(context.Background(), dsn, testRoot)
		if err != nil {
			t.Fatalf("Open after Create: %v", err)
		}
		defer l.Close()
		wantStatus(t, l, makKey("key-open1", 5), KeyStatus{Used: 1, Limit: 5, Remaining: 4, Activations: 1})
		if _, err := Open(context.Background(), dsn, otherRoot); err == nil {
			t.Fatal("Open with another root succeeded")
		} else {
			wantRefused(t, err, "belongs to another authority")
		}
		if _, err := Create(context.Background(), dsn, otherRoot); err == nil {
			t.Fatal("Create with another root succeeded")
		}
	})
}

func TestOpenRefusesEmptyAndForeignFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	db, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE notes (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, msg string }{
		{empty, "is empty (0 bytes)"},
		{foreign, "holds no volact ledger"},
		{garbage, "is damaged"},
		{dir, "is a directory"},
	} {
		if _, err := Open(context.Background(), "sqlite:"+c.path, testRoot); err == nil {
			t.Fatalf("Open(%s) succeeded", c.path)
		} else {
			wantRefused(t, err, c.msg)
		}
	}
	if st, err := os.Stat(empty); err != nil || st.Size() != 0 {
		t.Fatalf("the empty file was changed: %v", err)
	}
}

// Create sets a ledger up only in an empty database or one that holds this
// authority's ledger: never beside another program's tables (a KMS host's
// kms.db given to mak init --db by mistake), which it would mix with its own.
func TestCreateRefusesForeignDatabase(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		var b backend
		var err error
		if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
			b, err = openSQLite(ctx, path, true)
		} else {
			b, _, err = openPostgres(ctx, dsn)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := b.inTx(ctx, func(q querier) error {
			_, err := q.exec(ctx, `CREATE TABLE notes (x TEXT)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		b.close()
		if l, err := Create(ctx, dsn, testRoot); err == nil {
			l.Close()
			t.Fatal("Create set a ledger up beside another program's table")
		} else {
			wantRefused(t, err, "holds another program's data")
		}
		if _, err := Open(ctx, dsn, testRoot); err == nil {
			t.Fatal("Open found a ledger after the refused Create")
		}
	})
}

// A ledger from before roots were recorded is claimed by the first Open.
func TestOpenClaimsOldLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	l := open(t, "sqlite:"+path)
	if err := l.tx(context.Background(), "test", func(q querier) error {
		_, err := q.exec(context.Background(), `DELETE FROM ledger_info`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err := Open(context.Background(), "sqlite:"+path, otherRoot)
	if err != nil {
		t.Fatalf("Open of a ledger with no root: %v", err)
	}
	l.Close()
	if _, err := Open(context.Background(), "sqlite:"+path, testRoot); err == nil {
		t.Fatal("the claimed ledger opened with another root")
	}
}

func TestCreateMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	open(t, "sqlite:"+path)
	for _, p := range []string{path, path + "-wal"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o600 {
			t.Fatalf("%s has mode %04o, want 0600", p, m)
		}
	}
}
