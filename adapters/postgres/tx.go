package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// tx is a ports.Tx over one pooled connection, on which it runs the
// transaction itself (BEGIN, COMMIT, ROLLBACK) so that those statements
// travel with others instead of costing a round trip each. Its repositories
// are views of it, one small type per port so their methods can share names;
// each is declared, with the method of tx that hands it out, in the file of
// its context. The Guard refuses a Tx kept past the View or Update that made
// it (instead of reaching a connection another transaction now uses), writes
// in a View (before PostgreSQL would refuse the statement and abort the
// snapshot's transaction), and any statement after one that failed, which
// PostgreSQL would refuse as well.
//
// What it sends, and when:
//   - BEGIN waits for the first statement and goes in the same batch.
//   - A write whose only possible answers are "one row written" or an error
//     (an INSERT of one row, an upsert, an UPDATE by primary key of a row
//     the transaction has read) is queued, not sent: it goes in the batch
//     of the next statement that needs an answer, or of COMMIT. So the
//     writes of an order and its COMMIT cost one round trip. A queued write
//     that fails fails the statement or the commit it travels with, and
//     PostgreSQL runs nothing after it, COMMIT included.
//   - In an Update, the first read of a serial locks the serial's aggregate
//     and reads all of it in one batch (serials.go); later reads of it are
//     answered from what that batch returned, until a write of the
//     transaction changes that part of it.
type tx struct {
	sqlrow.Guard
	conn   *pgx.Conn
	schema string
	// begin is the statement that begins the transaction, until it has been
	// sent; began is true once PostgreSQL has run it.
	begin string
	began bool
	// pending are the queued writes, in order.
	pending []step
	// retry is set when a statement failed with a serialization failure or
	// a deadlock, so Update runs fn again whatever fn made of the error.
	retry atomic.Bool
	// locks are the advisory locks held (lockKey), implicit how many of
	// them were taken by a first read rather than by LockSerials.
	locks    map[int64]bool
	implicit int
	// serials caches what the transaction read of each serial key, and
	// orders the orders Get read, and locked, in an Update.
	serials map[string]*serialRows
	orders  map[int64]domain.Order
	// catalog is the Store's (catalogcache.go); catVersion the catalog's
	// version this transaction reads (0 until its first catalog read), and
	// catWrote whether it changed the catalog.
	catalog    *catalogCache
	catVersion int64
	catWrote   bool
}

// tx implements every group of ports.Tx, and what sqlrow reads rows with.
var (
	_ ports.OrdersTx   = (*tx)(nil)
	_ ports.PlatformTx = (*tx)(nil)
	_ sqlrow.Tx        = (*tx)(nil)
)

// The statements that begin a transaction. An Update runs at READ COMMITTED
// whatever the server's default: its read-check-writes are made safe by the
// advisory lock of the aggregate they touch (LockSerials) and the
// constraints, not by the isolation level. A View reads one snapshot.
const (
	beginUpdate = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
	beginView   = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
)

func newTx(conn *pgx.Conn, schema string, catalog *catalogCache, writable bool) *tx {
	t := &tx{Guard: sqlrow.Guard{Store: "postgres", Writable: writable}, conn: conn, schema: schema, catalog: catalog,
		begin: beginView}
	if writable {
		t.begin = beginUpdate
		t.locks, t.serials, t.orders = map[int64]bool{}, map[string]*serialRows{}, map[int64]domain.Order{}
	}
	return t
}

// step is one statement of a batch: what it is, what it was for (for
// errors), and how its answer is read.
type step struct {
	sql  string
	args []any
	what string
	// read reads the statement's answer from the batch; nil runs it for its
	// effect alone.
	read func(pgx.BatchResults) error
}

// queue adds a write to be sent with the next statement that needs an
// answer, or with COMMIT. Only a write that changes exactly one row or
// fails may be queued: its caller learns of a failure later, from another
// call, and never learns how many rows it changed.
func (t *tx) queue(what, query string, args ...any) {
	t.pending = append(t.pending, step{sql: query, args: args, what: what})
}

// queuedElsewhere are the statements of other files' repositories that exec
// queues rather than sends: single-row INSERTs whose callers read only the
// error, with what each is for.
var queuedElsewhere = map[string]string{
	qAppendAudit:    "append an audit event",
	qAppendDecision: "log a decision",
}

// exec runs a statement and returns how many rows it changed, or queues one
// of queuedElsewhere and reports its one row.
func (t *tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if what, ok := queuedElsewhere[query]; ok {
		t.queue(what, query, args...)
		return 1, nil
	}
	var n int64
	err := t.run(ctx, step{sql: query, args: args, read: func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		n = tag.RowsAffected()
		return err
	}})
	return n, err
}

// QueryRow runs a query for at most one row when the row is scanned.
func (t *tx) QueryRow(ctx context.Context, query string, args ...any) sqlrow.Scanner {
	return lazyRow{t: t, ctx: ctx, sql: query, args: args}
}

