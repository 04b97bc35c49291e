package domain_test

import (
	"strings"
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

func TestDecisionRecordInputs(t *testing.T) {
	rec := domain.DecisionRecord{ID: "d1", Context: "seats"}
	if err := rec.SetInputs(map[string]int{"items": 2}, struct {
		Decision string `json:"decision"`
	}{"items"}); err != nil {
		t.Fatal(err)
	}
	if string(rec.Request) != `{"items":2}` || string(rec.State) != `{"decision":"items"}` {
		t.Fatalf("request %s, state %s", rec.Request, rec.State)
	}
	var state struct{ Decision string }
	if err := rec.DecodeState("seats", &state); err != nil || state.Decision != "items" {
		t.Fatalf("DecodeState: %+v, %v", state, err)
	}
	if err := rec.SetInputs(func() {}, nil); domain.ErrorCode(err) != domain.CodeInternal || err.Error() != "seats: the request cannot be logged: json: unsupported type: func()" {
		t.Errorf("a request JSON cannot hold: %v", err)
	}
	for _, c := range []struct {
		context, state, want string
	}{
		{"accounts", `{}`, "decision d1 is of seats, not accounts"},
		{"seats", `{"decision": 1}`, "decision d1: the logged state does not decode"},
	} {
		r := domain.DecisionRecord{ID: "d1", Context: "seats", State: []byte(c.state)}
		err := r.DecodeState(c.context, &state)
		if domain.ErrorCode(err) != domain.CodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeState(%s, %s) = %v, want CodeInvalid %q", c.context, c.state, err, c.want)
		}
	}
}

func TestDecisionOutcomeAddPart(t *testing.T) {
	var o domain.DecisionOutcome
	o.AddPart("items[1]", &domain.Decision{Violations: []domain.Violation{{Field: "productId", Code: "NO_FREE_SEAT"}}})
	o.AddPart("items[0]", &domain.Decision{Allowed: true})
	if len(o.Violations) != 1 || o.Violations[0].Field != "items[1].productId" ||
		o.Derived["items[1].allowed"] != "false" || o.Derived["items[0].allowed"] != "true" {
		t.Errorf("outcome %+v", o)
	}
}
