// Package ledger is the activation service's database: MAK activation
// counts spent exactly once under concurrency, blocked keys and KMS host-key
// activations.
//
// Two backends share one code path for the logic: an SQLite file (the
// default, no set-up) and PostgreSQL (several stateless service replicas on
// one database). Every change is one transaction in which the key's row is
// locked first (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on
// SQLite), so N parallel activations on a key with limit L succeed exactly
// min(N, L) times, whichever replica serves them.
//
// A ledger belongs to one authority. Only [Create] (`volactd mak init`)
// makes one, and records the authority's root fingerprint in it; [Open]
// opens an existing ledger of that root and nothing else. A missing,
// emptied, damaged or foreign database would otherwise start every count
// and block afresh without a word.
//
// A blocked key refuses everything, re-activation of an installation that
// was activated before the block included: blocking is how an owner stops a
// leaked key, and a leaked key's existing installations are exactly the ones
// to stop.
//
// Every error a caller can see is an *hresult.Error. Database failures are
// hresult.ServiceFailure wrapping the cause; a failed transaction is rolled
// back, so no activation is ever half spent.
package ledger

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/volact/volact/internal/hresult"
)

// Key types stored in KeyRef.Type.
const (
	TypeMAK     = "mak"      // multiple activation key: Limit installations
	TypeKMSHost = "kms-host" // KMS host key: MaxHosts hosts, MaxHostActivations each
)

// Limits of a KMS host key (design §4).
const (
	MaxHosts           = 6  // distinct hosts one host key activates
	MaxHostActivations = 10 // activations of one host with one host key
)

// maxAttempts bounds the retries of a transaction that lost a race
// (serialization failure, deadlock, SQLITE_BUSY).
const maxAttempts = 10

// KeyRef identifies a key to the ledger. It never holds the key itself.
type KeyRef struct {
	ID    string // stable key id, not the key
	Last5 string // last 5 characters of the key, for messages
	SKU   string // product SKU the key is for
	Type  string // TypeMAK or TypeKMSHost
	Limit int    // MAK activation limit, used when the key is first seen
}

// ActivateResult is the outcome of a MAK activation.
type ActivateResult struct {
	Spent bool // false when this installation was already activated
	Used  int  // activations spent on the key, this one included
	Limit int  // the key's activation limit
	// Instance is which machine with this installation id it is: 1 for
	// the first, 2, 3, ... for machines with the same hardware id and
	// other hardware (see Installation.Sources).
	Instance int
}

// HostResult is the outcome of a KMS host-key activation.
type HostResult struct {
	Hosts       int // distinct hosts activated with the key, this one included
	Activations int // activations of this host with the key, this one included
}

// KeyStatus is what Remaining reports about a key.
type KeyStatus struct {
	Used        int  // activations spent (distinct hosts for a host key)
	Limit       int  // the key's limit (MaxHosts for a host key)
	Remaining   int  // Limit - Used, never negative
	Blocked     bool // the key is blocked
	Activations int  // activation rows stored: installations, or hosts for a host key
}

// Ledger is an open activation database. It is safe for concurrent use.
type Ledger struct {
	b        backend
	where    string // the database, for messages: "SQLite file PATH", "PostgreSQL database host:port/db"
	velocity velocitySetting
}

// querier runs statements inside one transaction on either backend. Queries
// use $1-style placeholders, which both backends accept.
type querier interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	queryRow(ctx context.Context, query string, args ...any) row
}

// row is one result row; Scan returns errNoRows when there is none.
type row interface {
	Scan(dest ...any) error
}

var errNoRows = errors.New("no rows")

// backend is what differs between SQLite and PostgreSQL.
type backend interface {
	name() string
	// inTx runs fn in one transaction: committed when fn returns nil,
	// rolled back otherwise.
	inTx(ctx context.Context, fn func(querier) error) error
	// retryable reports whether a failed transaction may simply be run again.
	retryable(err error) bool
	// forUpdate is appended to the SELECT that locks a key row.
	forUpdate() string
	// migrationLock is run first in the migration transaction ("" for none).
	migrationLock() string
	// noTable reports whether err says that a table does not exist.
	noTable(err error) bool
	// tableNames is a query of one column, name: the tables of the
	// database (of the current schema, on PostgreSQL), not the engine's own.
	tableNames() string
	// damaged reports whether err says that the database file is damaged
	// or is not a database at all.
	damaged(err error) bool
	ping(ctx context.Context) error
	close() error
}

