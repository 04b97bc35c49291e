package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
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
}

// tx implements every group of ports.Tx, and what sqlrow reads rows with.
var (
	_ ports.OrdersTx   = (*tx)(nil)
	_ ports.PlatformTx = (*tx)(nil)
	_ sqlrow.Tx        = (*tx)(nil)
)

func newTx(c *conn, writable bool) *tx {
	return &tx{Guard: sqlrow.Guard{Store: "sqlite", Writable: writable}, c: c}
}

// exec runs a statement and returns how many rows it changed.
func (t *tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
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
// the transaction's use when its connection broke.
func (t *tx) Fail(ctx context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	err = t.c.fail(ctx, err, "sqlite: "+format, args...)
	if t.c.broken {
		t.Abort(err)
	}
	return err
}

// savepoint runs fn so that its statements take effect together or not at
// all: a repository method that writes several rows and fails half way
// leaves the transaction as it found it, as the memory store does.
func (t *tx) savepoint(ctx context.Context, fn func() error) error {
	if err := t.c.exec(ctx, "SAVEPOINT repo"); err != nil {
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
	if err := t.c.exec(ctx, "RELEASE repo"); err != nil {
		return t.Fail(ctx, err, "release a savepoint")
	}
	return nil
}