// lazyRow is a QueryRow not sent yet: Scan sends it, with whatever waits.
type lazyRow struct {
	t    *tx
	ctx  context.Context
	sql  string
	args []any
}

func (r lazyRow) Scan(dest ...any) error {
	return r.t.run(r.ctx, step{sql: r.sql, args: r.args, read: func(br pgx.BatchResults) error {
		return br.QueryRow().Scan(dest...)
	}})
}

// Query runs a query for rows, after whatever waits to be sent.
func (t *tx) Query(ctx context.Context, query string, args ...any) (sqlrow.Rows, error) {
	if t.begin == "" && len(t.pending) == 0 {
		rows, err := t.conn.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return rows, nil
	}
	br, err := t.send(ctx, step{sql: query, args: args})
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return batchRows{Rows: rows, br: br}, nil
}

// batchRows are the rows of the last statement of a batch: closing them
// closes the batch.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

// Close closes the rows and the batch. An error closing the batch after its
// last rows were read is a broken connection, which the next statement
// reports.
func (r batchRows) Close() {
	r.Rows.Close()
	_ = r.br.Close()
}

// NoRows reports whether err is QueryRow's "no row".
func (t *tx) NoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// Fail translates a statement's error (see translate), saying what was
// being done. It notes the failures Update retries, and that PostgreSQL has
// aborted the transaction after any statement it refused.
func (t *tx) Fail(ctx context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if retryable(err) {
		t.retry.Store(true)
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err // a scan function's own verdict, or a queued write's translated failure
	}
	e := translate(ctx, err, "postgres: "+fmt.Sprintf(format, args...))
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		t.Abort(e)
	}
	return e
}

// run sends what waits (BEGIN, queued writes) and steps in one batch, and
// reads the answers in order. A queued write's failure comes back
// translated (Fail); a failure of one of steps comes back as the driver
// reported it, for its caller to translate as it translates any statement's.
func (t *tx) run(ctx context.Context, steps ...step) error {
	br, err := t.send(ctx, steps...)
	if err != nil {
		return err
	}
	for _, s := range steps {
		if s.read == nil {
			_, err = br.Exec()
		} else {
			err = s.read(br)
		}
		if err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

// send queues BEGIN when it waits, the queued writes and steps in one batch,
// sends it, and reads the answers to BEGIN and the queued writes. The
// answers to steps are the caller's to read, then it closes the batch; on
// an error the batch is closed already.
func (t *tx) send(ctx context.Context, steps ...step) (pgx.BatchResults, error) {
	queued := t.pending
	t.pending = nil
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 1+len(queued)+len(steps))}
	begin := t.begin
	if begin != "" {
		b.Queue(begin)
	}
	for _, s := range queued {
		b.Queue(s.sql, s.args...)
	}
	for _, s := range steps {
		b.Queue(s.sql, s.args...)
	}
	br := t.conn.SendBatch(ctx, b)
	fail := func(err error, what string) (pgx.BatchResults, error) {
		_ = br.Close()
		return nil, t.Fail(ctx, err, "%s", what)
	}
	if begin != "" {
		if _, err := br.Exec(); err != nil {
			return fail(err, "begin a transaction")
		}
		t.begin, t.began = "", true
	}
	for _, s := range queued {
		if _, err := br.Exec(); err != nil {
			return fail(err, s.what)
		}
	}
	return br, nil
}

// commit sends the queued writes and COMMIT in one batch. A transaction
// that never sent a statement has nothing to commit.
func (t *tx) commit(ctx context.Context) error {
	if !t.began && len(t.pending) == 0 {
		t.begin = ""
		return nil
	}
	var tag pgconn.CommandTag
	err := t.run(ctx, step{sql: "COMMIT", read: func(br pgx.BatchResults) (err error) {
		tag, err = br.Exec()
		return err
	}})
	if err != nil {
		return t.Fail(ctx, err, "commit")
	}
	t.began = false
	if tag.String() != "COMMIT" {
		// PostgreSQL answers ROLLBACK to the COMMIT of a failed transaction.
		return domain.Errorf(domain.CodeInternal, "", "postgres: a statement of the transaction failed and fn went on; nothing was committed")
	}
	return nil
}

// rollback ends the transaction whatever state ctx is in: a cancelled
// caller still owes the database its rollback, or the connection is dropped
// instead of reused. Queued writes are dropped unsent.
func (t *tx) rollback(ctx context.Context) {
	t.pending, t.begin = nil, ""
	if !t.began {
		return
	}
	t.began = false
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// An error here leaves the connection closed or still in a transaction,
	// and the pool drops it when it comes back; there is nothing more to do
	// about a transaction nobody will commit.
	_, _ = t.conn.Exec(rctx, "ROLLBACK")
}
