package domain_test

import (
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/domain"
)

func TestCheckInput(t *testing.T) {
	date := func(s string) domain.Date {
		d, err := domain.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ok := domain.OrderRequest{CustomerPONumber: "PO300424", BillToSiteUseID: 531807,
		Lines: []domain.LineRequest{{LineNumber: 1, SerialNumber: "TESTApi01", ServiceStartDate: date("2025-04-24")}}}
	if err := ok.CheckInput(); err != nil {
		t.Fatalf("a plain request: %v", err)
	}
	for _, tc := range []struct {
		name  string
		mut   func(r *domain.OrderRequest)
		field string
		code  string
	}{
		{"a NUL byte in the PO", func(r *domain.OrderRequest) { r.CustomerPONumber = "PO\x00" }, "customerPONumber", "INVALID_TEXT"},
		{"a newline in a serial", func(r *domain.OrderRequest) { r.Lines[0].SerialNumber = "A\nB" }, "lines[0].serialNumber", "INVALID_TEXT"},
		{"invalid UTF-8 in a part", func(r *domain.OrderRequest) { r.Lines[0].PartNumber = "\xff" }, "lines[0].partNumber", "INVALID_TEXT"},
		{"a C1 control character", func(r *domain.OrderRequest) { r.PromoCode = "a\u0085b" }, "promoCode", "INVALID_TEXT"},
		{"a 900 KB PO", func(r *domain.OrderRequest) { r.CustomerPONumber = strings.Repeat("x", 900<<10) }, "customerPONumber", "TOO_LONG"},
		{"256 characters", func(r *domain.OrderRequest) { r.CustomerOrderRef = strings.Repeat("é", 256) }, "customerOrderRef", "TOO_LONG"},
		{"a line number over 2^31-1", func(r *domain.OrderRequest) { r.Lines[0].LineNumber = 1 << 31 }, "lines[0].lineNumber", "OUT_OF_RANGE"},
		{"a site id over 2^53-1", func(r *domain.OrderRequest) { r.ShipToSiteUseID = 1 << 53 }, "shipToSiteUseId", "OUT_OF_RANGE"},
		{"a start in year 1", func(r *domain.OrderRequest) { r.Lines[0].ServiceStartDate = date("0001-01-01") }, "lines[0].serviceStartDate", "OUT_OF_RANGE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			r.Lines = append([]domain.LineRequest(nil), ok.Lines...)
			tc.mut(&r)
			err := r.CheckInput()
			var de *domain.Error
			if e, isDE := err.(*domain.Error); isDE {
				de = e
			}
			if de == nil || de.Code != domain.CodeInvalid || len(de.Violations) != 1 ||
				de.Violations[0].Field != tc.field || de.Violations[0].Code != tc.code {
				t.Errorf("CheckInput: %v, want one %s violation on %s", err, tc.code, tc.field)
			}
		})
	}
	// 255 characters (not bytes) is the limit.
	r := ok
	r.CustomerOrderRef = strings.Repeat("é", 255)
	if err := r.CheckInput(); err != nil {
		t.Errorf("255 characters: %v", err)
	}
}
