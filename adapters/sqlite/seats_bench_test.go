package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports/storetest"
)

// BenchmarkSeatLookups reads one account's seats (the pool of a product,
// one user's assignments, a user by externalId) in stores of 10k, 100k
// and 1M assignments. Every account looks the same (10 CoPilot seats, 50
// users, 10 periods of a year per seat), so only the store's size changes:
// an indexed lookup costs the same at each size. 1M is skipped under -short.
//
//	go test ./adapters/sqlite -run '^$' -bench SeatLookups -benchmem
func BenchmarkSeatLookups(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("assignments=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100_000 {
				b.Skip("1M assignments take a while to build; run without -short")
			}
			s := openTest(b, filepath.Join(b.TempDir(), "seats.db"))
			accounts := n / seatsPerAccount
			fillSeats(b, s, accounts)
			acct := int64(accounts/2 + 1)
			on, err := domain.NewDate(2020, time.June, 1)
			if err != nil {
				b.Fatal(err)
			}
			user := (acct-1)*usersPerAccount + 26
			storetest.BenchSeatLookups(b, s, acct, user, on)
		})
	}
}

const (
	licensesPerAccount = 10
	usersPerAccount    = 50
	periodsPerLicense  = 10
	seatsPerAccount    = licensesPerAccount * periodsPerLicense
)

// fillSeats writes accounts accounts, each with its licenses, users and
// assignments, with plain SQL in one transaction (the triggers and
// indexes still check every row).
func fillSeats(tb testing.TB, s *Store, accounts int) {
	tb.Helper()
	ctx := tb.Context()
	onConn(tb, s, s.writer, func(c *sql.Conn) {
		stmts := []string{
			`BEGIN IMMEDIATE`,
			`WITH RECURSIVE n(a) AS (SELECT 1 UNION ALL SELECT a + 1 FROM n WHERE a < ?1)
			INSERT INTO accounts (id, partner_id, alias, alias_key, title, created_at, activated, limits)
			SELECT a, 'partner', 'acct-' || a, 'ACCT-' || a, '', '2016-01-01T00:00:00.000000000Z', 1, 'null' FROM n`,
			`WITH RECURSIVE n(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM n WHERE u < ?1 * 50 - 1)
			INSERT INTO seat_users (id, account_id, external_id, external_key, email, first_name, last_name, phone, username,
				username_key, password_hash, roles, created_at, updated_at, deleted_at)
			SELECT u + 1, u / 50 + 1, 'driver-' || (u % 50 + 1), 'DRIVER-' || (u % 50 + 1), '', '', '', '', '', '', '', 'null',
				'2016-01-01T00:00:00.000000000Z', '2016-01-01T00:00:00.000000000Z', '' FROM n`,
			`WITH RECURSIVE n(l) AS (SELECT 0 UNION ALL SELECT l + 1 FROM n WHERE l < ?1 * 10 - 1)
			INSERT INTO licenses (id, account_id, product_id, registered, expires, created_at)
			SELECT l + 1, l / 10 + 1, 'CoPilot', '2016-01-01', '2030-12-31', '2016-01-01T00:00:00.000000000Z' FROM n`,
			// Seat j of an account has 10 yearly periods k; in period k it is
			// held by the account's user (5j + k) mod 50, so no user holds two
			// seats in one year.
			`WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ?1 * 100 - 1)
			INSERT INTO assignments (account_id, license_id, user_id, product_id, activation, deactivation, last_changed)
			SELECT x / 100 + 1, x / 10 + 1, (x / 100) * 50 + ((x / 10 % 10) * 5 + x % 10) % 50 + 1, 'CoPilot',
				date('2016-01-01', '+' || (x % 10) || ' years'), date('2016-01-01', '+' || (x % 10 + 1) || ' years', '-1 day'),
				'2016-01-01T00:00:00.000000000Z' FROM n`,
			`COMMIT`,
		}
		for _, q := range stmts {
			var args []any
			if strings.Contains(q, "?1") {
				args = []any{accounts}
			}
			if _, err := c.ExecContext(ctx, q, args...); err != nil {
				tb.Fatalf("%.60s: %v", q, err)
			}
		}
	})
}
