package fuzz_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/fuzz"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rulesets"
)

var accountRules = sync.OnceValues(func() (*rules.Set, error) { return accounts.Language().Load(rulesets.FS) })

type seqIDs struct{ n atomic.Int64 }

func (s *seqIDs) NewID() string { return fmt.Sprintf("id-%d", s.n.Add(1)) }

const billingSKU = "TS-LOC-COARSE-CellID-Aggr"

func accountsService(t *rapid.T, store ports.Store, clk ports.Clock) *accounts.Service {
	set, err := accountRules()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := accounts.New(accounts.Options{Store: store, Rules: set, Clock: clk, IDs: &seqIDs{}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func session(a domain.Account) domain.Principal {
	return domain.Principal{Partner: a.PartnerID, Account: strconv.FormatInt(a.ID, 10), Credential: domain.Session}
}

// TestManagedLinkInvariant runs random add, provision and cancel sequences
// from three primaries on four managed accounts through the use cases on the
// memory store, and checks after every step that no account is managed by
// two primaries at once, that an add's Success means the account is live
// with that primary, and that a provision or cancel succeeds only on the
// live link of the primary it names with that link's TxId.
func TestManagedLinkInvariant(t *testing.T) {
	if *rulesetDir != "" {
		t.Skip("the accounts properties run on the shipped rule files")
	}
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		store := memory.New()
		defer store.Close()
		svc := accountsService(t, store, &testClock{t: time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)})
		loc := []string{"Location"}
		var prim, man []domain.Account
		err := store.Update(ctx, func(tx ports.Tx) error {
			for i := range 3 {
				a := domain.Account{PartnerID: "tc", Alias: fmt.Sprintf("10000000%02d-00001", i), Services: loc, SKUs: []string{billingSKU}, Activated: true}
				if err := tx.Accounts().Create(ctx, &a); err != nil {
					return err
				}
				prim = append(prim, a)
			}
			for i := range 4 {
				a := domain.Account{PartnerID: "tc", Alias: fmt.Sprintf("20000000%02d-00001", i), Services: loc, Activated: true}
				if err := tx.Accounts().Create(ctx, &a); err != nil {
					return err
				}
				man = append(man, a)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var txids []string
		for step, op := range fuzz.ManagedOps(len(prim), len(man), 30).Draw(t, "ops") {
			p := prim[op.Primary]
			switch op.Kind {
			case fuzz.OpAddManaged:
				r := accounts.AddRequest{AccountName: p.Alias, ServiceName: "Location", Type: billingSKU}
				for _, m := range op.Managed {
					r.ManagedAccList = append(r.ManagedAccList, man[m].Alias)
				}
				res, err := svc.AddManaged(ctx, session(p), r)
				if err != nil {
					t.Fatalf("step %d %v: %v", step, op, err)
				}
				txids = append(txids, res.TxID)
				for _, st := range res.StatusList {
					l, err := liveLink(ctx, store, st.ID)
					if st.Status == "Success" && (err != nil || l.Primary != p.Alias) {
						t.Fatalf("step %d %v: %s Success but live link %+v, %v", step, op, st.ID, l, err)
					}
				}
			default:
				m := man[op.Managed[0]]
				tx := "none"
				if len(txids) > 0 {
					tx = txids[op.TxFrom%len(txids)]
				}
				before, lerr := liveLink(ctx, store, m.Alias)
				r := accounts.LinkRequest{AccountName: m.Alias, PAccountName: p.Alias, ServiceName: "Location", Type: billingSKU, TxID: tx}
				call := svc.Provision
				if op.Kind == fuzz.OpCancel {
					call = svc.Cancel
				}
				res, err := call(ctx, session(m), r)
				if err != nil {
					t.Fatalf("step %d %v: %v", step, op, err)
				}
				ok := lerr == nil && before.Primary == p.Alias && before.TxID == tx
				if (res.Status == "Success") != ok {
					t.Fatalf("step %d %v: %+v, but the live link before was %+v (%v)", step, op, res, before, lerr)
				}
			}
			var all []domain.ManagedLink
			err := store.View(ctx, func(tx ports.Tx) error {
				for _, p := range prim {
					ls, err := tx.ManagedLinks().ByPrimary(ctx, p.Alias, "Location")
					if err != nil {
						return err
					}
					all = append(all, ls...)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := fuzz.CheckManagedLinks(all); err != nil {
				t.Fatalf("step %d %v: %v", step, op, err)
			}
		}
	})
}

func liveLink(ctx context.Context, store ports.Store, managed string) (domain.ManagedLink, error) {
	var l domain.ManagedLink
	err := store.View(ctx, func(tx ports.Tx) error {
		var err error
		l, err = tx.ManagedLinks().Live(ctx, managed, "Location")
		return err
	})
	return l, err
}

// TestBlockedStateProperty: accounts with random block histories, then
// random block, unblock and schedule requests as the clock moves on; after
// each, a read at random instants agrees with the reference function of the
// records, a successful block shows blocked now, an unblock not blocked now,
// and a schedule not blocked before its instant (when it was not) and
// blocked from it.
func TestBlockedStateProperty(t *testing.T) {
	if *rulesetDir != "" {
		t.Skip("the accounts properties run on the shipped rule files")
	}
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		t0 := time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)
		clk := &testClock{t: t0}
		store := memory.New()
		defer store.Close()
		svc := accountsService(t, store, clk)
		a := fuzz.GPSAccount("gps", 11111, t0).Draw(t, "account")
		if err := store.Update(ctx, func(tx ports.Tx) error { return tx.Accounts().Create(ctx, &a) }); err != nil {
			t.Fatal(err)
		}
		p := domain.Principal{Partner: "gps", Credential: domain.AccessToken}
		for step := range rapid.IntRange(1, 12).Draw(t, "steps") {
			clk.mu.Lock()
			clk.t = clk.t.Add(time.Duration(rapid.IntRange(0, 7200).Draw(t, "advance")) * time.Second)
			now := clk.t
			clk.mu.Unlock()
			var got domain.Account
			var err error
			action := rapid.SampledFrom([]string{"block", "unblock", "schedule"}).Draw(t, "action")
			at := now.Add(time.Duration(rapid.IntRange(-600, 7200).Draw(t, "lead")) * time.Second).Truncate(time.Second)
			switch action {
			case "block":
				got, err = svc.SetBlocked(ctx, p, a.ID, true)
			case "unblock":
				got, err = svc.SetBlocked(ctx, p, a.ID, false)
			default:
				got, err = svc.SetBlockedAt(ctx, p, a.ID, at)
			}
			refused := action != "unblock" && (!a.Activated || a.Type != domain.AccountManaged || (action == "schedule" && at.Before(now)))
			if refused != (err != nil) {
				t.Fatalf("step %d %s (activated %v, type %d, at %v now %v): err %v", step, action, a.Activated, a.Type, at, now, err)
			}
			if err == nil {
				switch {
				case action == "block" && !got.BlockedAt(now):
					t.Fatalf("step %d: blocked, yet not blocked now: %+v", step, got.Blocks)
				case action == "unblock" && got.BlockedAt(now):
					t.Fatalf("step %d: unblocked, yet blocked now: %+v", step, got.Blocks)
				case action == "schedule" && !got.BlockedAt(at):
					t.Fatalf("step %d: scheduled at %v, yet not blocked then: %+v", step, at, got.Blocks)
				}
			}
			read, err := svc.Account(ctx, p, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			var instants []time.Time
			for range 8 {
				instants = append(instants, t0.Add(time.Duration(rapid.IntRange(-72*3600, 72*3600).Draw(t, "instant"))*time.Second))
			}
			if err := fuzz.CheckBlocked(&read, append(instants, now)...); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			a = read
		}
	})
}

// TestNoCrossPartnerRead: two partners' accounts; every account operation
// by either partner on any id succeeds only on its own accounts, and on
// another's is CodeNotFound, exactly as for an id no one has.
func TestNoCrossPartnerRead(t *testing.T) {
	if *rulesetDir != "" {
		t.Skip("the accounts properties run on the shipped rule files")
	}
	ctx := context.Background()
	rapid.Check(t, func(t *rapid.T) {
		t0 := time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)
		store := memory.New()
		defer store.Close()
		svc := accountsService(t, store, &testClock{t: t0})
		owner := map[int64]string{}
		err := store.Update(ctx, func(tx ports.Tx) error {
			for i := range 6 {
				partner := []string{"p1", "p2"}[i%2]
				a := fuzz.GPSAccount(partner, int64(100+i), t0).Draw(t, "account")
				if err := tx.Accounts().Create(ctx, &a); err != nil {
					return err
				}
				owner[a.ID] = partner
				if err := tx.Plans().Put(ctx, domain.ClientPlan{ID: "plan-" + partner, PartnerID: partner, AppID: fuzz.AppForguard}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			partner := rapid.SampledFrom([]string{"p1", "p2"}).Draw(t, "partner")
			p := domain.Principal{Partner: partner, Credential: domain.AccessToken}
			id := int64(rapid.IntRange(99, 106).Draw(t, "id"))
			var err error
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0:
				_, err = svc.Account(ctx, p, id)
			case 1:
				_, err = svc.SetBlocked(ctx, p, id, rapid.Bool().Draw(t, "blocked"))
			case 2:
				_, err = svc.SetBlockedAt(ctx, p, id, t0.Add(time.Hour))
			case 3:
				_, err = svc.SetClientPlan(ctx, p, id, "plan-"+rapid.SampledFrom([]string{"p1", "p2"}).Draw(t, "plan"), fuzz.AppForguard)
			case 4:
				_, err = svc.Subscriptions(ctx, p, id)
			case 5:
				_, err = svc.Limits(ctx, p, id, rapid.SampledFrom(fuzz.Apps).Draw(t, "app"))
			}
			if owner[id] != partner {
				if domain.ErrorCode(err) != domain.CodeNotFound {
					t.Fatalf("%s reached account %d of %q: %v", partner, id, owner[id], err)
				}
				var de *domain.Error
				if e, ok := err.(*domain.Error); ok {
					de = e
				}
				if de == nil || de.Field != "id" || de.Message != fmt.Sprintf("no account %d", id) {
					t.Fatalf("another partner's account %d is told apart from no account: %v", id, err)
				}
			}
		}
		counts := map[string]int{}
		for _, p := range owner {
			counts[p]++
		}
		for _, partner := range []string{"p1", "p2"} {
			n, err := svc.Count(ctx, domain.Principal{Partner: partner, Credential: domain.AccessToken}, domain.AccountQuery{PartnerID: "p1"})
			if err != nil || n != counts[partner] {
				t.Fatalf("Count for %s = %d, %v; want its own %d", partner, n, err, counts[partner])
			}
		}
	})
}

// TestAccountGenerators: the generators make what they say.
func TestAccountGenerators(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)
		a := fuzz.GPSAccount("gps", 7, now).Draw(t, "account")
		if a.ID != 7 || a.PartnerID != "gps" || len(a.RegApps) == 0 {
			t.Fatalf("GPSAccount = %+v", a)
		}
		if !a.Activated && len(a.Blocks) > 0 {
			t.Fatalf("an account not activated has block records %+v", a.Blocks)
		}
		if err := fuzz.CheckBlocked(&a, now, now.Add(-time.Hour), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for app := range a.Plans {
			if !a.HasApp(app) {
				t.Fatalf("a plan of app %s the account has not", app)
			}
		}
		name := fuzz.BillingAccountName().Draw(t, "name")
		if name == "" {
			t.Fatal("an empty account name")
		}
		p := fuzz.ClientPlan("gps").Draw(t, "plan")
		if len(p.ID) != 20 || p.PartnerID != "gps" {
			t.Fatalf("ClientPlan = %+v", p)
		}
	})
	// CheckManagedLinks finds two live links of one account, whatever the case of its name.
	two := []domain.ManagedLink{
		{ID: 1, Primary: "1000000000-00001", Managed: "2000000000-00001", Service: "Location", State: domain.LinkActivated},
		{ID: 2, Primary: "1000000001-00001", Managed: "2000000000-00001", Service: "Location", State: domain.LinkAdded},
	}
	if domain.ErrorCode(fuzz.CheckManagedLinks(two)) != domain.CodeInvalid {
		t.Error("CheckManagedLinks missed two live links")
	}
	two[0].State = domain.LinkCanceled
	if err := fuzz.CheckManagedLinks(two); err != nil {
		t.Errorf("CheckManagedLinks on one live link: %v", err)
	}
}
