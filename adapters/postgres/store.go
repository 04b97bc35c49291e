package postgres

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Schema is the PostgreSQL schema that holds entitle's tables. Open
	// creates it when it is missing, and every pooled connection finds the
	// tables through its search_path, set to this schema alone. "" means
	// the first schema of the DSN's search_path parameter when it has one
	// (postgres://.../db?search_path=entitle; "$user" is the user
	// connecting), else public.
	Schema string
	// MaxConns bounds the connection pool; 0 leaves pgxpool's default (the
	// larger of 4 and the number of CPUs).
	MaxConns int32
	// MaxAttempts bounds how many times Update runs its fn when PostgreSQL
	// reports a deadlock (40P01) or a serialization failure (40001); 0 means
	// 10. Past it Update returns domain.CodeUnavailable: nothing the caller
	// sent was wrong, and the same request may succeed later.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait before each retry: a random
	// duration up to MinBackoff doubled per failed attempt, capped at
	// MaxBackoff ("full jitter", so racing transactions spread out instead
	// of colliding again in step). 0 means 2ms and 250ms.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// OnRetry, when set, is called before each retry with the number of the
	// attempt that failed (from 1) and its error, for metrics and logs. It is
	// called from the goroutine running Update and must be safe for
	// concurrent use.
	OnRetry func(attempt int, err error)

	// tracer, when set, traces every connection's statements (tests count
	// them with it).
	tracer pgx.QueryTracer
}

// The defaults of Options.
const (
	defaultSchema      = "public"
	defaultMaxAttempts = 10
	defaultMinBackoff  = 2 * time.Millisecond
	defaultMaxBackoff  = 250 * time.Millisecond
)

func (o Options) withDefaults() Options {
	if o.Schema == "" {
		o.Schema = defaultSchema
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = defaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	return o
}

// Store is a ports.Store on a PostgreSQL connection pool. It is safe for
// concurrent use, by goroutines and by other Stores (in this process or
// others) opened on the same database and schema.
type Store struct {
	pool    *pgxpool.Pool
	opts    Options
	closed  atomic.Bool
	catalog catalogCache
}

var _ ports.Store = (*Store)(nil)

// Open connects to the database dsn names (a postgres:// URL or a keyword
// DSN, as pgx parses it), creates opts.Schema when missing, and brings it to
// the latest schema version. It fails with CodeInvalid for a DSN that does
// not parse, CodeUnavailable when the database cannot be reached, and
// CodeInternal, wrapping ErrNewerSchema, when the schema was migrated by a
// newer entitle than this one.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInvalid, "postgres: the DSN does not parse")
	}
	opts.Schema = schemaFor(opts.Schema, cfg.ConnConfig)
	opts = opts.withDefaults()
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	// Every connection resolves entitle's tables in its schema, and only
	// there: a table of the same name in public is never touched by mistake.
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	if opts.tracer != nil {
		cfg.ConnConfig.Tracer = opts.tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeUnavailable, "postgres: cannot set up the connection pool")
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, domain.Wrap(err, domain.CodeUnavailable, "postgres: cannot reach the database")
	}
	if err := migrate(ctx, pool, opts.Schema, len(migrations)); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, opts: opts}, nil
}

// View runs fn in a READ ONLY transaction at REPEATABLE READ: everything fn
// reads comes from one snapshot, and writes fail with CodeInternal. It
// returns fn's error unchanged, or CodeUnavailable when the store is closed,
// ctx is done or the database cannot be reached.
func (s *Store) View(ctx context.Context, fn func(ports.Tx) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	_, err := s.attempt(ctx, false, fn)
	return err
}

