package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunOutbox runs the contract of the activation outbox (Activations.Claim
// and RecordDelivery) and of OrdersTx.ClaimSerials. See Run for open.
func RunOutbox(t *testing.T, open func(t *testing.T) ports.Store) {
	area{
		{"Outbox/ClaimsOnlyDuePending", outboxClaimsDuePending},
		{"Outbox/LeaseHidesClaimed", outboxLeaseHides},
		{"Outbox/RecordDelivery", outboxRecordDelivery},
		{"Outbox/RefusesBadClaims", outboxBadClaims},
		{"Outbox/ConcurrentClaimsTakeEachOnce", outboxConcurrentClaims},
		{"ClaimSerials/EndsWithTransaction", claimSerialsEnds},
	}.run(t, open)
}

// outboxAt is an activation of serial whose delivery is d.
func outboxAt(tb testing.TB, id, serial string, d domain.Delivery) domain.Activation {
	tb.Helper()
	a := activation(tb, id, serial, stamp())
	a.Delivery = d
	return a
}

// claim runs Claim in an Update and returns the ids it claimed, in order.
func claim(tb testing.TB, s ports.Store, now time.Time, lease time.Duration, n int) []string {
	tb.Helper()
	var ids []string
	update(tb, s, func(tx ports.Tx) error {
		ids = nil
		got, err := tx.Activations().Claim(tb.Context(), now, lease, n)
		for _, a := range got {
			ids = append(ids, a.ID)
			if !a.Delivery.NextAttempt.Equal(now.Add(lease)) {
				tb.Errorf("claimed %s has its next attempt at %v, want the end of the lease %v", a.ID, a.Delivery.NextAttempt, now.Add(lease))
			}
		}
		return err
	})
	return ids
}

// byID returns the activation with id among serial's.
func byID(tb testing.TB, s ports.Store, serial, id string) domain.Activation {
	tb.Helper()
	for _, a := range read(tb, s, func(tx ports.Tx) ([]domain.Activation, error) { return tx.Activations().BySerial(tb.Context(), serial) }) {
		if a.ID == id {
			return a
		}
	}
	tb.Fatalf("no activation %s of %s", id, serial)
	return domain.Activation{}
}

func outboxClaimsDuePending(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	put := func(tx ports.Tx, a domain.Activation) error { return tx.Activations().Put(ctx, a) }
	putAll(t, s, put,
		outboxAt(t, "late", "SER-1", domain.PendingDelivery(now.Add(-time.Minute))),
		outboxAt(t, "oldest", "SER-2", domain.PendingDelivery(now.Add(-time.Hour))),
		outboxAt(t, "now", "ser-1", domain.PendingDelivery(now)),
		outboxAt(t, "future", "SER-3", domain.PendingDelivery(now.Add(time.Second))),
		outboxAt(t, "delivered", "SER-3", domain.Delivery{State: domain.DeliveryDelivered, Attempts: 1, DeliveredAt: now.Add(-time.Hour)}),
		outboxAt(t, "failed", "SER-3", domain.Delivery{State: domain.DeliveryFailed, Attempts: 12, LastError: "gave up"}),
	)
	same(t, "Claim(now, n=2): the two due first", []string{"oldest", "late"}, claim(t, s, now, time.Minute, 2))
	same(t, "Claim(now, n=10): the one due left", []string{"now"}, claim(t, s, now, time.Minute, 10))
	same(t, "Claim(now) with nothing due", []string(nil), claim(t, s, now, time.Minute, 10))
	// The claim is in the store: BySerial shows it pending at the lease's end.
	if a := byID(t, s, "Ser-1", "now"); a.Delivery.State != domain.DeliveryPending || !a.Delivery.NextAttempt.Equal(now.Add(time.Minute)) {
		t.Errorf("claimed activation's delivery = %+v, want pending until %v", a.Delivery, now.Add(time.Minute))
	}
}

func outboxLeaseHides(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	putAll(t, s, func(tx ports.Tx, a domain.Activation) error { return tx.Activations().Put(ctx, a) },
		outboxAt(t, "A1", "SER-1", domain.PendingDelivery(now)))
	same(t, "first claim", []string{"A1"}, claim(t, s, now, time.Minute, 5))
	same(t, "a claim within the lease", []string(nil), claim(t, s, now.Add(time.Minute-time.Microsecond), time.Minute, 5))
	// The claimer died without recording anything: at the lease's end it
	// is due again.
	same(t, "a claim when the lease ran out", []string{"A1"}, claim(t, s, now.Add(time.Minute), time.Minute, 5))
}

func outboxRecordDelivery(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	putAll(t, s, func(tx ports.Tx, a domain.Activation) error { return tx.Activations().Put(ctx, a) },
		outboxAt(t, "A1", "SER-1", domain.PendingDelivery(now)), outboxAt(t, "A2", "SER-1", domain.PendingDelivery(now)))
	record := func(id string, d domain.Delivery) error {
		return s.Update(ctx, func(tx ports.Tx) error { return tx.Activations().RecordDelivery(ctx, id, d) })
	}
	retry := domain.Delivery{State: domain.DeliveryPending, Attempts: 1, NextAttempt: now.Add(time.Second), LastError: "gateway down"}
	if err := record("A1", retry); err != nil {
		t.Fatal(err)
	}
	same(t, "A1 after a failed attempt", retry, byID(t, s, "ser-1", "A1").Delivery)
	same(t, "claim before the retry is due", []string{"A2"}, claim(t, s, now, time.Minute, 5))
	same(t, "claim when the retry is due", []string{"A1"}, claim(t, s, now.Add(time.Second), time.Minute, 5))

	done := domain.Delivery{State: domain.DeliveryDelivered, Attempts: 2, DeliveredAt: now.Add(2 * time.Second)}
	if err := record("A1", done); err != nil {
		t.Fatal(err)
	}
	same(t, "A1 delivered", done, byID(t, s, "SER-1", "A1").Delivery)
	// Idempotent by id: a late report of a failure (a claimer whose lease
	// ran out) leaves a delivered activation delivered.
	if err := record("A1", domain.Delivery{State: domain.DeliveryFailed, Attempts: 12, LastError: "late"}); err != nil {
		t.Fatalf("a late outcome for a delivered activation: %v", err)
	}
	same(t, "A1 after a late outcome", done, byID(t, s, "SER-1", "A1").Delivery)

	given := domain.Delivery{State: domain.DeliveryFailed, Attempts: 12, LastError: "gave up"}
	if err := record("A2", given); err != nil {
		t.Fatal(err)
	}
	same(t, "A2 given up", given, byID(t, s, "SER-1", "A2").Delivery)
	same(t, "claim after both ended", []string(nil), claim(t, s, now.Add(time.Hour), time.Minute, 5))

	wantCode(t, "RecordDelivery of an unknown id", record("nope", done), domain.CodeNotFound)
	wantCode(t, "RecordDelivery of a bad delivery", record("A2", domain.Delivery{State: "SENT"}), domain.CodeInvalid)
	wantCode(t, "RecordDelivery pending without a next attempt", record("A2", domain.Delivery{State: domain.DeliveryPending}), domain.CodeInvalid)
	err := s.Update(ctx, func(tx ports.Tx) error {
		return tx.Activations().Put(ctx, outboxAt(t, "A3", "SER-1", domain.Delivery{}))
	})
	wantCode(t, "Put without a delivery state", err, domain.CodeInvalid)
}

func outboxBadClaims(t *testing.T, s ports.Store) {
	ctx := t.Context()
	for _, c := range []struct {
		n     int
		lease time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {1, 0}, {1, -time.Second}} {
		err := s.Update(ctx, func(tx ports.Tx) error {
			_, err := tx.Activations().Claim(ctx, stamp(), c.lease, c.n)
			return err
		})
		wantCode(t, fmt.Sprintf("Claim(n=%d, lease=%v)", c.n, c.lease), err, domain.CodeInvalid)
	}
	err := viewErr(t, s, func(tx ports.Tx) error {
		_, err := tx.Activations().Claim(ctx, stamp(), time.Minute, 1)
		return err
	})
	wantCode(t, "Claim in a View", err, domain.CodeInternal)
}

// outboxConcurrentClaims has racers claim from one outbox at once: every
// activation is claimed by exactly one of them.
func outboxConcurrentClaims(t *testing.T, s ports.Store) {
	ctx := t.Context()
	now := stamp()
	const total = 40
	var acts []domain.Activation
	for i := range total {
		acts = append(acts, outboxAt(t, fmt.Sprintf("A%02d", i), fmt.Sprintf("SER-%d", i%7), domain.PendingDelivery(now.Add(-time.Duration(i)*time.Second))))
	}
	putAll(t, s, func(tx ports.Tx, a domain.Activation) error { return tx.Activations().Put(ctx, a) }, acts...)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				var ids []string
				err := s.Update(ctx, func(tx ports.Tx) error {
					ids = nil
					got, err := tx.Activations().Claim(ctx, now, time.Hour, 3)
					for _, a := range got {
						ids = append(ids, a.ID)
					}
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if len(ids) == 0 {
					return
				}
				mu.Lock()
				for _, id := range ids {
					seen[id]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != total {
		t.Errorf("%d activations claimed, want all %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("activation %s claimed %d times, want once", id, n)
		}
	}
}

// claimSerialsEnds: a claim is the transaction's own and ends with it; a
// transaction may claim what it holds again; in a View it does nothing.
func claimSerialsEnds(t *testing.T, s ports.Store) {
	ctx := t.Context()
	for i := range 2 {
		update(t, s, func(tx ports.Tx) error {
			if err := tx.ClaimSerials(ctx, "TESTApi01", "testapi01", "OTHER-1"); err != nil {
				return fmt.Errorf("claim %d: %w", i, err)
			}
			if err := tx.ClaimSerials(ctx, "TestAPI01"); err != nil {
				return fmt.Errorf("claim %d again in the same transaction: %w", i, err)
			}
			if err := tx.LockSerials(ctx, "TESTAPI01"); err != nil {
				return err
			}
			return tx.Devices().Put(ctx, device(spelling(i)))
		})
	}
	if err := viewErr(t, s, func(tx ports.Tx) error { return tx.ClaimSerials(ctx, "TESTApi01") }); err != nil {
		t.Errorf("ClaimSerials in a View = %v, want nil", err)
	}
	if d := read(t, s, func(tx ports.Tx) (domain.Device, error) { return tx.Devices().BySerial(ctx, "testapi01") }); d.Serial != "TESTApi01" {
		t.Errorf("device after two claiming Updates = %+v", d)
	}
}
