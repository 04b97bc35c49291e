package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// tx is a ports.Tx over one connection's open transaction. Its repositories
// are views of it, one small type per port so their methods can share names.
type tx struct {
	c        *conn
	writable bool
	// done is set when the View or Update that made the transaction returns;
	// the connection may by then serve another transaction.
	done atomic.Bool
}

func (t *tx) Customers() ports.Customers         { return customers{t} }
func (t *tx) Catalog() ports.Catalog             { return catalog{t} }
func (t *tx) Devices() ports.Devices             { return devices{t} }
func (t *tx) Subscriptions() ports.Subscriptions { return subscriptions{t} }
func (t *tx) Trials() ports.Trials               { return trials{t} }
func (t *tx) Orders() ports.Orders               { return orders{t} }
func (t *tx) Activations() ports.Activations     { return activations{t} }
func (t *tx) Audit() ports.Audit                 { return audit{t} }
func (t *tx) Clients() ports.Clients             { return clients{t} }
func (t *tx) Idempotency() ports.Idempotency     { return idempotency{t} }

// read reports CodeInternal when the transaction is over.
func (t *tx) read() error {
	if t.done.Load() {
		return domain.Errorf(domain.CodeInternal, "", "sqlite: the transaction is over: use a Tx only inside the function given to View or Update")
	}
	return nil
}

// write also reports CodeInternal in a View. The reader connections are
// query_only as well; this check only gives the clearer message.
func (t *tx) write() error {
	if err := t.read(); err != nil {
		return err
	}
	if !t.writable {
		return domain.Errorf(domain.CodeInternal, "", "sqlite: a View is read-only: write inside Update")
	}
	return nil
}

// required reports CodeInvalid when a key field is empty: an empty key would
// make a row nobody can look up.
func required(field, value string) error {
	if value == "" {
		return domain.Errorf(domain.CodeInvalid, field, "%s is required", field)
	}
	return nil
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// failedRow is a row whose statement could not even be prepared.
type failedRow struct{ err error }

func (r failedRow) Scan(...any) error { return r.err }

func (t *tx) row(ctx context.Context, query string, args ...any) scanner {
	st, err := t.c.stmt(ctx, query)
	if err != nil {
		return failedRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// fail translates err, saying what was being done (see translate).
func (t *tx) fail(ctx context.Context, err error, format string, args ...any) error {
	return t.c.fail(ctx, err, format, args...)
}

// one runs a query for a single row and decodes it with scan. No row is
// notFound's error; what says what was being read, for other errors.
func one[T any](ctx context.Context, t *tx, what string, scan func(scanner) (T, error), notFound func() error, query string, args ...any) (T, error) {
	var zero T
	if err := t.read(); err != nil {
		return zero, err
	}
	v, err := scan(t.row(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return zero, notFound()
	}
	if err != nil {
		return zero, t.fail(ctx, err, "sqlite: %s", what)
	}
	return v, nil
}

// list runs a query and decodes every row with scan. No rows is an empty
// slice, not nil, as the memory store answers.
func list[T any](ctx context.Context, t *tx, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, t.fail(ctx, err, "sqlite: %s", what)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.fail(ctx, err, "sqlite: %s", what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(ctx, err, "sqlite: %s", what)
	}
	return out, nil
}

// savepoint runs fn so that its statements take effect together or not at
// all: a repository method that writes several rows and fails half way
// leaves the transaction as it found it, as the memory store does.
func (t *tx) savepoint(ctx context.Context, fn func() error) error {
	if err := t.c.exec(ctx, "SAVEPOINT repo"); err != nil {
		return t.fail(ctx, err, "sqlite: start a savepoint")
	}
	if err := fn(); err != nil {
		// Undo even when ctx is done: the statements must not stay half
		// applied in a transaction the caller might still commit.
		bg := context.WithoutCancel(ctx)
		if rerr := errors.Join(t.c.exec(bg, "ROLLBACK TO repo"), t.c.exec(bg, "RELEASE repo")); rerr != nil {
			t.c.broken = true
			return errors.Join(err, t.fail(ctx, rerr, "sqlite: roll back to a savepoint"))
		}
		return err
	}
	if err := t.c.exec(ctx, "RELEASE repo"); err != nil {
		return t.fail(ctx, err, "sqlite: release a savepoint")
	}
	return nil
}
