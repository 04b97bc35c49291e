package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// tx is a ports.Tx over one pgx transaction. Its repositories are views of
// it, one small type per port so their methods can share names.
type tx struct {
	pg       pgx.Tx
	writable bool
	// done is set when the View or Update that made the transaction returns:
	// a Tx kept past that fails with CodeInternal instead of reaching a
	// connection another transaction now uses.
	done atomic.Bool
	// retry is set when a statement failed with a serialization failure or
	// a deadlock, so Update runs fn again whatever fn made of the error.
	retry atomic.Bool
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
		return domain.Errorf(domain.CodeInternal, "", "the transaction is over: use a Tx only inside the function given to View or Update")
	}
	return nil
}

// write also reports CodeInternal in a View, before PostgreSQL would refuse
// the statement and abort the snapshot's transaction.
func (t *tx) write() error {
	if err := t.read(); err != nil {
		return err
	}
	if !t.writable {
		return domain.Errorf(domain.CodeInternal, "", "a View is read-only: write inside Update")
	}
	return nil
}

// exec runs a statement that returns no rows.
func (t *tx) exec(ctx context.Context, what, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.pg.Exec(ctx, sql, args...)
	return tag, t.fail(ctx, err, what)
}

// one runs a query for at most one row and scans it into dest; found is
// false when there is none.
func (t *tx) one(ctx context.Context, what, sql string, args []any, dest ...any) (found bool, err error) {
	err = t.pg.QueryRow(ctx, sql, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, t.fail(ctx, err, what)
	}
	return true, nil
}

// all runs a query and calls scan for each row.
func (t *tx) all(ctx context.Context, what, sql string, args []any, scan func(pgx.Rows) error) error {
	rows, err := t.pg.Query(ctx, sql, args...)
	if err != nil {
		return t.fail(ctx, err, what)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return t.fail(ctx, err, what)
		}
	}
	return t.fail(ctx, rows.Err(), what)
}

// fail translates a statement's error, noting the ones Update retries.
func (t *tx) fail(ctx context.Context, err error, what string) error {
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
	return translate(ctx, err, what)
}

// SQLSTATEs entitle acts on.
const (
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	uniqueViolation      = "23505"
	exclusionViolation   = "23P01"
	checkViolation       = "23514"
	readOnlyTransaction  = "25006"
	failedTransaction    = "25P02"
)

// retryable reports whether err is a failure that running the whole
// transaction again can cure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected)
}

// constraintProblems says, per constraint, which request field a violation
// is about and what to tell the person who sent it.
var constraintProblems = map[string]struct{ field, message string }{
	"customer_sites_pkey":           {"sites", "a site with this siteUseId and use already belongs to another customer"},
	"price_list_countries_pkey":     {"countries", "a country of the list already uses another price list"},
	"subscriptions_no_overlap":      {"serviceStartDate", "the subscription overlaps a live subscription of the same serial and product line"},
	"subscriptions_period_valid":    {"serviceEndDate", "a subscription cannot end before it starts"},
	"trial_grants_once":             {"serialNumber", "the serial already had its trial of this product line"},
	"order_serials_one_in_progress": {"serialNumber", "Order creation is in progress for the serialNumber, please try after some time"},
	"tokens_pkey":                   {"token", "a token with this hash exists"},
	"idempotency_records_pkey":      {"Idempotency-Key", "the key is already used"},
}

// translate turns a pgx error into a *domain.Error: the constraint
// violations entitle expects into CodeConflict or CodeInvalid, a lost
// connection or an abandoned context into CodeUnavailable, anything else
// into CodeInternal. The pgx error stays the cause.
func translate(ctx context.Context, err error, what string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		p := constraintProblems[pe.ConstraintName]
		switch {
		case pe.Code == serializationFailure || pe.Code == deadlockDetected:
			return &domain.Error{Code: domain.CodeConflict, Message: what + ": a concurrent transaction got there first; try again", Err: err}
		case pe.Code == uniqueViolation || pe.Code == exclusionViolation:
			if p.message == "" {
				p.message = "the write conflicts with stored data"
			}
			return &domain.Error{Code: domain.CodeConflict, Field: p.field, Message: p.message, Err: err}
		case pe.Code == checkViolation:
			if p.message == "" {
				p.message = "the value breaks a rule of the schema"
			}
			return &domain.Error{Code: domain.CodeInvalid, Field: p.field, Message: p.message, Err: err}
		case pe.Code == readOnlyTransaction:
			return domain.Wrap(err, domain.CodeInternal, "%s: a View is read-only: write inside Update", what)
		case pe.Code == failedTransaction:
			return domain.Wrap(err, domain.CodeInternal, "%s: an earlier statement of this transaction failed", what)
		case unavailableClass(pe.Code):
			return domain.Wrap(err, domain.CodeUnavailable, "%s: the database is not available", what)
		}
		return domain.Wrap(err, domain.CodeInternal, "%s", what)
	}
	return unavailable(ctx, err, what)
}

// unavailableClass reports SQLSTATEs of a database that is down, starting,
// shutting down or out of resources: retrying later may help.
func unavailableClass(code string) bool {
	if len(code) < 2 {
		return false
	}
	switch code[:2] {
	case "08", "53", "57": // connection exception, insufficient resources, operator intervention (a cancelled or timed-out statement too)
		return true
	}
	return false
}

// unavailable classifies an error that is not PostgreSQL's answer to a
// statement: an abandoned context or a broken connection is
// CodeUnavailable, anything else (a bug, such as a Tx used after it ended)
// CodeInternal.
func unavailable(ctx context.Context, err error, what string) error {
	var ne net.Error
	var ce *pgconn.ConnectError
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return domain.Wrap(err, domain.CodeUnavailable, "%s: the transaction was abandoned", what)
	case errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err):
		return domain.Wrap(err, domain.CodeUnavailable, "%s: the database is not available", what)
	}
	return domain.Wrap(err, domain.CodeInternal, "%s", what)
}

// required reports CodeInvalid when a key field is empty: an empty key would
// make a row nobody can look up.
func required(field, value string) error {
	if value == "" {
		return domain.Errorf(domain.CodeInvalid, field, "%s is required", field)
	}
	return nil
}
