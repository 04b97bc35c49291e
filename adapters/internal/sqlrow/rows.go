package sqlrow

import (
	"context"
)

// Scanner is one row to decode: database/sql's *sql.Row and *sql.Rows, and
// pgx's Row and Rows, all are.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows is a result set being read. pgx.Rows is one; the SQLite store wraps
// *sql.Rows, whose Close returns an error nobody acts on.
type Rows interface {
	Scanner
	Next() bool
	Err() error
	Close()
}

// Tx is what One and All need of a store's transaction. A store's
// transaction type implements it, with Read from its Guard.
type Tx interface {
	// Read reports whether the transaction may still be read (Guard.Read).
	Read() error
	// QueryRow runs a query for at most one row.
	QueryRow(ctx context.Context, query string, args ...any) Scanner
	// Query runs a query for any number of rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// NoRows reports whether err is the driver's "no row" of QueryRow.
	NoRows(err error) bool
	// Fail turns a driver's error into a *domain.Error whose message says
	// what was being done (format and args); nil stays nil.
	Fail(ctx context.Context, err error, format string, args ...any) error
}

// One runs query for one row and decodes it with scan. No row is
// notFound's error; any other failure is translated by t.Fail, with what
// saying what was being read.
func One[T any](ctx context.Context, t Tx, what string, scan func(Scanner) (T, error), notFound func() error, query string, args ...any) (T, error) {
	var zero T
	if err := t.Read(); err != nil {
		return zero, err
	}
	v, err := scan(t.QueryRow(ctx, query, args...))
	if t.NoRows(err) {
		return zero, notFound()
	}
	if err != nil {
		return zero, t.Fail(ctx, err, "%s", what)
	}
	return v, nil
}

// All runs query and decodes every row with scan. No rows is an empty
// slice, not nil, as the memory store answers.
func All[T any](ctx context.Context, t Tx, what string, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	if err := t.Read(); err != nil {
		return nil, err
	}
	rows, err := t.Query(ctx, query, args...)
	if err != nil {
		return nil, t.Fail(ctx, err, "%s", what)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.Fail(ctx, err, "%s", what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.Fail(ctx, err, "%s", what)
	}
	return out, nil
}

// Value decodes a row of one column, such as a count, a flag or an id.
func Value[T any](r Scanner) (T, error) {
	var v T
	err := r.Scan(&v)
	return v, err
}
