package accounts_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// TestDecisionLogRecordsAccountDecisions: an accepted client plan change
// and a refused one (a plan of another app) are each logged; the refusal
// changed nothing else; each record re-decided under the same set comes
// out as logged; another partner's filter reads none of them.
func TestDecisionLogRecordsAccountDecisions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	gps := partner("gps-partner")
	if _, err := w.svc.SetClientPlan(ctx, gps, 11111, "52ffXXXXXXXXXXXXdc89", forguard); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetClientPlan(ctx, gps, 11111, "ruhavik-plan", forguard); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("a plan of another app: %v", err)
	}
	list := func(f domain.DecisionFilter) []domain.DecisionRecord {
		var recs []domain.DecisionRecord
		if err := w.store.View(ctx, func(tx ports.Tx) (err error) {
			recs, _, err = tx.Decisions().List(ctx, f)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return recs
	}
	recs := list(domain.DecisionFilter{Context: accounts.Context, Partner: "gps-partner"})
	if len(recs) != 2 {
		t.Fatalf("logged %d decisions, want 2", len(recs))
	}
	if !recs[0].Outcome.Allowed || recs[1].Outcome.Allowed || !cmp.Equal(recs[1].Outcome.Codes(), []string{"PLAN_OF_ANOTHER_APP"}) {
		t.Errorf("outcomes %+v, %+v", recs[0].Outcome, recs[1].Outcome)
	}
	for _, r := range recs {
		_, o, err := accounts.Redecide(w.svc.Rules(), &r)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r.Outcome, o); diff != "" {
			t.Errorf("%s re-decided (-logged +again):\n%s", r.Command, diff)
		}
	}
	if a, _ := w.svc.Account(ctx, gps, 11111); a.Plans[forguard] != "52ffXXXXXXXXXXXXdc89" {
		t.Errorf("the refusal changed tariff_plans: %v", a.Plans)
	}
	if others := list(domain.DecisionFilter{Partner: "billing-client"}); len(others) != 0 {
		t.Errorf("another partner reads %d of gps-partner's decisions", len(others))
	}
}
