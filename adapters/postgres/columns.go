package postgres

import (
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
)

// How domain values map to columns, in one place so every repository reads
// back exactly what it wrote.

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

// decimalText writes d with every digit of its exponent, so "1999.00" comes
// back "1999.00" (decimal.Decimal.String would drop the zeros): numeric keeps
// the scale it is given, and so does the text inside jsonb.
func decimalText(d decimal.Decimal) string {
	if exp := d.Exponent(); exp < 0 {
		return d.StringFixed(-exp)
	}
	return d.String()
}

// decimalOf reads what decimalText wrote (or a numeric cast to text).
func decimalOf(s, field string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, domain.Wrap(err, domain.CodeInternal, "stored %s %q is not a decimal", field, s)
	}
	return d, nil
}

// texts is a list for a text[] NOT NULL column: nil becomes empty.
func texts(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonArg encodes a nested value for a jsonb column.
func jsonArg(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInternal, "cannot encode %T as JSON", v)
	}
	return b, nil
}

// jsonOf decodes a jsonb column into v.
func jsonOf(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return domain.Wrap(err, domain.CodeInternal, "stored JSON does not decode into %T", v)
	}
	return nil
}
