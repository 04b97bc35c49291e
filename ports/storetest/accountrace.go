package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// RunAccountRaces runs the accounts invariants under racers concurrent
// Updates alternating between two Store instances (see RunSeatRaces for
// open2): 64 adds of one managed account from two primaries leave exactly
// one live link, whether a racer reads Live under LockAccount first (as the
// use case does) or only Creates (the store's constraint alone); 64
// provisions (SetState ACTIVATED under LockAccount of the managed account,
// after reading Live), half of them of a cancelled link of the other
// primary, leave one activated link; 64 block, unblock and scheduled block
// records, each read-appended-put under LockAccount, are all kept.
func RunAccountRaces(t *testing.T, open2 func(t *testing.T) (ports.Store, ports.Store)) {
	for _, c := range []struct {
		name string
		test func(*testing.T, [2]ports.Store)
	}{
		{"AccountRace/AddsLeaveOneLiveLink", raceAdds},
		{"AccountRace/ProvisionsLeaveOneActivated", raceProvisions},
		{"AccountRace/BlocksLoseNoRecord", raceBlocks},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := open2(t)
			t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
			c.test(t, [2]ports.Store{a, b})
		})
	}
}

// The two primaries that race for seed 002's first managed account.
var racePrimaries = [2]string{seedPrimary, "9876543210-00001"}

// errManaged is how a racer gives up when the account already has a live
// link.
var errManaged = errors.New("already managed")

// raceManaged creates seed 002's first managed account and returns it.
func raceManaged(tb testing.TB, s ports.Store) domain.Account {
	tb.Helper()
	a := bareAccount("billing-client", seedManaged[0])
	a.Services, a.Activated = []string{location}, true
	return newAccount(tb, s, a)
}

// linkRacerErr fails tb unless err is nil, errManaged or CodeConflict
// naming managedAccList.
func linkRacerErr(tb testing.TB, i int, err error) {
	tb.Helper()
	if err == nil || errors.Is(err, errManaged) {
		return
	}
	if domain.ErrorCode(err) != domain.CodeConflict || fieldOf(err) != "managedAccList" {
		tb.Errorf("racer %d: %v (code %q, field %q), want success, already managed, or %q naming managedAccList",
			i, err, domain.ErrorCode(err), fieldOf(err), domain.CodeConflict)
	}
}

// checkOneLive fails tb unless exactly one of the links of the account is
// live, and it is the one Live returns.
func checkOneLive(tb testing.TB, s ports.Store, managed string, want domain.ManagedLinkState) domain.ManagedLink {
	tb.Helper()
	ctx := tb.Context()
	var all []domain.ManagedLink
	for _, p := range racePrimaries {
		all = append(all, read(tb, s, func(tx ports.Tx) ([]domain.ManagedLink, error) {
			return tx.ManagedLinks().ByPrimary(ctx, p, location)
		})...)
	}
	live := slices.DeleteFunc(slices.Clone(all), func(l domain.ManagedLink) bool { return !l.State.Live() })
	if len(live) != 1 {
		tb.Fatalf("after the race %d links of %s are live, want exactly 1: %+v", len(live), managed, live)
	}
	if live[0].State != want {
		tb.Errorf("after the race the live link is %s, want %s", live[0].State, want)
	}
	got, err := liveLink(tb, s, managed)
	if err != nil || got.ID != live[0].ID {
		tb.Errorf("Live after the race: link %d (%v), want %d", got.ID, err, live[0].ID)
	}
	return live[0]
}

