package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/ports/storetest"
)

// The shape of every account in BenchmarkSeatLookups, the SQLite store's
// (adapters/sqlite/seats_bench_test.go): 10 CoPilot seats, 50 users, 10
// yearly periods per seat.
const (
	benchSeatsPerAccount   = 10
	benchUsersPerAccount   = 50
	benchPeriodsPerSeat    = 10
	benchAssignmentsPerAcc = benchSeatsPerAccount * benchPeriodsPerSeat
)

// BenchmarkSeatLookups reads one account's seats the way the seats use
// cases do (the pool of a product: its licenses and the assignments that
// hold a day from today on; one user's assignments; a user by externalId)
// in schemas of 10k, 100k and 1M assignments. Only the number of accounts
// changes with the size, so an indexed lookup costs the same at each. The
// rows are bulk-loaded with COPY; 1M is skipped with -short.
//
//	ENTITLE_POSTGRES_DSN=... go test ./adapters/postgres -run '^$' -bench SeatLookups -benchmem
func BenchmarkSeatLookups(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("assignments=%d", n), func(b *testing.B) {
			if testing.Short() && n > 100_000 {
				b.Skip("loading 1,000,000 assignments takes a while; not with -short")
			}
			dsn := testDSN(b)
			schema := freshSchema(b, dsn)
			s := openStore(b, dsn, postgres.Options{Schema: schema})
			accounts := n / benchAssignmentsPerAcc
			loadSeats(b, rawConn(b, dsn, schema), accounts)
			acct := int64(accounts/2 + 1)
			user := (acct-1)*benchUsersPerAccount + 26
			on := day(b, "2020-06-01")
			storetest.BenchSeatLookups(b, s, acct, user, on)
		})
	}
}

// loadSeats copies accounts accounts into conn's schema, each with its
// seats, users and assignments: seat j of account a is held in year k
// (2016 + k) by the account's user (5j + k) mod 50, so no user holds two
// seats on a day. Every constraint checks every row.
func loadSeats(tb testing.TB, conn *pgx.Conn, accounts int) {
	tb.Helper()
	ctx := tb.Context()
	created := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	first := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	copyRows := func(table string, columns []string, n int, row func(i int) []any) {
		tb.Helper()
		i := 0
		got, err := conn.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			return row(i - 1), nil
		}))
		if err != nil || got != int64(n) {
			tb.Fatalf("COPY %s: %d rows, %v", table, got, err)
		}
	}
	copyRows("accounts", []string{"id", "partner_id", "alias", "alias_key", "title", "created_at", "activated", "blocks", "plans", "limits"},
		accounts, func(i int) []any {
			a := i + 1
			return []any{int64(a), "partner", fmt.Sprintf("acct-%d", a), fmt.Sprintf("ACCT-%d", a), "", created, true, "[]", "{}", "{}"}
		})
	copyRows("seat_users", []string{"id", "account_id", "external_id", "external_key", "email", "first_name", "last_name",
		"phone_number", "username", "username_key", "password_hash", "roles", "created_at", "updated_at"},
		accounts*benchUsersPerAccount, func(u int) []any {
			k := u%benchUsersPerAccount + 1
			return []any{int64(u + 1), int64(u/benchUsersPerAccount + 1), fmt.Sprintf("driver-%d", k), fmt.Sprintf("DRIVER-%d", k),
				"", "", "", "", "", "", "", []string{}, created, created}
		})
	copyRows("licenses", []string{"id", "account_id", "product_id", "registered", "expires", "created_at"},
		accounts*benchSeatsPerAccount, func(l int) []any {
			return []any{int64(l + 1), int64(l/benchSeatsPerAccount + 1), "CoPilot", first, time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC), created}
		})
	copyRows("assignments", []string{"account_id", "license_id", "user_id", "product_id", "activation", "deactivation", "last_changed"},
		accounts*benchAssignmentsPerAcc, func(x int) []any {
			a, j, k := x/benchAssignmentsPerAcc, x/benchPeriodsPerSeat%benchSeatsPerAccount, x%benchPeriodsPerSeat
			start := first.AddDate(k, 0, 0)
			return []any{int64(a + 1), int64(x/benchPeriodsPerSeat + 1),
				int64(a*benchUsersPerAccount + (j*5+k)%benchUsersPerAccount + 1), "CoPilot", start, start.AddDate(1, 0, -1), created}
		})
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
}

// planWithoutSeqScan returns the planner's plan for query with args, one
// node a string ("Index Scan on assignments using assignments_by_user"),
// and fails tb for every node that scans a table whole.
func planWithoutSeqScan(tb testing.TB, conn *pgx.Conn, name, query string, args []any) []string {
	tb.Helper()
	var plan []map[string]any
	if err := conn.QueryRow(tb.Context(), "EXPLAIN (FORMAT JSON) "+query, args...).Scan(&plan); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	var nodes []string
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		node := fmt.Sprint(n["Node Type"])
		if rel, ok := n["Relation Name"]; ok {
			node += fmt.Sprint(" on ", rel)
		}
		if ix, ok := n["Index Name"]; ok {
			node += fmt.Sprint(" using ", ix)
		}
		nodes = append(nodes, node)
		if n["Node Type"] == "Seq Scan" {
			tb.Errorf("%s scans %v whole: %s", name, n["Relation Name"], query)
		}
		children, _ := n["Plans"].([]any)
		for _, c := range children {
			if m, ok := c.(map[string]any); ok {
				walk(m)
			}
		}
	}
	walk(plan[0]["Plan"].(map[string]any))
	return nodes
}

// TestSeatLookupsUseIndexes backs BenchmarkSeatLookups with the planner's
// own word: in a schema of 50,000 assignments, every seat lookup reads
// through an index, never a scan of its table, so its cost does not grow
// with the store.
func TestSeatLookupsUseIndexes(t *testing.T) {
	dsn := testDSN(t)
	schema := freshSchema(t, dsn)
	openStore(t, dsn, postgres.Options{Schema: schema})
	conn := rawConn(t, dsn, schema)
	const accounts = 500
	loadSeats(t, conn, accounts)
	acct := int64(accounts/2 + 1)
	user := (acct-1)*benchUsersPerAccount + 26
	for name, l := range postgres.SeatLookups(acct, user, "CoPilot", "DRIVER-26", day(t, "2020-06-01")) {
		t.Logf("%s: %v", name, planWithoutSeqScan(t, conn, name, l.SQL, l.Args))
	}
}
