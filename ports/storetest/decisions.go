package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunDecisions checks the decision log (ports.Decisions): a record reads
// back as appended, List filters by time, code, rule, partner and account
// and pages stably, Get and Purge, and a record appended in a transaction
// whose other writes are refused is committed only when the transaction is.
func RunDecisions(t *testing.T, open func(t *testing.T) ports.Store) {
	area{
		{"RoundTrip", testDecisionRoundTrip},
		{"Filters", testDecisionFilters},
		{"PagingStable", testDecisionPaging},
		{"PartnerIsolation", testDecisionPartnerIsolation},
		{"Purge", testDecisionPurge},
		{"RefusalCommitsAlone", testDecisionRefusalCommitsAlone},
		{"DuplicateID", testDecisionDuplicateID},
	}.run(t, open)
}

var decisionT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// decisionRecord returns the i-th record of a small log: partners p0 and p1
// alternate, every third is refused with TOO_MANY_LINES, every fifth is
// held by order.credit-hold.
func decisionRecord(i int) domain.DecisionRecord {
	r := domain.DecisionRecord{
		ID: fmt.Sprintf("d%03d", i), At: decisionT0.Add(time.Duration(i) * time.Minute),
		Context: "orders", Command: "CreateOrder", Partner: fmt.Sprintf("p%d", i%2), Actor: fmt.Sprintf("p%d", i%2),
		RulesetHash: "hash1",
		Outcome:     domain.DecisionOutcome{Allowed: true, Derived: map[string]string{"lines[0].serviceStartDate": "2026-03-01"}},
		Request:     []byte(fmt.Sprintf(`{"n":%d}`, i)),
		State:       []byte(`{"now":"2026-03-01T12:00:00Z"}`),
	}
	if i%3 == 0 {
		r.Outcome = domain.DecisionOutcome{Violations: []domain.Violation{
			{RuleID: "order.max-lines", Code: "TOO_MANY_LINES", Field: "lines", Message: "at most 20 lines"},
			{RuleID: "line.start-window", Code: "START_DATE_TOO_LATE", Field: "lines[0].serviceStartDate", Message: "too late"},
		}}
	}
	if i%5 == 0 {
		r.Account = "acct-" + r.Partner
		r.Outcome.Hold = &domain.Hold{RuleID: "order.credit-hold", Reason: "credit hold"}
	}
	return r
}

