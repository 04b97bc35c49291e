package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

// translate turns an error from the driver into a *domain.Error, so callers
// branch on its code: a done ctx, an interrupted statement, or a lock held
// too long is CodeUnavailable (retrying may help); no row is CodeNotFound;
// a unique or primary key violation is CodeConflict and a CHECK or NOT NULL
// violation CodeInvalid, explained by the seats' own table (seatViolations,
// which also explains the overlap triggers) or sqlrow.ConstraintError (the
// repositories turn the ones they expect into messages of their own first);
// anything else is CodeInternal. The message says what was being done; the
// driver's error stays the cause. A *domain.Error passes through unchanged.
func translate(ctx context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return domain.Wrap(err, domain.CodeUnavailable, "%s: the transaction was abandoned", what)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Wrap(err, domain.CodeNotFound, "%s: nothing found", what)
	}
	if errors.Is(err, sql.ErrConnDone) || isBadConn(err) {
		return domain.Wrap(err, domain.CodeUnavailable, "%s: the connection was lost", what)
	}
	code := sqliteCode(err)
	if code&0xff == sqlite3.SQLITE_CONSTRAINT {
		if e := seatViolation(err, what); e != nil {
			return e
		}
	}
	switch {
	case isUnique(err):
		return sqlrow.ConstraintError(sqlrow.Unique, constraintOf(err), what, err)
	case code == sqlite3.SQLITE_CONSTRAINT_CHECK || code == sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return sqlrow.ConstraintError(sqlrow.Check, constraintOf(err), what, err)
	case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
		return domain.Wrap(err, domain.CodeUnavailable, "%s: the database file stayed locked by another connection or process", what)
	case code&0xff == sqlite3.SQLITE_INTERRUPT:
		return domain.Wrap(err, domain.CodeUnavailable, "%s: the statement was interrupted", what)
	}
	return domain.Wrap(err, domain.CodeInternal, "%s", what)
}

// sqliteCode returns the extended SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *msqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isUnique reports whether err is a unique or primary key violation: the
// repositories expect these and explain them in their own words.
func isUnique(err error) bool {
	code := sqliteCode(err)
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isBadConn(err error) bool { return errors.Is(err, driver.ErrBadConn) }

// constraintNames gives the constraints of the schema the names sqlrow's
// problem table knows them by (the PostgreSQL schema's), from what SQLite's
// message says of them: the columns of a unique index or primary key, the
// expression of a CHECK.
var constraintNames = map[string]string{
	"customer_sites.site_use_id, customer_sites.site_use": "customer_sites_pkey",
	"price_list_countries.country":                        "price_list_countries_pkey",
	"start_date <> '' AND end_date >= start_date":         "subscriptions_period_valid",
	"trials.serial_key, trials.product_line":              "trial_grants_once",
	"order_serials.serial_key":                            "order_serials_one_in_progress",
	"tokens.hash":                                         "tokens_pkey",
	"idempotency.client_id, idempotency.idem_key":         "idempotency_records_pkey",
}

// constraintOf names the constraint a violation broke, or returns "". The
// driver's message reads "constraint failed: UNIQUE constraint failed:
// tokens.hash (1555)".
func constraintOf(err error) string {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	_, what, ok := strings.Cut(se.Error(), " constraint failed: ")
	if i := strings.LastIndex(what, " ("); ok && i >= 0 {
		return constraintNames[what[:i]]
	}
	return ""
}

// conflict is CodeConflict on field, with the constraint violation that
// detected it as the cause.
func conflict(cause error, field, format string, args ...any) error {
	e := domain.Errorf(domain.CodeConflict, field, format, args...)
	e.Err = cause
	return e
}
