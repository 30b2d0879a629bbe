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

	"github.com/volact/volact/internal/hresult"
)

const (
	// defaultPoolSize is the number of connections one Ledger opens at most;
	// the DSN parameter pool_max_conns overrides it.
	defaultPoolSize = 16
	// connectTimeout applies when the DSN sets no connect_timeout.
	connectTimeout = 2 * time.Second
	// migrationLockID is the pg_advisory_xact_lock key that serialises
	// schema migrations of replicas starting at once ("volact" in ASCII).
	migrationLockID = 0x766f6c616374
)

// pgBackend is PostgreSQL (or a Postgres-wire engine) at READ COMMITTED.
type pgBackend struct {
	pool *pgPool
}

func openPostgres(ctx context.Context, dsn string) (backend, error) {
	dsn, size, err := takePoolSize(dsn)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, hresult.Wrap(hresult.InvalidArg, err, "invalid PostgreSQL URL").
			WithHint("use postgres://user:password@host:port/database")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	b := &pgBackend{pool: newPgPool(cfg, size)}
	if err := b.ping(ctx); err != nil {
		b.close()
		where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
		return nil, hresult.Wrap(hresult.ServiceFailure, redacted{err, cfg.Password},
			"cannot connect to PostgreSQL at "+where).
			WithHint("check that PostgreSQL is running and that the --db URL, user and password are right")
	}
	return b, nil
}

// takePoolSize removes pool_max_conns from a URL DSN (PostgreSQL would
// reject it as an unknown run-time parameter) and returns its value.
func takePoolSize(dsn string) (string, int, error) {
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
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return "", 0, hresult.Newf(hresult.InvalidArg, "pool_max_conns %q is not a positive number", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), n, nil
}

func (p *pgBackend) name() string      { return "postgres" }
func (p *pgBackend) forUpdate() string { return " FOR UPDATE" }
func (p *pgBackend) close() error      { p.pool.close(); return nil }

func (p *pgBackend) migrationLock() string {
	return "SELECT pg_advisory_xact_lock(" + strconv.Itoa(migrationLockID) + ")"
}

func (p *pgBackend) ping(ctx context.Context) error {
	c, err := p.pool.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.pool.release(c)
	return c.Ping(ctx)
}

func (p *pgBackend) inTx(ctx context.Context, fn func(querier) error) error {
	c, err := p.pool.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.pool.release(c)
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	if err := fn(pgTx{tx}); err != nil {
		// Roll back even when ctx is done; a broken connection is dropped
		// by release.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		tx.Rollback(rctx)
		return err
	}
	return tx.Commit(ctx)
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
