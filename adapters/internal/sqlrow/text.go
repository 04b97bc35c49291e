package sqlrow

import (
	"encoding/json"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/domain"
)

// How scalar values are written as text, in a text column or inside stored
// JSON. Each form keeps every digit, and compares as text in the domain's
// order where a query compares it.

// DecimalText writes d exactly, keeping its scale: 1999.00 stays "1999.00"
// (decimal.Decimal.String would drop the zeros), so what is read back prints
// as what was stored. A numeric column keeps the scale it is given, too.
func DecimalText(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}

// ParseDecimal reads what DecimalText wrote (or a numeric column cast to
// text). A stored value that does not parse is the store's fault:
// CodeInternal, naming field.
func ParseDecimal(s, field string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, domain.Wrap(err, domain.CodeInternal, "stored %s %q is not a decimal", field, s)
	}
	return d, nil
}

// DateText writes a civil date as YYYY-MM-DD, and no date as "": text order
// is date order for the years 0001 to 9999. It is the form domain.Date takes
// inside JSON as well.
func DateText(d domain.Date) string { return d.String() }

// ParseDateText reads what DateText wrote; "" is the zero Date. A stored
// value that does not parse is CodeInternal, naming field.
func ParseDateText(s, field string) (domain.Date, error) {
	var d domain.Date
	if err := d.UnmarshalText([]byte(s)); err != nil {
		return domain.Date{}, domain.Wrap(err, domain.CodeInternal, "stored %s %q is not a date", field, s)
	}
	return d, nil
}

// EncodeJSON encodes v for a JSON column. It fails, with CodeInternal, only
// for a value JSON cannot hold.
func EncodeJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInternal, "cannot encode %T as JSON", v)
	}
	return b, nil
}

// DecodeJSON decodes a JSON column into v; stored JSON that does not decode
// is CodeInternal.
func DecodeJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return domain.Wrap(err, domain.CodeInternal, "stored JSON does not decode into %T", v)
	}
	return nil
}
