package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// auditByAccount: an account's events read newest first, a page at a time,
// with the account's total; events of another account, and events filed
// under no account, never show; an account without events has an empty
// page and a total of 0.
func auditByAccount(t *testing.T, s ports.Store) {
	ctx := t.Context()
	put := func(tx ports.Tx, e domain.AuditEvent) error { return tx.Audit().Append(ctx, e) }
	var mine []domain.AuditEvent
	for i := range 5 {
		at := stamp().Add(time.Duration(i) * time.Minute)
		e := event("user:"+strconv.Itoa(i), "AddUser", at)
		e.ID, e.AccountID = e.ID+"/"+strconv.Itoa(i), 7
		other := event("user:"+strconv.Itoa(100+i), "AddUser", at)
		other.AccountID = 8
		none := event("order:"+strconv.Itoa(13331+i), "CreateOrder", at)
		putAll(t, s, put, e, other, none)
		mine = append(mine, e)
	}
	type page struct {
		Events []domain.AuditEvent
		Total  int
	}
	byAccount := func(account int64, skip, limit int) page {
		t.Helper()
		return read(t, s, func(tx ports.Tx) (page, error) {
			es, n, err := tx.Audit().ByAccount(ctx, account, skip, limit)
			return page{es, n}, err
		})
	}
	same(t, "ByAccount(7, 0, 2)", page{[]domain.AuditEvent{mine[4], mine[3]}, 5}, byAccount(7, 0, 2))
	same(t, "ByAccount(7, 2, 2)", page{[]domain.AuditEvent{mine[2], mine[1]}, 5}, byAccount(7, 2, 2))
	same(t, "ByAccount(7, 4, 2)", page{[]domain.AuditEvent{mine[0]}, 5}, byAccount(7, 4, 2))
	same(t, "ByAccount(7, 5, 2)", page{[]domain.AuditEvent{}, 5}, byAccount(7, 5, 2))
	same(t, "ByAccount(7, 0, 0) (no limit)", page{[]domain.AuditEvent{mine[4], mine[3], mine[2], mine[1], mine[0]}, 5}, byAccount(7, 0, 0))
	for _, e := range byAccount(8, 0, 0).Events {
		if e.AccountID != 8 {
			t.Errorf("ByAccount(8) shows %+v, an event of account %d", e, e.AccountID)
		}
	}
	if got := byAccount(8, 0, 0); got.Total != 5 || len(got.Events) != 5 {
		t.Errorf("ByAccount(8): %d events, total %d; want 5 and 5", len(got.Events), got.Total)
	}
	same(t, "ByAccount(9, 0, 10) (an account without events)", page{[]domain.AuditEvent{}, 0}, byAccount(9, 0, 10))
	// List still sees every event, whatever its account.
	if all := read(t, s, func(tx ports.Tx) ([]domain.AuditEvent, error) { return tx.Audit().List(ctx, "") }); len(all) != 15 {
		t.Errorf(`List("") has %d events, want 15`, len(all))
	}
}
