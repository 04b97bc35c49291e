package postgres_test

import (
	"fmt"
	"testing"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// BenchmarkAccountCount counts one partner's accounts with seed 003's
// filters (is_attached, activated, app_id) among 10,000 and 100,000
// accounts of 97 partners (about 100 and 1,000 accounts per partner, a
// tenth of them attached and activated): Count is one statement through
// accounts_count, so it costs what the partner's matching accounts cost,
// never a scan of the table.
//
//	ENTITLE_POSTGRES_DSN=... go test ./adapters/postgres -run '^$' -bench AccountCount -benchmem
func BenchmarkAccountCount(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			dsn := testDSN(b)
			ctx := b.Context()
			schema := freshSchema(b, dsn)
			s := openStore(b, dsn, postgres.Options{Schema: schema})
			conn := rawConn(b, dsn, schema)
			for _, q := range []string{
				fmt.Sprintf(`INSERT INTO accounts (partner_id, alias, alias_key, title, created_at, activated, blocks, plans, limits,
					reg_apps, attached)
				SELECT 'partner-' || (i %% 97), 'acct-' || i, 'ACCT-' || i, '', now(), i %% 2 = 0, '[]', '{}', '{}',
					jsonb_build_array(CASE WHEN i %% 3 = 0 THEN '%s' ELSE '%s' END), i %% 5 = 0
				FROM generate_series(1, %d) i`, forguard, ruhavik, n),
				`ANALYZE accounts`,
			} {
				if _, err := conn.Exec(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			yes := true
			q := domain.AccountQuery{PartnerID: "partner-30", Attached: &yes, Activated: &yes, AppID: forguard}
			var want int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE partner_id = 'partner-30' AND attached
				AND activated AND reg_apps ? $1`, forguard).Scan(&want); err != nil || want == 0 {
				b.Fatalf("the partner's matching accounts: %d, %v", want, err)
			}
			for b.Loop() {
				var got int
				err := s.View(ctx, func(tx ports.Tx) (err error) { got, err = tx.Accounts().Count(ctx, q); return })
				if err != nil {
					b.Fatal(err)
				}
				if got != want {
					b.Fatalf("Count = %d, want %d", got, want)
				}
			}
		})
	}
}

// BenchmarkManagedAdd is the store's part of seed 002's add: for each
// listed account, lock it, read its live link and create one, in one
// Update, for 1 and 100 accounts per request. Every iteration adds new
// accounts, so the links table grows as it runs.
//
//	ENTITLE_POSTGRES_DSN=... go test ./adapters/postgres -run '^$' -bench ManagedAdd -benchmem
func BenchmarkManagedAdd(b *testing.B) {
	for _, items := range []int{1, 100} {
		b.Run(fmt.Sprintf("accounts=%d", items), func(b *testing.B) {
			dsn := testDSN(b)
			ctx := b.Context()
			s := openStore(b, dsn, postgres.Options{Schema: freshSchema(b, dsn)})
			next := int64(0)
			for b.Loop() {
				err := s.Update(ctx, func(tx ports.Tx) error {
					for range items {
						next++
						managed := fmt.Sprintf("%010d-00001", next)
						if err := tx.LockAccount(ctx, next); err != nil {
							return err
						}
						if _, err := tx.ManagedLinks().Live(ctx, managed, "Location"); domain.ErrorCode(err) != domain.CodeNotFound {
							return fmt.Errorf("Live(%s) = %v, want not found", managed, err)
						}
						l := link("1234567890-00001", managed, fmt.Sprint("tx-", next/int64(items)))
						if err := tx.ManagedLinks().Create(ctx, &l); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/account")
		})
	}
}