// Update runs fn in a READ COMMITTED read-write transaction and commits when
// fn returns nil. When fn returns an error or panics, the transaction is
// rolled back; a panic reaches the caller as it was.
//
// Concurrent Updates touching one serial run one after the other: the
// serial's advisory lock, taken by LockSerials or by the transaction's first
// read of the serial, is held until commit (see lock.go). Updates touching
// different serials do not wait for each other.
//
// When a statement or the commit fails with a deadlock or a serialization
// failure, Update rolls back, waits (see Options.MinBackoff) and runs fn
// again, up to Options.MaxAttempts times, then fails with CodeUnavailable;
// fn must therefore have no effects outside the transaction. Update returns
// fn's error unchanged, or CodeUnavailable when the store is closed, ctx is
// done before the commit or the database cannot be reached. A write fn made
// may fail only at the commit (see tx): Update then returns that write's
// error, translated as the write's own would be.
func (s *Store) Update(ctx context.Context, fn func(ports.Tx) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		retry, err := s.attempt(ctx, true, fn)
		if !retry {
			return err
		}
		if attempt >= s.opts.MaxAttempts {
			return domain.Wrap(err, domain.CodeUnavailable,
				"postgres: the transaction kept failing on concurrent ones (%d attempts); try again later", attempt)
		}
		if s.opts.OnRetry != nil {
			s.opts.OnRetry(attempt, err)
		}
		if err := s.backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// Close makes every later View and Update fail with CodeUnavailable and
// closes the pool, waiting for the transactions under way to finish. It
// always returns nil; closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

func (s *Store) usable(ctx context.Context) error {
	return sqlrow.Usable(ctx, "postgres", s.closed.Load())
}

// attempt runs fn once in a transaction on a connection of its own and
// reports whether the failure, if any, is one that running fn again can
// cure. The connection goes back to the pool when the transaction has ended;
// one still in a transaction (a rollback that failed) is dropped by the
// pool.
func (s *Store) attempt(ctx context.Context, writable bool, fn func(ports.Tx) error) (retry bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		if s.closed.Load() {
			return false, domain.Wrap(err, domain.CodeUnavailable, "postgres: the store is closed")
		}
		return false, unavailable(ctx, err, "postgres: cannot begin a transaction")
	}
	defer conn.Release()
	t := newTx(conn.Conn(), s.opts.Schema, &s.catalog, writable)
	ended := false
	// No recover: when fn panics, this rolls back and the panic goes on
	// with its own stack.
	defer func() {
		t.End()
		if !ended {
			t.rollback(ctx)
		}
	}()
	err = fn(t)
	// A statement that failed, whatever fn made of it, leaves PostgreSQL's
	// transaction aborted: committing would only roll back.
	failed := t.Read()
	t.End()
	ended = true
	switch {
	case err != nil:
		t.rollback(ctx)
		return t.retry.Load(), err
	case t.retry.Load():
		t.rollback(ctx)
		return true, domain.Errorf(domain.CodeUnavailable, "", "postgres: a statement collided with a concurrent transaction")
	case failed != nil:
		t.rollback(ctx)
		return false, domain.Wrap(failed, domain.CodeInternal,
			"postgres: a statement of the transaction failed and fn went on; nothing was committed")
	case ctx.Err() != nil:
		// A caller that gave up must not find its work committed behind
		// its back.
		t.rollback(ctx)
		return false, sqlrow.Abandoned("postgres", ctx.Err())
	}
	if err := t.commit(ctx); err != nil {
		t.rollback(ctx)
		return t.retry.Load(), err
	}
	return false, nil
}

// backoff waits before the attempt after attempt: a random duration up to
// MinBackoff * 2^(attempt-1), at most MaxBackoff.
func (s *Store) backoff(ctx context.Context, attempt int) error {
	ceiling := s.opts.MaxBackoff
	if shift := attempt - 1; shift < 30 {
		if d := s.opts.MinBackoff << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	timer := time.NewTimer(rand.N(ceiling) + 1)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return domain.Wrap(ctx.Err(), domain.CodeUnavailable, "postgres: the transaction was abandoned while waiting to retry")
	case <-timer.C:
		return nil
	}
}
