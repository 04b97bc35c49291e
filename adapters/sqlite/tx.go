package sqlite

import (
	"context"
	"database/sql"
	"errors"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// tx is a ports.Tx over one connection's open transaction. Its repositories
// are views of it, one small type per port so their methods can share names;
// each is declared, with the method of tx that hands it out, in the file of
// its context. The Guard refuses a Tx kept past the View or Update that made
// it (the connection may by then serve another transaction), writes in a
// View (the reader connections are query_only as well; the Guard gives the
// clearer message), and a transaction whose connection broke.
type tx struct {
	sqlrow.Guard
	c *conn
	// timelines holds, in an Update, the subscriptions of each serial key
	// it read, as it read them, until it writes one of that serial's
	// (serials.go).
	timelines map[string]domain.Timeline
}

// tx implements every group of ports.Tx, and what sqlrow reads rows with.
var (
	_ ports.OrdersTx   = (*tx)(nil)
	_ ports.SeatsTx    = (*tx)(nil)
	_ ports.PlatformTx = (*tx)(nil)
	_ sqlrow.Tx        = (*tx)(nil)
)

func newTx(c *conn, writable bool) *tx {
	return &tx{Guard: sqlrow.Guard{Store: "sqlite", Writable: writable}, c: c}
}

// statement returns the context a statement of t runs under, or why it
// must not start. A transaction that failed runs nothing more: after an
// error that ended it (see endsTransaction), a statement would run outside
// any transaction and commit on its own. In an Update, a done ctx stops the
// next statement rather than interrupting the running one: SQLite rolls
// back the whole transaction when a write is interrupted, and that
// transaction holds the other Updates of the batch.
func (t *tx) statement(ctx context.Context) (context.Context, error) {
	if err := t.Read(); err != nil {
		return ctx, err
	}
	if !t.Writable {
		return ctx, nil
	}
	if err := ctx.Err(); err != nil {
		return ctx, err
	}
	return context.WithoutCancel(ctx), nil
}

// exec runs a statement and returns how many rows it changed.
func (t *tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx, err := t.statement(ctx)
	if err != nil {
		return 0, err
	}
	st, err := t.c.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// QueryRow runs a query for at most one row, on a statement prepared once
// per connection.
func (t *tx) QueryRow(ctx context.Context, query string, args ...any) sqlrow.Scanner {
	ctx, err := t.statement(ctx)
	if err != nil {
		return failedRow{err}
	}
	st, err := t.c.stmt(ctx, query)
	if err != nil {
		return failedRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// failedRow is a row whose statement could not even be prepared.
type failedRow struct{ err error }

func (r failedRow) Scan(...any) error { return r.err }

// Query runs a query for rows, on a statement prepared once per connection.
func (t *tx) Query(ctx context.Context, query string, args ...any) (sqlrow.Rows, error) {
	ctx, err := t.statement(ctx)
	if err != nil {
		return nil, err
	}
	st, err := t.c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rs, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return rows{rs}, nil
}

// rows is a *sql.Rows as sqlrow reads it.
type rows struct{ *sql.Rows }

// Close closes the rows; an error closing a read changes nothing it read.
func (r rows) Close() { _ = r.Rows.Close() }

// NoRows reports whether err is QueryRow's "no row".
func (t *tx) NoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Fail translates err (see translate), saying what was being done, and ends
// the transaction's use when its connection broke or the error ended the
// transaction.
func (t *tx) Fail(ctx context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	ended := endsTransaction(err)
	err = t.c.fail(ctx, err, "sqlite: "+format, args...)
	if t.c.broken || ended {
		t.Abort(err)
	}
	return err
}

// savepoint runs fn so that its statements take effect together or not at
// all: a repository method that writes several rows and fails half way
// leaves the transaction as it found it, as the memory store does.
func (t *tx) savepoint(ctx context.Context, fn func() error) error {
	sctx, err := t.statement(ctx)
	if err != nil {
		return t.Fail(ctx, err, "start a savepoint")
	}
	if err := t.c.exec(sctx, "SAVEPOINT repo"); err != nil {
		return t.Fail(ctx, err, "start a savepoint")
	}
	if err := fn(); err != nil {
		// Undo even when ctx is done: the statements must not stay half
		// applied in a transaction the caller might still commit.
		bg := context.WithoutCancel(ctx)
		if rerr := errors.Join(t.c.exec(bg, "ROLLBACK TO repo"), t.c.exec(bg, "RELEASE repo")); rerr != nil {
			t.c.broken = true
			return errors.Join(err, t.Fail(ctx, rerr, "roll back to a savepoint"))
		}
		return err
	}
	if err := t.c.exec(sctx, "RELEASE repo"); err != nil {
		return t.Fail(ctx, err, "release a savepoint")
	}
	return nil
}

// endsTransaction reports whether err is one of the errors after which
// SQLite may have rolled back the whole transaction on its own (a full
// disk, an I/O error, no memory, a lock, an interrupt, a corrupt file): the
// transaction must then run nothing more.
func endsTransaction(err error) bool {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_BUSY,
		sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_ABORT:
		return true
	}
	return false
}

// LockSerials does nothing more than check the transaction: SQLite has one
// writer, and an Update's fn runs alone on it.
func (t *tx) LockSerials(context.Context, ...string) error { return t.Read() }
