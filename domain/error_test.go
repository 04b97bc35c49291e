package domain_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
)

func TestErrorString(t *testing.T) {
	v1 := domain.Violation{RuleID: "order.max-lines", Code: "TOO_MANY_LINES", Field: "lines", Message: "at most 20 lines"}
	v2 := domain.Violation{Code: "REQUIRED", Field: "lines[2].serviceStartDate", Message: "serviceStartDate is required"}
	tests := []struct {
		name string
		err  *domain.Error
		want string
	}{
		{"message only", &domain.Error{Code: domain.CodeInvalid, Message: "bad date"}, "bad date"},
		{"field and message", &domain.Error{Code: domain.CodeInvalid, Field: "lines[2].serviceStartDate", Message: "bad date"}, "lines[2].serviceStartDate: bad date"},
		{"violations", &domain.Error{Code: domain.CodeInvalid, Message: "the order was refused", Violations: []domain.Violation{v1, v2}},
			"the order was refused: lines: at most 20 lines (TOO_MANY_LINES); lines[2].serviceStartDate: serviceStartDate is required (REQUIRED)"},
		{"violations without a message", &domain.Error{Code: domain.CodeInvalid, Violations: []domain.Violation{v1, v2}},
			"lines: at most 20 lines (TOO_MANY_LINES); lines[2].serviceStartDate: serviceStartDate is required (REQUIRED)"},
		{"cause", &domain.Error{Code: domain.CodeInternal, Message: "loading the order", Err: io.ErrUnexpectedEOF}, "loading the order: unexpected EOF"},
		{"everything", &domain.Error{Code: domain.CodeInvalid, Field: "order", Message: "refused", Violations: []domain.Violation{v2}, Err: io.EOF},
			"order: refused: lines[2].serviceStartDate: serviceStartDate is required (REQUIRED): EOF"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestViolationString(t *testing.T) {
	tests := []struct {
		v    domain.Violation
		want string
	}{
		{domain.Violation{Code: "X", Field: "f", Message: "m"}, "f: m (X)"},
		{domain.Violation{Message: "m"}, "m"},
		{domain.Violation{Field: "f", Message: "m"}, "f: m"},
		{domain.Violation{Code: "X", Message: "m"}, "m (X)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestErrorfAndWrap(t *testing.T) {
	e := domain.Errorf(domain.CodeNotFound, "serialNumber", "serial %q not found", "TESTApi01")
	if e.Code != domain.CodeNotFound || e.Field != "serialNumber" || e.Message != `serial "TESTApi01" not found` || e.Err != nil {
		t.Errorf("Errorf = %+v", e)
	}

	cause := fmt.Errorf("dial: %w", io.ErrClosedPipe)
	w := domain.Wrap(cause, domain.CodeUnavailable, "store %s", "sqlite")
	if w.Code != domain.CodeUnavailable || w.Message != "store sqlite" || w.Unwrap() != cause {
		t.Errorf("Wrap = %+v", w)
	}
	if !errors.Is(w, io.ErrClosedPipe) {
		t.Error("errors.Is does not reach the cause through Unwrap")
	}
	if got := w.Error(); got != "store sqlite: dial: io: read/write on closed pipe" {
		t.Errorf("Wrap(...).Error() = %q", got)
	}

	// errors.As finds the *Error under another wrapper.
	outer := fmt.Errorf("creating order: %w", w)
	var de *domain.Error
	if !errors.As(outer, &de) || de != w {
		t.Errorf("errors.As(outer) = %v, want the wrapped *Error", de)
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want domain.Code
	}{
		{"nil", nil, ""},
		{"plain error", errors.New("boom"), domain.CodeInternal},
		{"io.EOF", io.EOF, domain.CodeInternal},
		{"*Error", domain.Errorf(domain.CodeForbidden, "", "no"), domain.CodeForbidden},
		{"wrapped *Error", fmt.Errorf("ctx: %w", domain.Errorf(domain.CodeConflict, "", "dup")), domain.CodeConflict},
		{"*Error wrapping *Error", domain.Wrap(domain.Errorf(domain.CodeNotFound, "", "x"), domain.CodeUnavailable, "y"), domain.CodeUnavailable},
		{"Problems", problemsErr(), domain.CodeInvalid},
	}
	for _, tt := range tests {
		if got := domain.ErrorCode(tt.err); got != tt.want {
			t.Errorf("%s: ErrorCode = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func problemsErr() error {
	var p domain.Problems
	p.Add("REQUIRED", "partNumber", "partNumber is required")
	return p.Err()
}

func TestWithField(t *testing.T) {
	tests := []struct {
		field, with, want string
	}{
		{"serviceStartDate", "lines[2]", "lines[2].serviceStartDate"},
		{"", "lines[2]", "lines[2]"},
		{"[2]", "lines", "lines[2]"},
		{"serviceStartDate", "", "serviceStartDate"},
		{"lines[2].serviceStartDate", "order", "order.lines[2].serviceStartDate"},
	}
	for _, tt := range tests {
		e := &domain.Error{Code: domain.CodeInvalid, Field: tt.field, Message: "m"}
		got := e.WithField(tt.with)
		if got.Field != tt.want {
			t.Errorf("{Field: %q}.WithField(%q).Field = %q, want %q", tt.field, tt.with, got.Field, tt.want)
		}
		if e.Field != tt.field {
			t.Errorf("WithField changed the original's field to %q", e.Field)
		}
		if got.Code != e.Code || got.Message != e.Message {
			t.Errorf("WithField lost the code or message: %+v", got)
		}
	}
}

func TestJoinField(t *testing.T) {
	tests := []struct {
		parent, child, want string
	}{
		{"lines[2]", "serviceStartDate", "lines[2].serviceStartDate"},
		{"lines", "[2]", "lines[2]"},
		{"", "serviceStartDate", "serviceStartDate"},
		{"lines[2]", "", "lines[2]"},
		{"", "", ""},
		{"order", "lines[2].partNumber", "order.lines[2].partNumber"},
	}
	for _, tt := range tests {
		if got := domain.JoinField(tt.parent, tt.child); got != tt.want {
			t.Errorf("JoinField(%q, %q) = %q, want %q", tt.parent, tt.child, got, tt.want)
		}
	}
}

func TestProblems(t *testing.T) {
	var p domain.Problems
	if p.Len() != 0 || p.Err() != nil {
		t.Fatalf("empty Problems: Len %d, Err %v; want 0, nil", p.Len(), p.Err())
	}
	p.Add("REQUIRED", "lines[0].partNumber", "partNumber is required")
	p.Add("INVALID_DATE", "lines[1].serviceStartDate", "%q is not a date", "2025-4-24")
	p.Add("TOO_LATE", "lines[1].serviceStartDate", "at most %d days ahead", 3)
	if p.Len() != 3 {
		t.Errorf("Len() = %d, want 3", p.Len())
	}
	err := p.Err()
	wantCode(t, err, domain.CodeInvalid)
	var de *domain.Error
	errors.As(err, &de)
	want := []domain.Violation{
		{Code: "REQUIRED", Field: "lines[0].partNumber", Message: "partNumber is required"},
		{Code: "INVALID_DATE", Field: "lines[1].serviceStartDate", Message: `"2025-4-24" is not a date`},
		{Code: "TOO_LATE", Field: "lines[1].serviceStartDate", Message: "at most 3 days ahead"},
	}
	if diff := cmp.Diff(want, de.Violations); diff != "" {
		t.Errorf("Violations mismatch (-want +got):\n%s", diff)
	}
	const wantMsg = `the request is invalid: lines[0].partNumber: partNumber is required (REQUIRED); lines[1].serviceStartDate: "2025-4-24" is not a date (INVALID_DATE); lines[1].serviceStartDate: at most 3 days ahead (TOO_LATE)`
	if err.Error() != wantMsg {
		t.Errorf("Err().Error() =\n %q\nwant\n %q", err.Error(), wantMsg)
	}
}
