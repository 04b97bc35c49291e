package sqlrow_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/entitle-rules/entitle/adapters/internal/sqlrow"
	"github.com/entitle-rules/entitle/domain"
)

func TestDecimalText(t *testing.T) {
	for _, s := range []string{"1999.00", "0.000001", "12.5", "0", "-3.10", "100", "123456789012345678901234567890.0001"} {
		d := decimal.RequireFromString(s)
		text := sqlrow.DecimalText(d)
		if text != s {
			t.Errorf("DecimalText(%s) = %q, want the digits as given", s, text)
		}
		back, err := sqlrow.ParseDecimal(text, "total")
		if err != nil || !back.Equal(d) || back.Exponent() != d.Exponent() {
			t.Errorf("ParseDecimal(%q) = %v (exponent %d), %v", text, back, back.Exponent(), err)
		}
	}
	if _, err := sqlrow.ParseDecimal("", "total"); domain.ErrorCode(err) != domain.CodeInternal {
		t.Errorf(`ParseDecimal("") = %v, want %q`, err, domain.CodeInternal)
	}
}

func TestDateText(t *testing.T) {
	for _, s := range []string{"2025-04-24", "0001-01-01", "9999-12-31", ""} {
		d, err := sqlrow.ParseDateText(s, "serviceStartDate")
		if err != nil || sqlrow.DateText(d) != s {
			t.Errorf("ParseDateText(%q) = %v, %v; written back as %q", s, d, err, sqlrow.DateText(d))
		}
	}
	if d, _ := sqlrow.ParseDateText("", "serviceStartDate"); !d.IsZero() {
		t.Errorf(`ParseDateText("") = %v, want the zero Date`, d)
	}
	if _, err := sqlrow.ParseDateText("2025-4-24", "serviceStartDate"); domain.ErrorCode(err) != domain.CodeInternal {
		t.Errorf("ParseDateText(2025-4-24) = %v, want %q", err, domain.CodeInternal)
	}
}

func TestJSON(t *testing.T) {
	b, err := sqlrow.EncodeJSON([]string{"R12", "R10"})
	if err != nil || string(b) != `["R12","R10"]` {
		t.Fatalf("EncodeJSON = %s, %v", b, err)
	}
	var back []string
	if err := sqlrow.DecodeJSON(b, &back); err != nil || len(back) != 2 || back[1] != "R10" {
		t.Errorf("DecodeJSON = %v, %v", back, err)
	}
	if _, err := sqlrow.EncodeJSON(func() {}); domain.ErrorCode(err) != domain.CodeInternal {
		t.Errorf("EncodeJSON(a func) = %v, want %q", err, domain.CodeInternal)
	}
	if err := sqlrow.DecodeJSON([]byte(`{`), &back); domain.ErrorCode(err) != domain.CodeInternal {
		t.Errorf("DecodeJSON({) = %v, want %q", err, domain.CodeInternal)
	}
}
