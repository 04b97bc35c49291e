package sqlite

import (
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// How the values SQLite has no type for are written to columns (the
// conventions migrations/0001_core.sql lists, under this file's former name
// codec.go), beside the forms both SQL stores share (adapters/internal/sqlrow: decimals and dates
// as text, nested lists as JSON). Each form is chosen so that SQL
// comparisons and ORDER BY on the text give the domain's order, and so that
// nothing is rounded on the way in or out. Lists of strings (a part's
// models, a device's SSO e-mails, ...) are JSON arrays (sqlrow.EncodeJSON),
// as the nested records are.

// instantLayout is RFC 3339 with exactly nine fractional digits. Go's
// RFC3339Nano drops trailing zeros, and then "10:28:10Z" sorts after
// "10:28:10.5Z"; fixed width in UTC makes text order time order.
const instantLayout = "2006-01-02T15:04:05.000000000Z07:00"

// instant writes t as instantLayout, in UTC.
func instant(t time.Time) string { return t.UTC().Format(instantLayout) }

// parseInstant reads what instant wrote. A stored value that does not parse
// is CodeInternal, naming field.
func parseInstant(s, field string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, domain.Wrap(err, domain.CodeInternal, "stored %s %q is not an instant", field, s)
	}
	return t, nil
}

// text passes encoded JSON to a TEXT column: STRICT tables refuse []byte,
// which the driver binds as a BLOB. (Reading, a TEXT column scans into a
// []byte as it is.)
func text(b []byte, err error) (string, error) { return string(b), err }
