package postgres

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/entitle-rules/entitle/domain"
)

// How domain values map to PostgreSQL's own column types, in one place so
// every repository reads back exactly what it wrote. The forms both SQL
// stores share (decimals as exact text, nested records as JSON) are in
// adapters/internal/sqlrow.

// dateArg is d as a date column: NULL for the zero Date, which no calendar
// day stands for.
func dateArg(d domain.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: d.Time(time.UTC), Valid: true}
}

// dateOf reads a date column written by dateArg.
func dateOf(d pgtype.Date) domain.Date {
	if !d.Valid {
		return domain.Date{}
	}
	return domain.DateOf(d.Time)
}

// utc reads a timestamptz column: pgx gives instants in the local zone, the
// domain keeps them in UTC. The zero instant (year 1) is stored as is and
// comes back as the zero time.Time.
func utc(t time.Time) time.Time { return t.UTC() }

// texts is a list for a text[] NOT NULL column: nil becomes empty.
func texts(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