func appendDecisions(t *testing.T, s ports.Store, recs ...domain.DecisionRecord) {
	t.Helper()
	update(t, s, func(tx ports.Tx) error {
		for _, r := range recs {
			if err := tx.Decisions().Append(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
}

func listDecisions(t *testing.T, s ports.Store, f domain.DecisionFilter) ([]domain.DecisionRecord, string) {
	t.Helper()
	var (
		out  []domain.DecisionRecord
		next string
	)
	err := s.View(t.Context(), func(tx ports.Tx) (err error) {
		out, next, err = tx.Decisions().List(t.Context(), f)
		return err
	})
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return out, next
}

// listAll follows the pages of f to the end.
func listAll(t *testing.T, s ports.Store, f domain.DecisionFilter) []domain.DecisionRecord {
	t.Helper()
	var all []domain.DecisionRecord
	for range 1000 {
		page, next := listDecisions(t, s, f)
		all = append(all, page...)
		if next == "" {
			return all
		}
		f.PageToken = next
	}
	t.Fatal("List never ends")
	return nil
}

func decisionIDs(rs []domain.DecisionRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func testDecisionRoundTrip(t *testing.T, s ports.Store) {
	want := []domain.DecisionRecord{decisionRecord(0), decisionRecord(1), decisionRecord(5)}
	appendDecisions(t, s, want...)
	got := listAll(t, s, domain.DecisionFilter{})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-appended +read):\n%s", diff)
	}
	one := read(t, s, func(tx ports.Tx) (domain.DecisionRecord, error) { return tx.Decisions().Get(t.Context(), "d005") })
	if diff := cmp.Diff(want[2], one); diff != "" {
		t.Errorf("Get (-appended +read):\n%s", diff)
	}
	err := s.View(t.Context(), func(tx ports.Tx) error {
		_, err := tx.Decisions().Get(t.Context(), "nope")
		return err
	})
	if domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("Get of an unknown id: %v, want not_found", err)
	}
}

func testDecisionFilters(t *testing.T, s ports.Store) {
	var all []domain.DecisionRecord
	for i := range 30 {
		all = append(all, decisionRecord(i))
	}
	appendDecisions(t, s, all...)
	filters := []domain.DecisionFilter{
		{},
		{From: decisionT0.Add(10 * time.Minute)},
		{To: decisionT0.Add(10 * time.Minute)},
		{From: decisionT0.Add(5 * time.Minute), To: decisionT0.Add(17 * time.Minute)},
		{Code: "TOO_MANY_LINES"},
		{Code: "START_DATE_TOO_LATE", Partner: "p1"},
		{Code: "TOO_MANY"}, // a code is matched whole, never a prefix
		{Rule: "order.credit-hold"},
		{Rule: "line.start-window", From: decisionT0.Add(9 * time.Minute)},
		{Partner: "p0"},
		{Partner: "p1", Account: "acct-p1"},
		{Context: "seats"},
		{Code: "%"},
		{Rule: "_"},
	}
	for _, f := range filters {
		var want []string
		for i := range all {
			if f.Matches(&all[i]) {
				want = append(want, all[i].ID)
			}
		}
		for _, size := range []int{0, 4} {
			f.PageSize = size
			got := decisionIDs(listAll(t, s, f))
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("List(%+v) (-want +got):\n%s", f, diff)
			}
		}
	}
	if _, _, err := func() (a []domain.DecisionRecord, b string, err error) {
		err = s.View(t.Context(), func(tx ports.Tx) error {
			a, b, err = tx.Decisions().List(t.Context(), domain.DecisionFilter{PageToken: "not a token!"})
			return err
		})
		return
	}(); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("List with a malformed token: %v, want invalid", err)
	}
}

// testDecisionPaging reads a page, appends and purges records, and reads on:
// no record that stays is read twice or skipped, and the new ones follow.
func testDecisionPaging(t *testing.T, s ports.Store) {
	for i := range 10 {
		appendDecisions(t, s, decisionRecord(i))
	}
	f := domain.DecisionFilter{PageSize: 3}
	page, next := listDecisions(t, s, f)
	if got := decisionIDs(page); !cmp.Equal(got, []string{"d000", "d001", "d002"}) || next == "" {
		t.Fatalf("first page %v, next %q", got, next)
	}
	// d003 and d004 are purged (they are older than 5 minutes past T0),
	// and two new records come.
	update(t, s, func(tx ports.Tx) error {
		_, err := tx.Decisions().Purge(t.Context(), decisionT0.Add(5*time.Minute))
		return err
	})
	appendDecisions(t, s, decisionRecord(10), decisionRecord(11))
	f.PageToken = next
	rest := decisionIDs(listAll(t, s, f))
	want := []string{"d005", "d006", "d007", "d008", "d009", "d010", "d011"}
	if !cmp.Equal(rest, want) {
		t.Errorf("the pages after the first read %v, want %v", rest, want)
	}
	// A page that ends the log has no token, whatever its size.
	if page, next := listDecisions(t, s, domain.DecisionFilter{PageSize: 7, PageToken: f.PageToken}); len(page) != 7 || next != "" {
		t.Errorf("the last page, exactly full: %d records, token %q; want 7 and none", len(page), next)
	}
	if f.Size() != 3 || (domain.DecisionFilter{PageSize: 1 << 20}).Size() != domain.MaxDecisionPage {
		t.Errorf("page sizes are not bounded")
	}
}

