package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunSeatRaces runs the seat invariants under racers concurrent Updates,
// each of which locks the account (LockAccount), reads the pool the way a
// use case does (domain.PoolOn over Licenses.ByAccount and
// Assignments.ByProduct) and assigns free seats: 64 users asking for the
// last 3 seats get exactly 3; 64 bulk Updates of 5 users against 10 seats
// never put more than 10 in use; the same user assigned from 64 goroutines
// holds exactly one seat.
//
// open2 opens an empty store and a second Store instance on the same data,
// as a second server would open it (PostgreSQL: another pool on the same
// schema); the racers alternate between the two. A store that cannot be
// opened twice on the same data returns the same store twice (OneStore).
// Both are closed when each subtest ends.
func RunSeatRaces(t *testing.T, open2 func(t *testing.T) (ports.Store, ports.Store)) {
	for _, c := range []struct {
		name string
		test func(*testing.T, [2]ports.Store)
	}{
		{"SeatRace/LastSeats", raceLastSeats},
		{"SeatRace/BulkNeverExceeds", raceBulk},
		{"SeatRace/SameUserOneSeat", raceSameUser},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := open2(t)
			t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
			c.test(t, [2]ports.Store{a, b})
		})
	}
}

// OneStore adapts open to RunSeatRaces for a store that is its own second
// instance.
func OneStore(open func(t *testing.T) ports.Store) func(t *testing.T) (ports.Store, ports.Store) {
	return func(t *testing.T) (ports.Store, ports.Store) {
		s := open(t)
		return s, s
	}
}

// raceDay is the day the racers assign seats from.
func raceDay(tb testing.TB) domain.Date { return day(tb, "2025-04-24") }

// errNoSeat is how a racer's Update gives up when the pool has no free seat.
var errNoSeat = errors.New("no free seat")

// seatPool makes an account with owned CoPilot seats, the first inUse of
// them assigned to users of their own, and users more users without a seat.
func seatPool(tb testing.TB, s ports.Store, owned, inUse, users int) (domain.Account, []domain.User) {
	tb.Helper()
	a := newAccount(tb, s, account("partner-a", "acme-fleet"))
	ls := newSeats(tb, s, seats(tb, a.ID, coPilot, owned, "2025-01-01", "2025-12-31"))
	holders := make([]domain.User, inUse)
	for i := range holders {
		holders[i] = seatUser(a.ID, fmt.Sprintf("holder-%d", i))
	}
	holders = newUsers(tb, s, holders...)
	for i, u := range holders {
		mustAssign(tb, s, assignment(tb, ls[i], u, raceDay(tb).String(), "2025-12-31"))
	}
	us := make([]domain.User, users)
	for i := range us {
		us[i] = seatUser(a.ID, fmt.Sprintf("driver-%d", i))
	}
	return a, newUsers(tb, s, us...)
}

// assignFree is what an Assign use case does in its Update for each of
// externalIDs: find the user, keep a seat the user holds, else give it the
// first free seat until the term ends. It returns how many users got a new
// seat, and errNoSeat when none was free for the first user still without
// one (the users before it keep theirs: a bulk call applies what passes).
func assignFree(ctx context.Context, tx ports.Tx, accountID int64, on domain.Date, externalIDs ...string) (int, error) {
	if err := tx.LockAccount(ctx, accountID); err != nil {
		return 0, err
	}
	pool, err := poolOn(ctx, tx, accountID, on)
	if err != nil {
		return 0, err
	}
	ls, err := tx.Licenses().ByAccount(ctx, accountID, coPilot, on)
	if err != nil {
		return 0, err
	}
	expires := map[int64]domain.Date{}
	for _, l := range ls {
		expires[l.ID] = l.Expires
	}
	got := 0
	for _, ext := range externalIDs {
		u, err := tx.Users().ByExternalID(ctx, accountID, ext)
		if err != nil {
			return got, err
		}
		if _, holds := pool.Holder[u.ID]; holds {
			continue
		}
		if len(pool.Free) == 0 {
			return got, errNoSeat
		}
		lic := pool.Free[0]
		a := domain.Assignment{AccountID: accountID, LicenseID: lic, UserID: u.ID, ProductID: coPilot,
			ActivationDate: on, DeactivationDate: expires[lic], LastChanged: stamp()}
		if err := tx.Assignments().Create(ctx, &a); err != nil {
			return got, err
		}
		pool.Free, pool.Holder[u.ID] = pool.Free[1:], lic
		got++
	}
	return got, nil
}

func poolOn(ctx context.Context, tx ports.Tx, accountID int64, on domain.Date) (domain.Pool, error) {
	return poolOf(ctx, tx, accountID, coPilot, on)
}

