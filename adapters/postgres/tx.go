package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// tx is a ports.Tx over one pgx transaction. Its repositories are views of
// it, one small type per port so their methods can share names; each is
// declared, with the method of tx that hands it out, in the file of its
// context. The Guard refuses a Tx kept past the View or Update that made it
// (instead of reaching a connection another transaction now uses), writes in
// a View (before PostgreSQL would refuse the statement and abort the
// snapshot's transaction), and any statement after one that failed, which
// PostgreSQL would refuse as well.
type tx struct {
	sqlrow.Guard
	pg pgx.Tx
	// retry is set when a statement failed with a serialization failure or
	// a deadlock, so Update runs fn again whatever fn made of the error.
	retry atomic.Bool
}

// tx implements every group of ports.Tx, and what sqlrow reads rows with.
var (
	_ ports.OrdersTx   = (*tx)(nil)
	_ ports.PlatformTx = (*tx)(nil)
	_ sqlrow.Tx        = (*tx)(nil)
)

func newTx(pg pgx.Tx, writable bool) *tx {
	return &tx{Guard: sqlrow.Guard{Store: "postgres", Writable: writable}, pg: pg}
}

// exec runs a statement and returns how many rows it changed.
func (t *tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := t.pg.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

// QueryRow runs a query for at most one row.
func (t *tx) QueryRow(ctx context.Context, query string, args ...any) sqlrow.Scanner {
	return t.pg.QueryRow(ctx, query, args...)
}

// Query runs a query for rows.
func (t *tx) Query(ctx context.Context, query string, args ...any) (sqlrow.Rows, error) {
	rows, err := t.pg.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
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
		return err // a scan function's own verdict
	}
	e := translate(ctx, err, "postgres: "+fmt.Sprintf(format, args...))
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		t.Abort(e)
	}
	return e
}