// testDecisionPartnerIsolation: a partner's filter never yields another
// partner's record, on any page, whatever the other filters.
func testDecisionPartnerIsolation(t *testing.T, s ports.Store) {
	for i := range 40 {
		appendDecisions(t, s, decisionRecord(i))
	}
	for _, f := range []domain.DecisionFilter{
		{Partner: "p0", PageSize: 1}, {Partner: "p1", PageSize: 7}, {Partner: "p1", Code: "TOO_MANY_LINES", PageSize: 2},
		{Partner: "p0", Rule: "order.credit-hold"}, {Partner: "nobody"},
	} {
		got := listAll(t, s, f)
		for _, r := range got {
			if r.Partner != f.Partner {
				t.Errorf("List(%+v) gave %s of partner %q", f, r.ID, r.Partner)
			}
		}
		if f.Partner == "nobody" && len(got) != 0 {
			t.Errorf("an unknown partner read %d records", len(got))
		}
	}
}

func testDecisionPurge(t *testing.T, s ports.Store) {
	for i := range 10 {
		appendDecisions(t, s, decisionRecord(i))
	}
	n := 0
	update(t, s, func(tx ports.Tx) (err error) {
		n, err = tx.Decisions().Purge(t.Context(), decisionT0.Add(4*time.Minute))
		return err
	})
	if n != 4 {
		t.Errorf("Purge removed %d records, want 4 (d000-d003; d004 is made at the instant itself)", n)
	}
	got := decisionIDs(listAll(t, s, domain.DecisionFilter{}))
	if want := []string{"d004", "d005", "d006", "d007", "d008", "d009"}; !cmp.Equal(got, want) {
		t.Errorf("after Purge: %v, want %v", got, want)
	}
	err := s.View(t.Context(), func(tx ports.Tx) error {
		_, err := tx.Decisions().Get(t.Context(), "d001")
		return err
	})
	if domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("Get of a purged record: %v, want not_found", err)
	}
}

// testDecisionRefusalCommitsAlone: the pattern of a refused decision (its
// record appended, nothing else written, the transaction committed) keeps
// the record; a transaction that fails after appending keeps nothing.
func testDecisionRefusalCommitsAlone(t *testing.T, s ports.Store) {
	ctx := t.Context()
	refused := decisionRecord(3)
	appendDecisions(t, s, refused)
	failed := decisionRecord(4)
	boom := errors.New("the effects failed")
	err := s.Update(ctx, func(tx ports.Tx) error {
		if err := tx.Decisions().Append(ctx, failed); err != nil {
			return err
		}
		if err := tx.Audit().Append(ctx, domain.AuditEvent{ID: "a1", At: decisionT0, Command: "CreateOrder", Subject: "order:1", Allowed: true}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v, want the function's error", err)
	}
	got := decisionIDs(listAll(t, s, domain.DecisionFilter{}))
	if !cmp.Equal(got, []string{refused.ID}) {
		t.Errorf("the log holds %v, want only the committed refusal %s", got, refused.ID)
	}
	events := read(t, s, func(tx ports.Tx) ([]domain.AuditEvent, error) { return tx.Audit().List(ctx, "") })
	if len(events) != 0 {
		t.Errorf("a rolled-back transaction left %d audit events", len(events))
	}
}

func testDecisionDuplicateID(t *testing.T, s ports.Store) {
	appendDecisions(t, s, decisionRecord(1))
	err := s.Update(t.Context(), func(tx ports.Tx) error { return tx.Decisions().Append(context.Background(), decisionRecord(1)) })
	if domain.ErrorCode(err) != domain.CodeConflict {
		t.Errorf("a second record with one id: %v, want conflict", err)
	}
	err = s.Update(t.Context(), func(tx ports.Tx) error { return tx.Decisions().Append(t.Context(), domain.DecisionRecord{}) })
	if domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("a record without an id: %v, want invalid", err)
	}
}
