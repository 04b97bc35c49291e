package postgres

import (
	"context"
	"errors"
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
	// tables through its search_path. "" means public.
	Schema string
	// MaxConns bounds the connection pool; 0 leaves pgxpool's default (the
	// larger of 4 and the number of CPUs).
	MaxConns int32
	// MaxAttempts bounds how many times Update runs its fn when PostgreSQL
	// reports a serialization failure (40001) or a deadlock (40P01); 0 means
	// 10. Past it Update returns domain.CodeConflict: the caller may try
	// again later.
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
	pool   *pgxpool.Pool
	opts   Options
	closed atomic.Bool
}

var _ ports.Store = (*Store)(nil)

// Open connects to the database dsn names (a postgres:// URL or a keyword
// DSN, as pgx parses it), creates opts.Schema when missing, and brings it to
// the latest schema version. It fails with CodeInvalid for a DSN that does
// not parse, CodeUnavailable when the database cannot be reached, and
// CodeInternal, wrapping ErrNewerSchema, when the schema was migrated by a
// newer entitle than this one.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInvalid, "postgres: the DSN does not parse")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	// Every connection resolves entitle's tables in its schema, and only
	// there: a table of the same name in public is never touched by mistake.
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	// Every query of the store has an index made for it. Left to itself, the
	// planner scans a table whole while it is small or its statistics say
	// so (a new database, a table autovacuum has not analyzed yet), and a
	// SERIALIZABLE scan of a whole table takes a predicate lock on all of
	// it, so every concurrent insert into it becomes a serialization
	// failure. PostgreSQL's documentation of serializable isolation advises
	// steering the planner to index scans for this reason.
	cfg.ConnConfig.RuntimeParams["enable_seqscan"] = "off"
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

// Update runs fn in a SERIALIZABLE read-write transaction and commits when fn
// returns nil. When fn returns an error or panics, the transaction is rolled
// back; a panic reaches the caller as it was. When a statement or the commit
// fails with a serialization failure or a deadlock, Update rolls back, waits
// (see Options.MinBackoff) and runs fn again, up to Options.MaxAttempts
// times, then fails with CodeConflict; fn must therefore have no effects
// outside the transaction. Update returns fn's error unchanged, or
// CodeUnavailable when the store is closed, ctx is done before the commit or
// the database cannot be reached.
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
			return domain.Wrap(err, domain.CodeConflict,
				"postgres: the transaction kept conflicting with concurrent ones (%d attempts); try again", attempt)
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

// attempt runs fn once in a transaction and reports whether the failure, if
// any, is one that running fn again can cure.
func (s *Store) attempt(ctx context.Context, writable bool, fn func(ports.Tx) error) (retry bool, err error) {
	opts := pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadWrite}
	if !writable {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	pt, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		if s.closed.Load() {
			return false, domain.Wrap(err, domain.CodeUnavailable, "postgres: the store is closed")
		}
		return false, unavailable(ctx, err, "postgres: cannot begin a transaction")
	}
	t := newTx(pt, writable)
	ended := false
	// No recover: when fn panics, this rolls back and the panic goes on
	// with its own stack.
	defer func() {
		t.End()
		if !ended {
			rollback(ctx, pt)
		}
	}()
	err = fn(t)
	t.End()
	if err != nil {
		ended = true
		rollback(ctx, pt)
		return t.retry.Load(), err
	}
	if t.retry.Load() {
		// fn swallowed a serialization failure; PostgreSQL has aborted the
		// transaction, so committing would only roll back.
		ended = true
		rollback(ctx, pt)
		return true, domain.Errorf(domain.CodeConflict, "", "postgres: a statement hit a serialization failure")
	}
	// A caller that gave up must not find its work committed behind its back.
	if err := ctx.Err(); err != nil {
		ended = true
		rollback(ctx, pt)
		return false, sqlrow.Abandoned("postgres", err)
	}
	ended = true
	if err := pt.Commit(ctx); err != nil {
		if retryable(err) {
			return true, domain.Wrap(err, domain.CodeConflict, "postgres: the commit hit a serialization failure")
		}
		if errors.Is(err, pgx.ErrTxCommitRollback) {
			return false, domain.Wrap(err, domain.CodeInternal,
				"postgres: a statement of the transaction failed and fn went on; nothing was committed")
		}
		return false, translate(ctx, err, "postgres: commit")
	}
	return false, nil
}

// rollback ends pt whatever state ctx is in: a cancelled caller still owes
// the database its rollback, or the connection is dropped instead of reused.
func rollback(ctx context.Context, pt pgx.Tx) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// An error here leaves the connection closed, and the pool drops it;
	// there is nothing more to do about a transaction nobody will commit.
	_ = pt.Rollback(rctx)
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
