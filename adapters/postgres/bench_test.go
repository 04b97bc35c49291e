package postgres_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// BenchmarkCreateOrder commits one-line orders through the engine, from one
// caller and from 16 at once, into a database that already holds 100,000
// receivers, each with a subscription and an order. Each order is for a
// serial of its own, and serials are spread over the key space as receivers
// ordered at the same moment are: SERIALIZABLE predicate locks are taken per
// index page, so orders for neighbouring serials (or any serials while the
// tables are a few pages small) conflict and are retried more often.
// orders/s is the throughput the README quotes, and retries/order how many
// transactions Update ran again to get it; at 16 callers ns/op is wall time
// per order, not latency. The pool has its default size.
func BenchmarkCreateOrder(b *testing.B) {
	dsn := testDSN(b)
	schema := freshSchema(b, dsn)
	var retries atomic.Int64
	s := openStore(b, dsn, postgres.Options{Schema: schema, OnRetry: func(int, error) { retries.Add(1) }})
	eng := newEngine(b, s)
	if err := seedData(b.Context(), eng, raceDataset()); err != nil {
		b.Fatal(err)
	}
	// Ids far above the sequences', so the orders the benchmark creates keep
	// theirs.
	if _, err := rawConn(b, dsn, schema).Exec(b.Context(), `
		INSERT INTO orders (unique_id, order_number, client_id, customer_id, ship_to_customer_id, bill_to_customer,
			ship_to_customer, po_number, customer_order_ref, currency, promo_code, activation_country, bill_to_site_use_id,
			ship_to_site_use_id, bill_to_email, bill_to_phone, ship_to_email, ship_to_phone, status, hold_reason,
			created_at, total, ruleset_hash, lines)
		SELECT 1000000000 + i, 1000000000 + i, 'c0', '', '', '', '', 'PO-' || i, '', 'USD', '', 'US', 0, 0, '', '', '', '', 'SUCCESS', '', now(), 0, '', '[]'
		FROM generate_series(1, 100000) AS i;
		INSERT INTO devices (serial_key, serial, service_type, manufacturer, model, sso_emails)
		SELECT 'B' || i, 'B' || i, 'RTX', 'Trimble', 'R12', '{}' FROM generate_series(1, 100000) AS i;
		INSERT INTO order_serials (serial_key, order_id, in_progress) SELECT 'B' || i, 1000000000 + i, false FROM generate_series(1, 100000) AS i;
		INSERT INTO subscriptions (id, serial, serial_key, part_number, product_line, start_date, end_date, kind, ended,
			auto_renew, order_id, line, activated, created_at)
		SELECT 'bg-' || i, 'B' || i, 'B' || i, '132001-10', 'CENTERPOINT', '2024-04-24', '2025-04-23', 'PAID', '', false, 1000000000 + i, 1, true, now()
		FROM generate_series(1, 100000) AS i;
		ANALYZE;`); err != nil {
		b.Fatalf("loading the background rows: %v", err)
	}
	var orders atomic.Int64
	// serial spreads consecutive n over the ten-digit serials R12 accepts;
	// the multiplier is prime to 10^10, so distinct n give distinct serials.
	serial := func(n int64) string { return fmt.Sprintf("%010d", n*6364136223%10_000_000_000) }
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			var next atomic.Int64
			var wg sync.WaitGroup
			retried := retries.Load()
			b.ResetTimer()
			for range callers {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						sn := serial(orders.Add(1))
						if _, err := eng.CreateOrder(b.Context(), domain.PartnerPrincipal("c1", domain.ClientCredentials), raceOrder("PO-"+sn, sn, "132001-10")); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
			b.ReportMetric(float64(retries.Load()-retried)/float64(b.N), "retries/order")
		})
	}
}

// BenchmarkTimeline reads one serial's timeline (ten subscriptions) from
// stores holding 10,000 and 1,000,000 subscriptions: through the index on
// serial_key the two should cost about the same (DESIGN.md, Budgets). The
// rows are bulk-loaded with COPY; 1,000,000 is skipped with -short.
func BenchmarkTimeline(b *testing.B) {
	const perSerial = 10
	for _, subs := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("subs=%d", subs), func(b *testing.B) {
			if subs > 10_000 && testing.Short() {
				b.Skip("loading 1,000,000 subscriptions takes a while; not with -short")
			}
			dsn := testDSN(b)
			ctx := b.Context()
			schema := freshSchema(b, dsn)
			s := openStore(b, dsn, postgres.Options{Schema: schema})
			conn := rawConn(b, dsn, schema)
			serial := func(i int) string { return fmt.Sprintf("SN%08d", i) }
			first := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
			created := time.Date(2025, 4, 24, 10, 28, 10, 0, time.UTC)
			rows := make([][]any, 0, subs)
			for i := range subs {
				n, k := i/perSerial, i%perSerial
				start := first.AddDate(k, 0, 0)
				end := start.AddDate(1, 0, -1)
				sn := serial(n)
				rows = append(rows, []any{fmt.Sprintf("sub-%d", i), sn, sn, "132001-10", "CENTERPOINT", start, end,
					"PAID", "", true, int64(13331 + n), 1, true, created})
			}
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{"subscriptions"}, []string{"id", "serial", "serial_key", "part_number",
				"product_line", "start_date", "end_date", "kind", "ended", "auto_renew", "order_id", "line", "activated", "created_at"},
				pgx.CopyFromRows(rows)); err != nil {
				b.Fatalf("COPY: %v", err)
			}
			if _, err := conn.Exec(ctx, "ANALYZE subscriptions"); err != nil {
				b.Fatal(err)
			}
			want := serial(subs / perSerial / 2)
			for b.Loop() {
				err := s.View(ctx, func(tx ports.Tx) error {
					tl, err := tx.Subscriptions().BySerial(ctx, want)
					if err == nil && len(tl) != perSerial {
						err = fmt.Errorf("the timeline of %s has %d subscriptions, want %d", want, len(tl), perSerial)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
