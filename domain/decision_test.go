package domain_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
)

func TestDecisionCodesAndErr(t *testing.T) {
	allowed := domain.Decision{Allowed: true, RulesetHash: "sha256:abc"}
	if err := allowed.Err(); err != nil {
		t.Errorf("allowed decision: Err() = %v, want nil", err)
	}
	if got := allowed.Codes(); len(got) != 0 {
		t.Errorf("allowed decision: Codes() = %v, want none", got)
	}

	refused := domain.Decision{Violations: []domain.Violation{
		{RuleID: "order.max-lines", Code: "TOO_MANY_LINES", Field: "lines", Message: "at most 20 lines"},
		{RuleID: "line.start-window", Code: "START_TOO_LATE", Field: "lines[2].serviceStartDate", Message: "at most 3 days ahead"},
	}}
	if diff := cmp.Diff([]string{"TOO_MANY_LINES", "START_TOO_LATE"}, refused.Codes()); diff != "" {
		t.Errorf("Codes() mismatch (-want +got):\n%s", diff)
	}
	err := refused.Err()
	wantCode(t, err, domain.CodeInvalid)
	var de *domain.Error
	errors.As(err, &de)
	if diff := cmp.Diff(refused.Violations, de.Violations); diff != "" {
		t.Errorf("Err() violations mismatch (-want +got):\n%s", diff)
	}
	const want = "the order was refused: lines: at most 20 lines (TOO_MANY_LINES); lines[2].serviceStartDate: at most 3 days ahead (START_TOO_LATE)"
	if err.Error() != want {
		t.Errorf("Err().Error() = %q, want %q", err.Error(), want)
	}

	// A refusal without violations is still an error.
	if err := (&domain.Decision{}).Err(); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("refused without violations: Err() = %v", err)
	}
}

func TestTrace(t *testing.T) {
	tr := domain.Trace{
		Rules: []string{"order.max-lines", "line.renewal-start", "line.trial-once"},
		Steps: []domain.TraceStep{
			{Rule: 0, Line: -1, Fired: false},
			{Rule: 1, Line: 0, Fired: true},
			{Rule: 1, Line: 1, Fired: false},
			{Rule: 2, Line: 1, Fired: true},
			{Rule: 7, Line: 2, Fired: true}, // an id outside Rules
		},
	}
	if diff := cmp.Diff([]string{"line.renewal-start[0]", "line.trial-once[1]", "?[2]"}, tr.Fired()); diff != "" {
		t.Errorf("Fired() mismatch (-want +got):\n%s", diff)
	}

	ranTests := []struct {
		id         string
		ran, fired bool
	}{
		{"order.max-lines", true, false},
		{"line.renewal-start", true, true},
		{"line.trial-once", true, true},
		{"line.bundle-once", false, false},
		{"?", false, false},
	}
	for _, tt := range ranTests {
		ran, fired := tr.Ran(tt.id)
		if ran != tt.ran || fired != tt.fired {
			t.Errorf("Ran(%q) = %v, %v, want %v, %v", tt.id, ran, fired, tt.ran, tt.fired)
		}
	}

	const want = "- order.max-lines\n+ line.renewal-start[0]\n- line.renewal-start[1]\n+ line.trial-once[1]\n+ ?[2]\n"
	if got := tr.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}

	var empty domain.Trace
	if empty.String() != "" || empty.Fired() != nil {
		t.Errorf("empty trace: String %q, Fired %v", empty.String(), empty.Fired())
	}
}
