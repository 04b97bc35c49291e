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
	// Scope 0 (the order) has phase 0 and 3 rules; scope 1 (a line) has a
	// rule in phase 1 and one in phase 0 that comes later in the files.
	tr := domain.Trace{
		Rules: []domain.TraceRule{
			{ID: "order.max-lines", Scope: 0, Phase: 0},
			{ID: "line.renewal-start", Scope: 1, Phase: 1},
			{ID: "line.trial-once", Scope: 1, Phase: 0},
			{ID: "order.hold", Scope: 0, Phase: 3},
		},
		Passes: []domain.TracePass{
			{Scope: 0, Item: -1, From: 0, To: 2},
			{Scope: 1, Item: 0, From: 0, To: 3},
			{Scope: 1, Item: 1, From: 0, To: 3},
			{Scope: 0, Item: -1, From: 3, To: 3},
		},
		Fired: []uint64{0, 1 << 1, 1 << 2, 0},
	}
	if diff := cmp.Diff([]string{"line.renewal-start[0]", "line.trial-once[1]"}, tr.FiredRules()); diff != "" {
		t.Errorf("FiredRules() mismatch (-want +got):\n%s", diff)
	}
	ranTests := []struct {
		id         string
		ran, fired bool
	}{
		{"order.max-lines", true, false},
		{"line.renewal-start", true, true},
		{"line.trial-once", true, true},
		{"order.hold", true, false},
		{"line.bundle-once", false, false},
	}
	for _, tt := range ranTests {
		ran, fired := tr.Ran(tt.id)
		if ran != tt.ran || fired != tt.fired {
			t.Errorf("Ran(%q) = %v, %v, want %v, %v", tt.id, ran, fired, tt.ran, tt.fired)
		}
	}
	// Phase before file order within a pass: trial-once (phase 0) runs
	// before renewal-start (phase 1).
	const want = "- order.max-lines\n- line.trial-once[0]\n+ line.renewal-start[0]\n+ line.trial-once[1]\n- line.renewal-start[1]\n- order.hold\n"
	if got := tr.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	// A pass that skipped no phase never ran a rule of another scope.
	if tr2 := (domain.Trace{Rules: tr.Rules, Passes: tr.Passes[:1], Fired: []uint64{0}}); func() bool { r, _ := tr2.Ran("line.trial-once"); return r }() {
		t.Error("a line rule ran in an order pass")
	}

	var empty domain.Trace
	if empty.String() != "" || empty.FiredRules() != nil || len(empty.Steps()) != 0 {
		t.Errorf("empty trace: String %q, FiredRules %v", empty.String(), empty.FiredRules())
	}
}
