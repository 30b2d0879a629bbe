package ledger

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/volact/volact/internal/hresult"
)

const (
	// defaultPoolSize is the number of connections one Ledger opens at most;
	// the DSN parameter pool_max_conns overrides it.
	defaultPoolSize = 16
	// connectTimeout applies when the DSN sets no connect_timeout.
	connectTimeout = 2 * time.Second
	// idleCheck is how long a pooled connection may sit idle before it is
	// pinged before use (the server may have closed it meanwhile).
	idleCheck = 30 * time.Second
	// migrationLockID is the pg_advisory_xact_lock key that serialises
	// schema migrations of replicas starting at once ("volact" in ASCII).
	migrationLockID = 0x766f6c616374
)

// pgBackend is PostgreSQL (or a Postgres-wire engine) at READ COMMITTED,
// over a pgxpool connection pool.
type pgBackend struct {
	pool *pgxpool.Pool
}

// openPostgres connects to the database named by dsn and returns it with
// its name for messages (host:port/database, no password).
func openPostgres(ctx context.Context, dsn string) (backend, string, error) {
	dsn, size, err := takePoolSize(dsn)
	if err != nil {
		return nil, "", err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, "", hresult.Wrap(hresult.InvalidArg, err, "invalid PostgreSQL URL").
			WithHint("use postgres://user:password@host:port/database")
	}
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	cfg.MaxConns = size
	cfg.ShouldPing = func(_ context.Context, p pgxpool.ShouldPingParams) bool {
		return p.IdleDuration >= idleCheck
	}
	// NewWithConfig connects lazily (MinConns is 0); the ping below opens
	// the first connection.
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, "", hresult.Wrap(hresult.InvalidArg, redacted{err, cc.Password}, "invalid PostgreSQL URL").
			WithHint("use postgres://user:password@host:port/database")
	}
	b := &pgBackend{pool: pool}
	where := fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
	if err := b.ping(ctx); err != nil {
		b.close()
		return nil, "", hresult.Wrap(hresult.ServiceFailure, redacted{err, cc.Password},
			"cannot connect to PostgreSQL at "+where).
			WithHint("check that PostgreSQL is running and that the --db URL, user and password are right")
	}
	return b, "PostgreSQL database " + where, nil
}

// takePoolSize removes pool_max_conns from a URL DSN and returns its value
// (defaultPoolSize when absent), so that a bad value gets this package's
// message rather than pgxpool's.
func takePoolSize(dsn string) (string, int32, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", 0, hresult.New(hresult.InvalidArg, "invalid PostgreSQL URL").
			WithHint("use postgres://user:password@host:port/database")
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if v == "" {
		return dsn, defaultPoolSize, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 1 {
		return "", 0, hresult.Newf(hresult.InvalidArg, "pool_max_conns %q is not a positive number", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), int32(n), nil
}

func (p *pgBackend) name() string      { return "postgres" }
func (p *pgBackend) forUpdate() string { return " FOR UPDATE" }
func (p *pgBackend) close() error      { p.pool.Close(); return nil }

func (p *pgBackend) migrationLock() string {
	return "SELECT pg_advisory_xact_lock(" + strconv.Itoa(migrationLockID) + ")"
}

func (p *pgBackend) ping(ctx context.Context) error { return p.pool.Ping(ctx) }

func (p *pgBackend) inTx(ctx context.Context, fn func(querier) error) error {
	c, err := p.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	if err := fn(pgTx{tx}); err != nil {
		// Roll back even when ctx is done; Release drops a connection that
		// is broken or still inside a transaction.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		tx.Rollback(rctx)
		return err
	}
	return tx.Commit(ctx)
}

func (p *pgBackend) tableNames() string {
	return `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`
}

// noTable: undefined_table.
func (p *pgBackend) noTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}

// damaged: data_corrupted, index_corrupted.
func (p *pgBackend) damaged(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "XX001" || pe.Code == "XX002")
}

// retryable: serialization failure, deadlock, or a failure that happened
// before anything reached the server.
func (p *pgBackend) retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return pgconn.SafeToRetry(err)
}

type pgTx struct{ tx pgx.Tx }

func (t pgTx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t pgTx) queryRow(ctx context.Context, query string, args ...any) row {
	return pgRow{t.tx.QueryRow(ctx, query, args...)}
}

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRows
	}
	return err
}
