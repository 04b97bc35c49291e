package postgres_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// TestRoundTripsPerAssign counts what assigning seats through the seats
// use case (rules/seats, Service.Assign) sends to PostgreSQL once the pool
// is warm: one user, then a bulk call of 10. The account's lock travels
// with the first read; each new assignment is one round trip (its id comes
// back), its audit event is queued and goes with the next statement or the
// COMMIT. The counts are budgets (DESIGN.md, "The write path").
func TestRoundTripsPerAssign(t *testing.T) {
	const (
		maxTripsOne       = 6 // lock+account, licenses, assignments, users, the assignment, audit+decision+COMMIT
		maxTripsPerExtra  = 1 // each further user of a bulk call
		bulk              = 10
		calls             = 10
		seatsOwned        = calls * (1 + bulk) * 2
		maxStatementsOne  = 10 // 9, and the decision log's row (queued with the COMMIT)
		maxStatementsItem = 2
	)
	dsn := testDSN(t)
	ctx := t.Context()
	s, counts, err := postgres.OpenCounting(ctx, dsn, postgres.Options{Schema: freshSchema(t, dsn)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	set, err := seats.Language().Load(rulesets.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := seats.New(seats.Options{Store: s, Rules: set, Clock: ports.ClockFunc(func() time.Time { return raceNow })})
	if err != nil {
		t.Fatal(err)
	}
	partner := domain.Principal{Partner: "fleet-partner", Credential: domain.APIKey}
	acct, err := svc.CreateCompany(ctx, partner, seats.CompanyRequest{Name: "Acme Fleet"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetSeats(ctx, partner, seats.SeatsRequest{Alias: acct.Alias, ProductID: "CoPilot", Seats: seatsOwned}); err != nil {
		t.Fatal(err)
	}
	admin := domain.Principal{Partner: acct.PartnerID, Account: strconv.FormatInt(acct.ID, 10), Credential: domain.APIKey}
	n := 0
	// trips and stmts count, by call size, what the calls sent.
	var trips, stmts map[int]int64
	assign := func(users int) {
		t.Helper()
		ids := make([]string, users)
		for i := range ids {
			n++
			ids[i] = fmt.Sprintf("driver-%d", n)
			if _, err := svc.AddUser(ctx, admin, seats.UserInput{ExternalID: ids[i]}); err != nil {
				t.Fatal(err)
			}
		}
		before := counts.RoundTrips()
		st := counts.Statements()
		rs, err := svc.Assign(ctx, admin, "CoPilot", ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if !r.OK {
				t.Fatalf("assigning %s: %s %s", r.ExternalID, r.Code, r.Reason)
			}
		}
		trips[users] += counts.RoundTrips() - before
		stmts[users] += counts.Statements() - st
	}
	// Warm the pool's connections (each prepares what it sends first).
	trips, stmts = map[int]int64{}, map[int]int64{}
	for range 8 {
		assign(1)
		assign(bulk)
	}
	trips, stmts = map[int]int64{}, map[int]int64{}
	for range calls {
		assign(1)
		assign(bulk)
	}
	one, many := float64(trips[1])/calls, float64(trips[bulk])/calls
	oneSt, manySt := float64(stmts[1])/calls, float64(stmts[bulk])/calls
	t.Logf("Assign of 1 user: %.1f statements in %.1f round trips; of %d users: %.1f statements in %.1f round trips", oneSt, one, bulk, manySt, many)
	if one > maxTripsOne || many > maxTripsOne+maxTripsPerExtra*(bulk-1) {
		t.Errorf("Assign takes %.1f round trips for 1 user and %.1f for %d, want at most %d and %d",
			one, many, bulk, maxTripsOne, maxTripsOne+maxTripsPerExtra*(bulk-1))
	}
	if oneSt > maxStatementsOne || manySt > maxStatementsOne+maxStatementsItem*(bulk-1) {
		t.Errorf("Assign sends %.1f statements for 1 user and %.1f for %d, want at most %d and %d",
			oneSt, manySt, bulk, maxStatementsOne, maxStatementsOne+maxStatementsItem*(bulk-1))
	}
}

// BenchmarkAssign assigns seats through the seats use case
// (Service.Assign): one user per call, and 1,000 (the bulk maximum). Each
// call's users are released again outside the timer, so every call finds
// its seats free. assignments/s is the throughput; each new assignment
// costs one round trip, the rest of a call about five.
//
//	ENTITLE_POSTGRES_DSN=... go test ./adapters/postgres -run '^$' -bench Assign -benchmem
func BenchmarkAssign(b *testing.B) {
	dsn := testDSN(b)
	ctx := b.Context()
	s := openStore(b, dsn, postgres.Options{Schema: freshSchema(b, dsn)})
	set, err := seats.Language().Load(rulesets.FS)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := seats.New(seats.Options{Store: s, Rules: set, Clock: ports.ClockFunc(func() time.Time { return raceNow })})
	if err != nil {
		b.Fatal(err)
	}
	partner := domain.Principal{Partner: "fleet-partner", Credential: domain.APIKey}
	acct, err := svc.CreateCompany(ctx, partner, seats.CompanyRequest{Name: "Acme Fleet"})
	if err != nil {
		b.Fatal(err)
	}
	const most = 1000
	if _, err := svc.SetSeats(ctx, partner, seats.SeatsRequest{Alias: acct.Alias, ProductID: "CoPilot", Seats: most}); err != nil {
		b.Fatal(err)
	}
	admin := domain.Principal{Partner: acct.PartnerID, Account: strconv.FormatInt(acct.ID, 10), Credential: domain.APIKey}
	ids := make([]string, most)
	for i := range ids {
		ids[i] = fmt.Sprintf("driver-%d", i)
		if _, err := svc.AddUser(ctx, admin, seats.UserInput{ExternalID: ids[i]}); err != nil {
			b.Fatal(err)
		}
	}
	check := func(rs []seats.ItemResult, err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			if !r.OK {
				b.Fatalf("%s: %s %s", r.ExternalID, r.Code, r.Reason)
			}
		}
	}
	for _, users := range []int{1, most} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			for b.Loop() {
				check(svc.Assign(ctx, admin, "CoPilot", ids[:users]))
				b.StopTimer()
				check(svc.Release(ctx, admin, "CoPilot", ids[:users]))
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*users)/b.Elapsed().Seconds(), "assignments/s")
		})
	}
}
