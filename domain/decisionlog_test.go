package domain_test

import (
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

func TestDecisionIDSortsByTime(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 100 {
		id := domain.DecisionID(t0.Add(time.Duration(i)*time.Microsecond), [8]byte{byte(255 - i), 1, 2, 3, 4, 5, 6, 7})
		if len(id) != 32 || id <= prev {
			t.Fatalf("id %d = %q after %q: want 32 hex digits, growing with the instant", i, id, prev)
		}
		prev = id
	}
	a := domain.DecisionID(t0, [8]byte{1})
	b := domain.DecisionID(t0, [8]byte{2})
	if a == b {
		t.Error("two decisions of one instant got one id")
	}
}

func TestDecisionFilterMatches(t *testing.T) {
	r := domain.DecisionRecord{At: time.Unix(100, 0), Partner: "p", Account: "a", Context: "orders",
		Outcome: domain.DecisionOutcome{Violations: []domain.Violation{{RuleID: "r1", Code: "C1"}}, Hold: &domain.Hold{RuleID: "h1"}}}
	for _, tc := range []struct {
		f    domain.DecisionFilter
		want bool
	}{
		{domain.DecisionFilter{}, true},
		{domain.DecisionFilter{From: time.Unix(100, 0)}, true},
		{domain.DecisionFilter{To: time.Unix(100, 0)}, false},
		{domain.DecisionFilter{Code: "C1", Rule: "h1", Partner: "p", Account: "a", Context: "orders"}, true},
		{domain.DecisionFilter{Code: "C"}, false},
		{domain.DecisionFilter{Rule: "r"}, false},
		{domain.DecisionFilter{Partner: "q"}, false},
	} {
		if got := tc.f.Matches(&r); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
}
