package postgres

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Counts is what a Store opened by OpenCounting has sent to PostgreSQL. It is
// safe for concurrent use.
type Counts struct {
	statements, roundTrips, prepares atomic.Int64
}

// Statements is how many statements were sent, in batches or alone.
func (c *Counts) Statements() int64 { return c.statements.Load() }

// RoundTrips is how many times a statement or a batch was sent and its
// answer awaited, preparing statements aside.
func (c *Counts) RoundTrips() int64 { return c.roundTrips.Load() }

// Prepares is how many statements were prepared: each connection prepares a
// statement the first time it sends it, so this is the warm-up of a pool.
func (c *Counts) Prepares() int64 { return c.prepares.Load() }

// OpenCounting is Open with every connection counting what it sends.
func OpenCounting(ctx context.Context, dsn string, opts Options) (*Store, *Counts, error) {
	c := &Counts{}
	opts.tracer = counter{c}
	s, err := Open(ctx, dsn, opts)
	return s, c, err
}

// counter is the pgx tracer of OpenCounting.
type counter struct{ c *Counts }

func (k counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	k.c.statements.Add(1)
	k.c.roundTrips.Add(1)
	return ctx
}

func (counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (k counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	k.c.roundTrips.Add(1)
	return ctx
}

func (k counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	k.c.statements.Add(1)
}

func (counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (k counter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	k.c.prepares.Add(1)
	return ctx
}

func (counter) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}
