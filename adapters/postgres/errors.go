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
	foreignKeyViolation  = "23503"
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
			return constraintError(sqlrow.Unique, pe.ConstraintName, what, err)
		case pe.Code == exclusionViolation:
			return constraintError(sqlrow.Exclusion, pe.ConstraintName, what, err)
		case pe.Code == checkViolation:
			return constraintError(sqlrow.Check, pe.ConstraintName, what, err)
		case pe.Code == foreignKeyViolation:
			if p, ok := seatConstraints[pe.ConstraintName]; ok {
				return &domain.Error{Code: domain.CodeNotFound, Field: p.field, Message: p.message, Err: err}
			}
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

// seatProblem is what breaking one of the seats constraints (migration 0007)
// means to the person who sent the write: the request field at fault and
// what to tell them.
type seatProblem struct{ field, message string }

// seatConstraints explains the constraints of the seats tables. The
// repositories check first and name the row at fault themselves, keeping
// the transaction usable; this table explains what only a racing writer, or
// one that skips entitle, can reach. A foreign key here is CodeNotFound: the
// write named a row of another account, or none.
var seatConstraints = map[string]seatProblem{
	"accounts_pkey":                       {"id", "an account with this id exists"},
	"accounts_alias_key":                  {"alias", "the alias is taken by another company"},
	"seat_users_external_key":             {"externalId", "a user with this externalId exists in this account"},
	"seat_users_username_key":             {"username", "the username is taken"},
	"seat_users_account_id_fkey":          {"accountId", "no such account"},
	"licenses_account_id_fkey":            {"accountId", "no such account"},
	"assignments_license":                 {"licenseId", "no license with this id and product in the account"},
	"assignments_user":                    {"userId", "no user with this id in the account"},
	"assignments_dates_valid":             {"deactivationDate", "deactivationDate is more than one day before activationDate"},
	"assignments_license_no_overlap":      {"licenseId", "the license is assigned to someone else on a common day"},
	"assignments_user_product_no_overlap": {"userId", "the user holds another seat of this product on a common day"},
	"clients_api_key_hash":                {"apiKey", "another client has this apiKey"},
}

// constraintError is sqlrow.ConstraintError, which knows the constraints
// both SQL stores share, with the seats constraints explained here.
func constraintError(v sqlrow.Violation, constraint, what string, cause error) *domain.Error {
	p, ok := seatConstraints[constraint]
	if !ok {
		p, ok = accountConstraints[constraint]
	}
	if ok {
		code := domain.CodeConflict
		if v == sqlrow.Check {
			code = domain.CodeInvalid
		}
		return &domain.Error{Code: code, Field: p.field, Message: p.message, Err: cause}
	}
	return sqlrow.ConstraintError(v, constraint, what, cause)
}
