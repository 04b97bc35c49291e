package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/ports/storetest"
)

// conflictCounting is a Store that counts the Updates it saw fail with
// CodeConflict.
type conflictCounting struct {
	ports.Store
	conflicts *atomic.Int64
}

func (s conflictCounting) Update(ctx context.Context, fn func(ports.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if domain.ErrorCode(err) == domain.CodeConflict {
		s.conflicts.Add(1)
	}
	return err
}

// TestSeatRacesAcrossStores runs the contract's seat races (64 racers: the
// last 3 seats, bulk calls of 5 against 10 seats, one user from 64
// goroutines) across two Stores on one schema, as two `entitle serve`
// instances share a database, the racers alternating between them. The
// contract accepts a racer refused by a constraint; here LockAccount must
// keep every racer from meeting one (no CodeConflict, no retry).
func TestSeatRacesAcrossStores(t *testing.T) {
	dsn := testDSN(t)
	var conflicts, retries atomic.Int64
	onRetry := func(int, error) { retries.Add(1) }
	storetest.RunSeatRaces(t, func(t *testing.T) (ports.Store, ports.Store) {
		schema := freshSchema(t, dsn)
		a := openStore(t, dsn, postgres.Options{Schema: schema, OnRetry: onRetry})
		b := openStore(t, dsn, postgres.Options{Schema: schema, OnRetry: onRetry})
		return conflictCounting{a, &conflicts}, conflictCounting{b, &conflicts}
	})
	if n := conflicts.Load(); n != 0 {
		t.Errorf("%d racers were refused by a constraint: LockAccount let them overlap", n)
	}
	if n := retries.Load(); n != 0 {
		t.Errorf("Update retried %d times: racers locking one account deadlocked", n)
	}
}

// TestSeatConstraintsUnderRacingWritersWithoutLocks: 64 writers across two
// Stores that take no lock and check nothing first, each giving the one
// seat to a user of its own for the same days, or the same user a seat of
// its own: the constraints let exactly one through, and refuse every other
// with CodeConflict naming the field at fault.
func TestSeatConstraintsUnderRacingWritersWithoutLocks(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	stores := [2]*postgres.Store{
		openStore(t, dsn, postgres.Options{Schema: schema}),
		openStore(t, dsn, postgres.Options{Schema: schema}),
	}
	const racers = 64
	var (
		acct domain.Account
		us   []domain.User
		ls   []domain.License
	)
	err := stores[0].Update(ctx, func(tx ports.Tx) error {
		acct = domain.Account{PartnerID: "p", Alias: "acme", CreatedAt: seatNow}
		if err := tx.Accounts().Create(ctx, &acct); err != nil {
			return err
		}
		for i := range racers + 1 { // the last one races alone for seats
			u := domain.User{AccountID: acct.ID, ExternalID: fmt.Sprintf("driver-%d", i), CreatedAt: seatNow, UpdatedAt: seatNow}
			if err := tx.Users().Create(ctx, &u); err != nil {
				return err
			}
			us = append(us, u)
		}
		seats := make([]domain.License, racers+1) // the first for the first race, one each for the second
		for i := range seats {
			seats[i] = domain.License{AccountID: acct.ID, ProductID: "CoPilot", Registered: day(t, "2025-01-01"),
				Expires: day(t, "2025-12-31"), CreatedAt: seatNow}
		}
		var err error
		ls, err = tx.Licenses().Create(ctx, seats)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	race := func(t *testing.T, assignment func(i int) domain.Assignment, field string) {
		errs := make([]error, racers)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range racers {
			wg.Go(func() {
				a := assignment(i)
				start.Wait()
				errs[i] = stores[i%2].Update(ctx, func(tx ports.Tx) error { return tx.Assignments().Create(ctx, &a) })
			})
		}
		start.Done()
		wg.Wait()
		won := 0
		for i, err := range errs {
			de := asDomain(err)
			switch {
			case err == nil:
				won++
			case de == nil || de.Code != domain.CodeConflict || de.Field != field:
				t.Errorf("racer %d: %v, want success or %s on %s", i, err, domain.CodeConflict, field)
			}
		}
		if won != 1 {
			t.Errorf("%d racers wrote their assignment, want exactly 1", won)
		}
	}
	t.Run("one seat, 64 users", func(t *testing.T) {
		race(t, func(i int) domain.Assignment {
			return domain.Assignment{AccountID: acct.ID, LicenseID: ls[0].ID, UserID: us[i].ID,
				ActivationDate: day(t, "2025-04-24"), DeactivationDate: day(t, "2025-12-31"), LastChanged: seatNow}
		}, "licenseId")
	})
	t.Run("one user, 64 seats", func(t *testing.T) {
		race(t, func(i int) domain.Assignment {
			return domain.Assignment{AccountID: acct.ID, LicenseID: ls[1+i].ID, UserID: us[racers].ID,
				ActivationDate: day(t, "2025-05-01"), DeactivationDate: day(t, "2025-05-31"), LastChanged: seatNow}
		}, "userId")
	})
}
