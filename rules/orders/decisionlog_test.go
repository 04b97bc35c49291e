package orders_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/orders"
)

// TestDecisionLogRecordsEveryOrderDecision: an accepted and a refused order
// each leave one record, with the principal, hash, outcome, request and
// snapshot; the refused one writes nothing else; each record re-decided
// under the same set comes out as logged.
func TestDecisionLogRecordsEveryOrderDecision(t *testing.T) {
	ctx := context.Background()
	eng, _ := seedEngine(t, tapNow)
	ok := mustCreate(t, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	late := rtxLine(1, "1234567899", "132001-10")
	late.ServiceStartDate = tapDate("2025-05-30")
	_, err := eng.CreateOrder(ctx, as(tapClient), tapOrder(late))
	wantError(t, err, domain.CodeInvalid)

	var recs []domain.DecisionRecord
	view(t, eng, func(ctx context.Context, tx ports.Tx) (err error) {
		recs, _, err = tx.Decisions().List(ctx, domain.DecisionFilter{})
		return err
	})
	if len(recs) != 2 {
		t.Fatalf("the log holds %d records, want 2", len(recs))
	}
	acc, ref := recs[0], recs[1]
	hash := eng.Rules().Hash()
	for _, r := range recs {
		if r.Context != orders.Context || r.Command != orders.CommandCreateOrder || r.Partner != tapClient || r.RulesetHash != hash || !r.At.Equal(tapNow) {
			t.Errorf("record %s = {%s %s %s %s %v}, want {orders CreateOrder %s %s %v}", r.ID, r.Context, r.Command, r.Partner, r.RulesetHash, r.At, tapClient, hash, tapNow)
		}
	}
	if !acc.Outcome.Allowed || acc.Outcome.Derived["lines[0].serviceEndDate"] != "2026-04-24" {
		t.Errorf("accepted order's outcome = %+v, want allowed, ending 2026-04-24", acc.Outcome)
	}
	if ref.Outcome.Allowed || !cmp.Equal(ref.Outcome.Codes(), []string{"START_DATE_TOO_LATE"}) {
		t.Errorf("refused order's outcome = %+v, want START_DATE_TOO_LATE", ref.Outcome)
	}
	if ok.Decision.Allowed != acc.Outcome.Allowed {
		t.Errorf("the receipt's decision and the record differ")
	}
	if tl := subscriptionsOf(t, eng, "1234567899"); len(tl) != 0 {
		t.Errorf("the refused order wrote %d subscriptions", len(tl))
	}
	for _, r := range recs {
		d, err := orders.Redecide(eng.Rules(), &r)
		if err != nil {
			t.Fatalf("Redecide(%s): %v", r.ID, err)
		}
		if diff := cmp.Diff(r.Outcome, domain.OutcomeOf(&d)); diff != "" {
			t.Errorf("record %s re-decided under its own set (-logged +again):\n%s", r.ID, diff)
		}
	}
}

// BenchmarkDecisionRecord is what logging costs an order beside deciding
// it: encoding the request, the snapshot and the outcome of a one-line
// renewal (BenchmarkDecideOrder is the decision itself).
func BenchmarkDecisionRecord(b *testing.B) {
	eng, _ := seedEngine(b, tapNow)
	mustCreate(b, eng, tapClient, tapOrder(rtxLine(1, "1234567890", "132001-10")))
	req := tapOrder(rtxLine(1, "1234567890", "132001-10"))
	var snap *orders.Snapshot
	view(b, eng, func(ctx context.Context, tx ports.Tx) (err error) {
		snap, err = orders.LoadSnapshot(ctx, tx, as(tapClient), &req, tapNow)
		return err
	})
	d := orders.Decide(eng.Rules(), snap, &req)
	size := 0
	b.ReportAllocs()
	for b.Loop() {
		rec, err := orders.DecisionRecord("id", tapNow, as(tapClient), &req, snap, &d)
		if err != nil {
			b.Fatal(err)
		}
		size = len(rec.Request) + len(rec.State)
	}
	b.ReportMetric(float64(size), "bytes/record")
}
