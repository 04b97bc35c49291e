package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// TestRoundTripsPerOrder counts what one accepted one-line order sends to
// PostgreSQL once the pool is warm (every statement prepared): statements,
// and round trips (a statement or a batch sent and its answer awaited).
// DESIGN.md, "The write path": the SQL shape is the cost, so the count is a
// budget, not a figure to read.
func TestRoundTripsPerOrder(t *testing.T) {
	const (
		maxStatements = 18
		maxRoundTrips = 6
	)
	dsn := testDSN(t)
	ctx := t.Context()
	s, counts, err := postgres.OpenCounting(ctx, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	eng := newEngine(t, s)
	if err := seedData(ctx, eng, raceDataset()); err != nil {
		t.Fatal(err)
	}
	order := func(n int) {
		t.Helper()
		sn := fmt.Sprintf("%010d", n)
		if _, err := eng.CreateOrder(ctx, domain.PartnerPrincipal("c1", domain.ClientCredentials), raceOrder("PO-"+sn, sn, "132001-10")); err != nil {
			t.Fatal(err)
		}
	}
	// Warm every connection of the pool the orders may land on.
	for n := range 16 {
		order(n)
	}
	const orders = 20
	st, rt, pr := counts.Statements(), counts.RoundTrips(), counts.Prepares()
	for n := range orders {
		order(100 + n)
	}
	statements := float64(counts.Statements()-st) / orders
	trips := float64(counts.RoundTrips()-rt) / orders
	t.Logf("one one-line order: %.1f statements, %.1f round trips (%d statements prepared while measuring)",
		statements, trips, counts.Prepares()-pr)
	if statements > maxStatements || trips > maxRoundTrips {
		t.Errorf("one one-line order costs %.1f statements and %.1f round trips, want at most %d and %d",
			statements, trips, maxStatements, maxRoundTrips)
	}
}

// TestLockSerialsReadsADecisionInOneRoundTrip: in an Update that starts
// with LockSerials, every read a decision makes of its serials (device,
// subscriptions, trials, in-progress orders, the client's own orders) and
// of the catalog (sites, parts, models, price lists, read before by another
// transaction) costs, all together, the one round trip of LockSerials.
func TestLockSerialsReadsADecisionInOneRoundTrip(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	s, counts, err := postgres.OpenCounting(ctx, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	eng := newEngine(t, s)
	if err := seedData(ctx, eng, raceDataset()); err != nil {
		t.Fatal(err)
	}
	const known, unknown = "1234567890", "2234567890"
	if _, err := eng.CreateOrder(ctx, domain.PartnerPrincipal("c1", domain.ClientCredentials), raceOrder("PO-1", known, "132001-10")); err != nil {
		t.Fatal(err)
	}
	readCatalog := func(tx ports.Tx) error {
		if _, err := tx.Customers().BySite(ctx, 531807, domain.BillTo); err != nil {
			return err
		}
		if _, err := tx.Catalog().PriceListForCountry(ctx, "US"); err != nil {
			return err
		}
		if _, err := tx.Catalog().Part(ctx, "132001-10"); err != nil {
			return err
		}
		_, err := tx.Catalog().Model(ctx, "", "R12")
		return err
	}
	if err := s.Update(ctx, readCatalog); err != nil {
		t.Fatal(err)
	}
	type locker interface {
		LockSerials(ctx context.Context, serials ...string) error
	}
	var trips int64
	if err := s.Update(ctx, func(tx ports.Tx) error {
		before := counts.RoundTrips()
		if err := tx.(locker).LockSerials(ctx, unknown, known); err != nil {
			return err
		}
		if err := readCatalog(tx); err != nil {
			return err
		}
		for _, sn := range []string{known, unknown} {
			if _, err := tx.Devices().BySerial(ctx, sn); err != nil && domain.ErrorCode(err) != domain.CodeNotFound {
				return err
			}
			tl, err := tx.Subscriptions().BySerial(ctx, sn)
			if err != nil {
				return err
			}
			if _, err := tx.Trials().BySerial(ctx, sn); err != nil {
				return err
			}
			if _, err := tx.Orders().InProgress(ctx, sn); err != nil {
				return err
			}
			os, err := tx.Orders().Find(ctx, domain.OrderQuery{ClientID: "c1", SerialKey: domain.SerialKey(sn)})
			if err != nil {
				return err
			}
			if sn == known && (len(tl) != 1 || len(os) != 1) {
				return fmt.Errorf("serial %s: %d subscriptions and %d orders, want 1 and 1", sn, len(tl), len(os))
			}
		}
		trips = counts.RoundTrips() - before
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if trips != 1 {
		t.Errorf("LockSerials and a decision's reads of two serials cost %d round trips, want 1", trips)
	}
}
