package ledger

import (
	"context"
	"strings"

	"github.com/volact/volact/internal/hresult"
)

// infoRoot is the ledger_info row that names the authority a ledger
// belongs to: its root fingerprint, "sha256:<hex>".
const infoRoot = "root_fingerprint"

// Create sets up the ledger of the authority whose root fingerprint is
// root (catalog.RootFingerprint) in the database named by dsn, and opens
// it. It creates an SQLite file (mode 0600) or the tables of an empty
// PostgreSQL database, and records root in it. This is `volactd mak init`'s
// job alone: every other verb uses Open, which never creates anything. A
// database that already holds this root's ledger is opened as it is; one
// that holds another root's ledger is refused (exit 7).
//
// A dsn starting with postgres:// or postgresql:// is PostgreSQL;
// "sqlite:PATH" or a plain file path is an SQLite file.
func Create(ctx context.Context, dsn, root string) (*Ledger, error) {
	return openLedger(ctx, dsn, root, true)
}

// Open opens the existing ledger in the database named by dsn for the
// authority whose root fingerprint is root, and brings its schema up to
// date. It refuses, with one line and exit 7, whatever would silently
// reset counts and blocks: a missing or empty SQLite file, a database that
// holds no volact ledger, a damaged file, and the ledger of another
// authority. A ledger made before ledgers recorded their root is claimed
// for root.
func Open(ctx context.Context, dsn, root string) (*Ledger, error) {
	return openLedger(ctx, dsn, root, false)
}

func openLedger(ctx context.Context, dsn, root string, create bool) (*Ledger, error) {
	if root == "" {
		return nil, hresult.New(hresult.InvalidArg, "no authority root fingerprint given for the ledger")
	}
	var (
		b     backend
		where string
		err   error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		b, where, err = openPostgres(ctx, dsn)
	case dsn == "":
		return nil, hresult.New(hresult.InvalidArg, "no database given").
			WithHint("pass a file path, sqlite:PATH or postgres://...")
	default:
		path := strings.TrimPrefix(dsn, "sqlite:")
		where = "SQLite file " + path
		b, err = openSQLite(ctx, path, create)
	}
	if err != nil {
		return nil, err
	}
	l := &Ledger{b: b, where: where}
	if err := l.migrate(ctx, create); err != nil {
		b.close()
		return nil, err
	}
	if err := l.claim(ctx, root); err != nil {
		b.close()
		return nil, err
	}
	return l, nil
}

// claim records root as the ledger's authority if it has none yet, and
// refuses a ledger that belongs to another root.
func (l *Ledger) claim(ctx context.Context, root string) error {
	return l.tx(ctx, "check the ledger's authority", func(q querier) error {
		if _, err := q.exec(ctx, `INSERT INTO ledger_info (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, infoRoot, root); err != nil {
			return err
		}
		var have string
		if err := q.queryRow(ctx, `SELECT value FROM ledger_info WHERE name = $1`, infoRoot).Scan(&have); err != nil {
			return err
		}
		if have != root {
			return refused("the ledger in the %s belongs to another authority (root %s), not to this one (root %s)", l.where, short(have), short(root)).
				WithHint("give the --db of this authority's own ledger: each authority keeps its counts and blocks apart")
		}
		return nil
	})
}

// notLedger is the refusal of a database that holds no ledger.
func (l *Ledger) notLedger() *hresult.Error {
	return refused("the %s holds no volact ledger (it is empty or another program's)", l.where).
		WithHint(initHint)
}

// initHint tells how a ledger comes to exist, and why it never does by itself.
const initHint = "set up a new ledger with volactd mak init --dir DIR [--db URL]; if one was there, restore it from a backup: a new ledger starts every count and block afresh"

// refused is a refusal to use the service's data (exit 7).
func refused(format string, args ...any) *hresult.Error {
	return hresult.Newf(hresult.ServiceFailure, format, args...).WithExit(hresult.ExitStore)
}

// damagedErr is the refusal of a damaged database file.
func (l *Ledger) damagedErr(err error) *hresult.Error {
	return hresult.Wrap(hresult.ServiceFailure, redacted{err: err}, "the "+l.where+" is damaged").
		WithExit(hresult.ExitStore).
		WithHint("restore the ledger from a backup; do not replace it by an empty one, which would reset every count and block")
}

// short shortens a fingerprint for a message: "sha256:" and 16 hex digits.
func short(fp string) string {
	if len(fp) > len("sha256:")+16 {
		return fp[:len("sha256:")+16] + "..."
	}
	return fp
}
