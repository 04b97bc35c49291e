package orders_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/orders"
)

// explainOrder explains req by tap-client against the engine's store.
func explainOrder(t *testing.T, eng *orders.Service, req domain.OrderRequest) (domain.Decision, domain.Decision, []rules.ExplainStep) {
	t.Helper()
	var snap *orders.Snapshot
	view(t, eng, func(ctx context.Context, tx ports.Tx) (err error) {
		snap, err = orders.LoadSnapshot(ctx, tx, as(tapClient), &req, tapNow)
		return err
	})
	plain := orders.Decide(eng.Rules(), snap, &req)
	d, steps := orders.Explain(eng.Rules(), snap, &req)
	return plain, d, steps
}

// checkSameAsTrace: the explanation lists exactly the evaluations of the
// decision's own trace, in order, fired as the trace says, and its decision
// is Decide's.
func checkSameAsTrace(t *testing.T, plain, d domain.Decision, steps []rules.ExplainStep) {
	t.Helper()
	if diff := cmp.Diff(domain.OutcomeOf(&plain), domain.OutcomeOf(&d)); diff != "" {
		t.Errorf("the explained decision differs from Decide's (-decide +explain):\n%s", diff)
	}
	if plain.Trace.String() != d.Trace.String() {
		t.Errorf("the explained decision's trace differs:\n%s\nwant\n%s", d.Trace, plain.Trace)
	}
	var want, got []string
	for _, s := range plain.Trace.Steps() {
		mark := "-"
		if s.Fired {
			mark = "+"
		}
		want = append(want, mark+plain.Trace.Rules[s.Rule].ID)
	}
	for _, s := range steps {
		mark := "-"
		if s.Fired {
			mark = "+"
		}
		got = append(got, mark+s.Rule)
		if s.File == "" || s.Line == 0 {
			t.Errorf("step %s has no position", s.Rule)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the steps are not the trace's (-trace +explain):\n%s", diff)
	}
}

func stepOf(steps []rules.ExplainStep, id string, item int) *rules.ExplainStep {
	for i := range steps {
		if steps[i].Rule == id && steps[i].Item == item {
			return &steps[i]
		}
	}
	return nil
}

func TestExplainRefusedOrder(t *testing.T) {
	eng, _ := seedEngine(t, tapNow)
	late := rtxLine(1, "1234567899", "132001-10")
	late.ServiceStartDate = tapDate("2025-05-30")
	plain, d, steps := explainOrder(t, eng, tapOrder(late))
	checkSameAsTrace(t, plain, d, steps)
	if d.Allowed {
		t.Fatal("the late order was allowed")
	}
	s := stepOf(steps, "line.start-window", 0)
	if s == nil || !s.Fired || s.Violation == nil || s.Violation.Code != "START_DATE_TOO_LATE" {
		t.Fatalf("line.start-window[0] = %+v, want fired with START_DATE_TOO_LATE", s)
	}
	if got := s.Reads["line.requestedStartDate"]; got != tapDate("2025-05-30") {
		t.Errorf("line.start-window read line.requestedStartDate = %v, want 2025-05-30 (reads %v)", got, s.Reads)
	}
	if got := s.Reads["today"]; got != tapDate("2025-04-24") {
		t.Errorf("line.start-window read today = %v, want 2025-04-24", got)
	}
	if s.Violation.Field != "lines[0].serviceStartDate" {
		t.Errorf("violation field %q", s.Violation.Field)
	}
	if s := stepOf(steps, "order.max-lines", -1); s == nil || s.Fired || s.Reads["order.lineCount"] != 1 {
		t.Errorf("order.max-lines = %+v, want not fired, having read order.lineCount 1", s)
	}
}

func TestExplainAcceptedOrder(t *testing.T) {
	eng, _ := seedEngine(t, tapNow)
	// The serial already has a subscription of the line: the renewal rule
	// moves the start.
	mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	plain, d, steps := explainOrder(t, eng, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	checkSameAsTrace(t, plain, d, steps)
	if !d.Allowed {
		t.Fatalf("refused: %v", d.Violations)
	}
	derived := 0
	for _, s := range steps {
		if s.Violation != nil {
			t.Errorf("an accepted order's step %s has a violation %v", s.Rule, s.Violation)
		}
		if s.Fired && len(s.Derived) > 0 {
			derived++
			for f, v := range s.Derived {
				if f == "serviceStartDate" && v != d.Lines[0].ServiceStartDate {
					t.Errorf("%s derived serviceStartDate %v, the decision has %v", s.Rule, v, d.Lines[0].ServiceStartDate)
				}
			}
		}
	}
	if derived == 0 {
		t.Error("no step derived a value")
	}
	if d.Lines[0].ServiceStartDate != tapDate("2026-04-25") {
		t.Errorf("the renewal starts %v, want 2026-04-25", d.Lines[0].ServiceStartDate)
	}
}