// racerErr fails tb unless err is nil, errNoSeat, or CodeConflict (a store
// whose constraint caught what the lock should have).
func racerErr(tb testing.TB, i int, err error) {
	tb.Helper()
	if err != nil && !errors.Is(err, errNoSeat) && domain.ErrorCode(err) != domain.CodeConflict {
		tb.Errorf("racer %d: %v (code %q), want success, no free seat or %q", i, err, domain.ErrorCode(err), domain.CodeConflict)
	}
}

// checkPool fails tb unless the account's CoPilot pool has inUse seats in
// use and the stored assignments keep both invariants.
func checkPool(tb testing.TB, s ports.Store, accountID int64, inUse int) {
	tb.Helper()
	ctx := tb.Context()
	pool := read(tb, s, func(tx ports.Tx) (domain.Pool, error) { return poolOn(ctx, tx, accountID, raceDay(tb)) })
	if pool.Assigned != inUse || pool.Assigned > pool.Owned {
		tb.Errorf("after the race %d of %d seats are in use, want %d", pool.Assigned, pool.Owned, inUse)
	}
	all := findAssignments(tb, s, domain.AssignmentQuery{AccountID: accountID})
	if err := domain.CheckAssignments(all); err != nil {
		tb.Errorf("after the race the assignments break an invariant: %v", err)
	}
	if len(all) != inUse {
		tb.Errorf("after the race %d assignments are stored, want %d", len(all), inUse)
	}
}

// raceLastSeats: racers users, each alone, ask for the last 3 of 10 seats.
func raceLastSeats(t *testing.T, ss [2]ports.Store) {
	ctx := t.Context()
	a, us := seatPool(t, ss[0], 10, 7, racers)
	var won atomic.Int32
	var wg sync.WaitGroup
	for i, u := range us {
		wg.Go(func() {
			var n int
			err := ss[i%2].Update(ctx, func(tx ports.Tx) (err error) {
				n, err = assignFree(ctx, tx, a.ID, raceDay(t), u.ExternalID)
				return err
			})
			racerErr(t, i, err)
			if err == nil {
				won.Add(int32(n))
			}
		})
	}
	wg.Wait()
	if n := won.Load(); n != 3 {
		t.Errorf("%d racers got a seat, want exactly 3", n)
	}
	checkPool(t, ss[1], a.ID, 10)
}

// raceBulk: racers bulk Updates of 5 users each against 10 free seats; each
// applies the users that get a seat.
func raceBulk(t *testing.T, ss [2]ports.Store) {
	ctx := t.Context()
	const perCall = 5
	a, us := seatPool(t, ss[0], 10, 0, racers*perCall)
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			ids := make([]string, perCall)
			for j := range ids {
				ids[j] = us[i*perCall+j].ExternalID
			}
			var n int
			err := ss[i%2].Update(ctx, func(tx ports.Tx) (err error) {
				n, err = assignFree(ctx, tx, a.ID, raceDay(t), ids...)
				if errors.Is(err, errNoSeat) {
					return nil // the bulk call keeps the users that passed
				}
				return err
			})
			racerErr(t, i, err)
			if err == nil {
				won.Add(int32(n))
			}
		})
	}
	wg.Wait()
	if n := won.Load(); n != 10 {
		t.Errorf("the bulk calls placed %d users, want exactly 10", n)
	}
	checkPool(t, ss[1], a.ID, 10)
}

// raceSameUser: racers assign the same user, each spelling its externalId
// in its own case; the user ends up with exactly one seat.
func raceSameUser(t *testing.T, ss [2]ports.Store) {
	ctx := t.Context()
	a, us := seatPool(t, ss[0], 10, 2, 1)
	u := us[0]
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			ext := u.ExternalID
			if i%2 == 1 {
				ext = strings.ToUpper(ext)
			}
			var n int
			err := ss[i%2].Update(ctx, func(tx ports.Tx) (err error) {
				n, err = assignFree(ctx, tx, a.ID, raceDay(t), ext)
				return err
			})
			racerErr(t, i, err)
			if err == nil {
				won.Add(int32(n))
			}
		})
	}
	wg.Wait()
	if n := won.Load(); n != 1 {
		t.Errorf("%d racers gave the user a seat, want exactly 1", n)
	}
	held := read(t, ss[1], func(tx ports.Tx) ([]domain.Assignment, error) {
		return tx.Assignments().ByUser(ctx, a.ID, u.ID, raceDay(t))
	})
	if len(held) != 1 {
		t.Errorf("the user holds %d seats, want 1: %+v", len(held), held)
	}
	checkPool(t, ss[1], a.ID, 3)
}
