package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunRaces runs the invariants under concurrent transactions, racers at a
// time: one trial grant per serial and product line, one in-progress order
// per serial, and renewals that chain without overlapping. Each racer may
// succeed or fail with CodeConflict; the invariant must hold either way. See
// Run for open.
func RunRaces(t *testing.T, open func(t *testing.T) ports.Store) {
	area{
		{"Race/OneTrialGrant", raceTrial},
		{"Race/OneInProgressOrder", raceInProgressOrder},
		{"Race/ContiguousRenewals", raceRenewals},
	}.run(t, open)
}

// racers is how many goroutines race for one grant or one order.
const racers = 64

// spelling returns seed 001's serial in one of several cases, so racers also
// differ in how they write it.
func spelling(i int) string {
	return [...]string{"TESTApi01", "testapi01", "TESTAPI01", "TestAPI01"}[i%4]
}

// raceTrial has racers each check the trial ledger and record the trial when
// it finds none, as the engine does: exactly one may record it.
func raceTrial(t *testing.T, s ports.Store) {
	ctx := t.Context()
	var recorded atomic.Int32
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			var mine bool
			err := s.Update(ctx, func(tx ports.Tx) error {
				mine = false // a store may run fn again
				gs, err := tx.Trials().BySerial(ctx, spelling(i))
				if err != nil {
					return err
				}
				for _, g := range gs {
					if g.ProductLine == centerPoint {
						return nil
					}
				}
				mine = true
				return tx.Trials().Record(ctx, grant(spelling(i), centerPoint))
			})
			switch {
			case err == nil && mine:
				recorded.Add(1)
			case err != nil && domain.ErrorCode(err) != domain.CodeConflict:
				t.Errorf("racer %d: %v (code %q), want success or %q", i, err, domain.ErrorCode(err), domain.CodeConflict)
			}
		})
	}
	wg.Wait()
	if n := recorded.Load(); n != 1 {
		t.Errorf("%d racers recorded the trial, want 1", n)
	}
	gs := read(t, s, func(tx ports.Tx) ([]domain.TrialGrant, error) { return tx.Trials().BySerial(ctx, "TestAPI01") })
	if len(gs) != 1 {
		t.Errorf("the ledger holds %d grants, want 1: %+v", len(gs), gs)
	}
}

// raceInProgressOrder has racers each create an in-progress order for the
// same serial: exactly one may.
func raceInProgressOrder(t *testing.T, s ports.Store) {
	ctx := t.Context()
	os := make([]*domain.Order, racers)
	for i := range os {
		os[i] = order(t, "client-a", "PO-1", domain.OrderInProgress, spelling(i))
	}
	var created atomic.Int32
	var wg sync.WaitGroup
	for i, o := range os {
		wg.Go(func() {
			err := s.Update(ctx, func(tx ports.Tx) error { return tx.Orders().Create(ctx, o) })
			switch {
			case err == nil:
				created.Add(1)
			case domain.ErrorCode(err) != domain.CodeConflict:
				t.Errorf("racer %d: %v (code %q), want success or %q", i, err, domain.ErrorCode(err), domain.CodeConflict)
			}
		})
	}
	wg.Wait()
	if n := created.Load(); n != 1 {
		t.Errorf("%d racers created an in-progress order, want 1", n)
	}
	if found := findOrders(t, s, domain.OrderQuery{ClientID: "client-a", SerialKey: domain.SerialKey("TESTApi01")}); len(found) != 1 {
		t.Errorf("Find holds %d orders for the serial, want 1", len(found))
	}
	if !inProgress(t, s, "testapi01") {
		t.Error("InProgress(testapi01) is false after the race")
	}
}

// raceRenewals has racers each renew the same active subscription the way
// the engine does: read the timeline, find the end of the chain, and add a
// subscription starting the day after. Whatever each racer gets, success or
// a conflict, the timeline must stay contiguous and never overlap.
func raceRenewals(t *testing.T, s ports.Store) {
	ctx := t.Context()
	today := day(t, "2025-04-24")
	update(t, s, func(tx ports.Tx) error {
		return tx.Subscriptions().Put(ctx, subscription(t, "sub-0", "TESTApi01", centerPoint, "2024-06-01", "2025-06-01"))
	})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			err := s.Update(ctx, func(tx ports.Tx) error {
				tl, err := tx.Subscriptions().BySerial(ctx, spelling(i))
				if err != nil {
					return err
				}
				last := tl.ChainEnd(centerPoint, today)
				if last == nil {
					return fmt.Errorf("no active subscription to renew")
				}
				next := *last
				next.ID = fmt.Sprintf("sub-%d", i+1)
				next.Start, next.End = last.End.AddDays(1), last.End.AddYears(1).AddDays(1)
				return tx.Subscriptions().Put(ctx, next)
			})
			if err != nil && domain.ErrorCode(err) != domain.CodeConflict {
				t.Errorf("racer %d: %v (code %q), want success or %q", i, err, domain.ErrorCode(err), domain.CodeConflict)
			}
		})
	}
	wg.Wait()
	tl := read(t, s, func(tx ports.Tx) (domain.Timeline, error) { return tx.Subscriptions().BySerial(ctx, "TESTAPI01") })
	if a, b := tl.Overlapping(); a != nil {
		t.Fatalf("renewals overlap: %s %s and %s %s", a.ID, a.Period(), b.ID, b.Period())
	}
	for i := 1; i < len(tl); i++ {
		if want := tl[i-1].End.AddDays(1); tl[i].Start != want {
			t.Errorf("renewal %d starts %s, want %s, the day after the previous one ends", i, tl[i].Start, want)
		}
	}
	if len(tl) < 2 {
		t.Errorf("no renewal got through: the timeline has %d subscriptions", len(tl))
	}
}
