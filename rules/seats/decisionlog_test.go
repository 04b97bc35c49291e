package seats_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/seats"
)

// TestDecisionLogRecordsSeatDecisions: an assign call (one item without a
// free seat), a call for an unknown product (refused before any write) and
// SetSeats are each logged with the facts the rules saw; each record
// re-decided under the same set comes out as logged.
func TestDecisionLogRecordsSeatDecisions(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 1)
	w.addUsers(t, w.admin, "driver-1", "driver-2")
	if _, err := w.svc.Assign(ctx, w.admin, "CoPilot", []string{"driver-1", "driver-2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Assign(ctx, w.admin, "Navigator", []string{"driver-1"}); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("an unknown product: %v", err)
	}
	var recs []domain.DecisionRecord
	err := w.store.View(ctx, func(tx ports.Tx) (err error) {
		recs, _, err = tx.Decisions().List(ctx, domain.DecisionFilter{Context: seats.Context, PageSize: 100})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, r := range recs {
		commands = append(commands, r.Command)
		d, o, err := seats.Redecide(w.svc.Rules(), &r)
		if err != nil {
			t.Fatalf("Redecide(%s %s): %v", r.Command, r.State, err)
		}
		if diff := cmp.Diff(r.Outcome, o); diff != "" {
			t.Errorf("%s re-decided (-logged +again):\n%s", r.Command, diff)
		}
		if d.RulesetHash != r.RulesetHash || r.RulesetHash != w.svc.Rules().Hash() {
			t.Errorf("%s: hash %q, decided again by %q", r.Command, r.RulesetHash, d.RulesetHash)
		}
	}
	// SetSeats by the world, two AddUser, the assign, the refused call.
	if want := []string{"SetSeats", "AddUser", "AddUser", "Assign", "Call"}; !cmp.Equal(commands, want) {
		t.Fatalf("logged %v, want %v", commands, want)
	}
	assign := recs[3]
	if assign.Outcome.Derived["items[0].allowed"] != "true" || assign.Outcome.Derived["items[1].allowed"] != "false" ||
		!cmp.Equal(assign.Outcome.Codes(), []string{"NO_FREE_SEAT"}) || assign.Outcome.Violations[0].Field != "items[1].productId" {
		t.Errorf("the assign call's outcome = %+v", assign.Outcome)
	}
	if refused := recs[4]; refused.Outcome.Allowed || !cmp.Equal(refused.Outcome.Codes(), []string{"PRODUCT_NOT_FOUND"}) || refused.Account != w.admin.Account {
		t.Errorf("the refused call's record = %+v", refused)
	}
}
