package seats_test

import (
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/seats"
)

// scheduleBlock records a block of w's company at `at`, as the accounts
// context's SetBlockedAt does.
func (w *world) scheduleBlock(tb testing.TB, at time.Time) {
	tb.Helper()
	err := w.store.Update(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, w.acct.ID)
		if err != nil {
			return err
		}
		if err := a.Reschedule(at, w.clock.Now()); err != nil {
			return err
		}
		return tx.Accounts().Put(ctx, a)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestBlockedAccountGetsNoSeats: what a block stops, decided at the clock's
// instant from the block records: from a scheduled block's instant on, the
// account's users get no seats and it gets no new users; releasing a seat
// and changing a user stay allowed; unblocking restores it. No job runs.
func TestBlockedAccountGetsNoSeats(t *testing.T) {
	w := newWorld(t, 3)
	w.addUsers(t, w.admin, "driver-1", "driver-2")
	if got := outcome(must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"driver-1"}))(t)); got[0] != "driver-1 ok" {
		t.Fatalf("assign before the block: %v", got)
	}
	at := day0.Add(time.Hour)
	w.scheduleBlock(t, at)

	// A second before the block: allowed.
	w.clock.t = at.Add(-time.Second)
	w.addUsers(t, w.admin, "driver-3")

	// At the instant: refused, nothing written.
	w.clock.t = at
	_, err := w.svc.Assign(ctx, w.admin, "CoPilot", []string{"driver-2"})
	wantErr(t, err, domain.CodeForbidden, "account", "is blocked; its users cannot be given seats")
	_, err = w.svc.AddUser(ctx, w.admin, seats.UserInput{ExternalID: "driver-4"})
	wantErr(t, err, domain.CodeForbidden, "account", "users cannot be added to it")
	pool := must(w.svc.Pool(ctx, w.admin, "CoPilot"))(t)
	if pool.Assigned != 1 {
		t.Errorf("a refused assign changed the pool: %+v", pool)
	}
	if _, err := w.svc.User(ctx, w.admin, "driver-4"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("a refused AddUser added driver-4: %v", err)
	}
	// Releasing and changing users go on.
	if got := outcome(must(w.svc.Release(ctx, w.admin, "CoPilot", []string{"driver-1"}))(t)); got[0] != "driver-1 ok" {
		t.Errorf("release while blocked: %v", got)
	}
	must(w.svc.UpdateUser(ctx, w.admin, "driver-2", seats.UserInput{Email: "d2@example.com"}))(t)

	// Unblocked: assignments again.
	err = w.store.Update(ctx, func(tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, w.acct.ID)
		if err != nil {
			return err
		}
		a.Unblock(w.clock.Now())
		return tx.Accounts().Put(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := outcome(must(w.svc.Assign(ctx, w.admin, "CoPilot", []string{"driver-2"}))(t)); got[0] != "driver-2 ok" {
		t.Errorf("assign after unblocking: %v", got)
	}
}
