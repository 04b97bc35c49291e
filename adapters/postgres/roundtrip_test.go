package postgres_test

import (
	"fmt"
	"testing"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
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
