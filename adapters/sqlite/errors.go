package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/entitle-rules/entitle/domain"
)

// translate turns an error from the driver into a *domain.Error, so callers
// branch on its code: a done ctx, an interrupted statement, or a lock held
// too long is CodeUnavailable (retrying may help); no row is CodeNotFound;
// a unique or primary key violation is CodeConflict (the repositories turn
// the ones they expect into messages of their own first); a CHECK or NOT NULL
// violation is CodeInvalid; anything else is CodeInternal. The message says
// what was being done; the driver's error stays the cause. A *domain.Error
// passes through unchanged.
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
	switch {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return domain.Wrap(err, domain.CodeConflict, "%s: it would break a uniqueness rule", what)
	case code == sqlite3.SQLITE_CONSTRAINT_CHECK || code == sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return domain.Wrap(err, domain.CodeInvalid, "%s: a value is out of range", what)
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

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