// Close releases the database connections. On PostgreSQL it waits for
// the transactions in progress to end.
func (l *Ledger) Close() error { return l.b.close() }

// Where names the database for messages: "SQLite file PATH" or
// "PostgreSQL database host:port/db" (never a password).
func (l *Ledger) Where() string { return l.where }

// Backend names the database kind: "sqlite" or "postgres".
func (l *Ledger) Backend() string { return l.b.name() }

// Ping checks that the database answers.
func (l *Ledger) Ping(ctx context.Context) error {
	if err := l.b.ping(ctx); err != nil {
		return l.dbErr("ping", err)
	}
	return nil
}

// tx runs fn in a transaction, retrying a bounded number of times when the
// transaction lost a race. An *hresult.Error from fn is returned as is; any
// other failure becomes hresult.ServiceFailure.
func (l *Ledger) tx(ctx context.Context, op string, fn func(querier) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = l.b.inTx(ctx, fn)
		if err == nil {
			return nil
		}
		var he *hresult.Error
		if errors.As(err, &he) {
			return err
		}
		if l.b.damaged(err) {
			return l.damagedErr(err)
		}
		if attempt >= maxAttempts || ctx.Err() != nil || !l.b.retryable(err) {
			break
		}
		// Back off a little, with jitter, so racing twins do not collide again.
		d := time.Duration(rand.IntN(attempt*2000)+500) * time.Microsecond
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	return l.dbErr(op, err)
}

// dbErr turns a database failure into hresult.ServiceFailure.
func (l *Ledger) dbErr(op string, err error) error {
	return hresult.Wrap(hresult.ServiceFailure, redacted{err: err}, op+": "+l.b.name()+" database failure").
		WithHint("check that the database is running, reachable and not full; the request can be retried")
}

// redacted hides a secret (a password) in a wrapped error's text and
// folds a multi-line text (pgx lists each address it tried) into one line.
type redacted struct {
	err    error
	secret string
}

func (r redacted) Error() string {
	s := r.err.Error()
	if r.secret != "" {
		s = strings.ReplaceAll(s, r.secret, "xxxxx")
	}
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

func (r redacted) Unwrap() error { return r.err }

// keyName is how messages name a key: its type and last 5 characters.
func (k KeyRef) keyName() string {
	if k.Type == TypeKMSHost {
		return "host key ..." + k.Last5
	}
	return "MAK ..." + k.Last5
}

// limit is the limit a new row for k gets.
func (k KeyRef) limit() int {
	if k.Type == TypeKMSHost {
		return MaxHosts
	}
	return k.Limit
}

// check validates k for an operation that needs a key of type want.
func (k KeyRef) check(want string) error {
	switch {
	case k.ID == "":
		return hresult.New(hresult.InvalidArg, "key id is empty")
	case k.Type != TypeMAK && k.Type != TypeKMSHost:
		return hresult.Newf(hresult.InvalidArg, "key ...%s has unknown type %q", k.Last5, k.Type)
	case k.Type != want:
		return hresult.Newf(hresult.InvalidArg, "key ...%s has type %q, want %q", k.Last5, k.Type, want)
	}
	return nil
}

func blockedErr(k KeyRef) error {
	return hresult.Newf(hresult.KeyBlocked, "%s is blocked", k.keyName()).
		WithHint("use another product key; ask the key's owner why it was blocked")
}

func exhaustedErr(k KeyRef, used, limit int) error {
	return hresult.Newf(hresult.KeyExhausted, "%s has no activations left (%d of %d used)", k.keyName(), used, limit).
		WithHint("use another MAK, or ask the key's owner for more activations")
}

func wrongTypeErr(k KeyRef, stored string) error {
	return hresult.Newf(hresult.BadRequest, "key ...%s is stored as a %s key, not a %s key", k.Last5, stored, k.Type)
}

// nonNegative is max(n, 0).
func nonNegative(n int) int { return max(n, 0) }
