package postgres

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

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

// translate turns a pgx error into a *domain.Error: the constraint
// violations entitle expects into CodeConflict or CodeInvalid, explained by
// sqlrow.ConstraintError from the constraint's name; a deadlock or a
// serialization failure, a lost connection or an abandoned context into
// CodeUnavailable; anything else into CodeInternal. The pgx error stays the
// cause.
func translate(ctx context.Context, err error, what string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == serializationFailure || pe.Code == deadlockDetected:
			// Transient: nothing in the request was wrong. Update runs the
			// transaction again; this is what is left when it stops trying.
			return domain.Wrap(err, domain.CodeUnavailable, "%s: the transaction collided with a concurrent one; try again", what)
		case pe.Code == uniqueViolation:
			return sqlrow.ConstraintError(sqlrow.Unique, pe.ConstraintName, what, err)
		case pe.Code == exclusionViolation:
			return sqlrow.ConstraintError(sqlrow.Exclusion, pe.ConstraintName, what, err)
		case pe.Code == checkViolation:
			return sqlrow.ConstraintError(sqlrow.Check, pe.ConstraintName, what, err)
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