// raceAdds: racers add the same account, alternating primaries and stores;
// even racers do what the add use case does (lock the managed account, read
// Live, create when there is none), odd racers only Create, without the
// lock, so the store's constraint alone must refuse all but one.
func raceAdds(t *testing.T, ss [2]ports.Store) {
	ctx := t.Context()
	m := raceManaged(t, ss[0])
	var created atomic.Int32
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			err := ss[i%2].Update(ctx, func(tx ports.Tx) error {
				l := link(racePrimaries[i/2%2], m.Alias, fmt.Sprintf("tx-%d", i))
				if i%2 == 0 {
					if err := tx.LockAccount(ctx, m.ID); err != nil {
						return err
					}
					if _, err := tx.ManagedLinks().Live(ctx, m.Alias, location); err == nil {
						return errManaged
					} else if domain.ErrorCode(err) != domain.CodeNotFound {
						return err
					}
				}
				return tx.ManagedLinks().Create(ctx, &l)
			})
			linkRacerErr(t, i, err)
			if err == nil {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	if n := created.Load(); n != 1 {
		t.Errorf("%d racers created a link, want exactly 1", n)
	}
	checkOneLive(t, ss[1], m.Alias, domain.LinkAdded)
}

// raceProvisions: one primary's link is live (ADDED), the other's was
// cancelled; racers provision, alternating between the two links and the
// two stores. A racer locks the managed account, reads Live, and activates
// its link unless the live link is already activated; a racer of the
// cancelled link whose Live names the other link tries anyway, so the
// store must refuse it. Exactly one racer activates, and one link is live.
func raceProvisions(t *testing.T, ss [2]ports.Store) {
	ctx := t.Context()
	m := raceManaged(t, ss[0])
	old := mustLink(t, ss[0], link(racePrimaries[1], m.Alias, "tx-old"))
	if err := setState(t, ss[0], old.ID, domain.LinkCanceled, stamp().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	cur := mustLink(t, ss[0], link(racePrimaries[0], m.Alias, "tx-current"))
	var activated atomic.Int32
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			mine := []domain.ManagedLink{cur, old}[i/2%2]
			err := ss[i%2].Update(ctx, func(tx ports.Tx) error {
				if err := tx.LockAccount(ctx, m.ID); err != nil {
					return err
				}
				live, err := tx.ManagedLinks().Live(ctx, m.Alias, location)
				if err != nil {
					return err
				}
				if live.ID == mine.ID && live.State == domain.LinkActivated {
					return errManaged
				}
				return tx.ManagedLinks().SetState(ctx, mine.ID, domain.LinkActivated, stamp().Add(time.Hour))
			})
			linkRacerErr(t, i, err)
			if err == nil {
				if mine.ID != cur.ID {
					t.Errorf("racer %d activated the cancelled link while another was live", i)
				}
				activated.Add(1)
			}
		})
	}
	wg.Wait()
	if n := activated.Load(); n != 1 {
		t.Errorf("%d racers activated a link, want exactly 1", n)
	}
	if l := checkOneLive(t, ss[1], m.Alias, domain.LinkActivated); l.ID != cur.ID {
		t.Errorf("after the race link %d is live, want %d", l.ID, cur.ID)
	}
}

// raceBlocks: racers each append one record (a block now, an unblock now, or
// a block scheduled later) to one account under LockAccount; every record
// is kept, and the account reads as its records say.
func raceBlocks(t *testing.T, ss [2]ports.Store) {
	ctx := t.Context()
	a := newAccount(t, ss[0], gpsAccount("gps-partner", "11111"))
	a.Blocks = nil
	update(t, ss[0], func(tx ports.Tx) error { return tx.Accounts().Put(ctx, a) })
	want := make([]domain.BlockRecord, racers)
	var wg sync.WaitGroup
	for i := range racers {
		r := domain.BlockRecord{Blocked: i%3 != 1, At: stamp().Add(time.Duration(i) * time.Minute)}
		if i%3 == 2 {
			r.At = r.At.Add(24 * time.Hour) // scheduled
		}
		want[i] = r
		wg.Go(func() {
			if err := ss[i%2].Update(ctx, func(tx ports.Tx) error { return appendBlock(ctx, tx, a.ID, r) }); err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got := getAccount(t, ss[1], a.ID)
	byInstant := func(x, y domain.BlockRecord) int { return x.At.Compare(y.At) }
	gotSorted := slices.SortedStableFunc(slices.Values(got.Blocks), byInstant)
	slices.SortStableFunc(want, byInstant)
	same(t, "the block records after the race", want, gotSorted)
	for i := range racers + 1 {
		at := stamp().Add(time.Duration(i)*time.Minute + 30*time.Second)
		if b, w := got.BlockedAt(at), blockedAt(want, at); b != w {
			t.Errorf("at %s the account reads blocked %v, its records say %v", at, b, w)
		}
	}
	// The rest of the account is as it was before the race.
	got.Blocks, a.Blocks = nil, nil
	same(t, "the account after the race, besides its blocks", a, got)
}
