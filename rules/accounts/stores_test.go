package accounts_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// storeKind opens the Store instances of one kind that share one state: one
// for memory and SQLite (a single writer), two for PostgreSQL (two servers
// on one database).
type storeKind struct {
	name string
	open func(tb testing.TB) []ports.Store
}

// everyStore lists the stores the use case runs on here; PostgreSQL when
// ENTITLE_POSTGRES_DSN is set.
func everyStore(tb testing.TB) []storeKind {
	kinds := []storeKind{
		{"memory", func(tb testing.TB) []ports.Store {
			s := memory.New()
			tb.Cleanup(func() { s.Close() })
			return []ports.Store{s}
		}},
		{"sqlite", func(tb testing.TB) []ports.Store {
			s, err := sqlite.Open(filepath.Join(tb.TempDir(), "accounts.db"), sqlite.Options{})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			return []ports.Store{s}
		}},
	}
	dsn := os.Getenv("ENTITLE_POSTGRES_DSN")
	if dsn == "" {
		tb.Logf("ENTITLE_POSTGRES_DSN is not set: the PostgreSQL cases are skipped")
		return kinds
	}
	return append(kinds, storeKind{"postgres", func(tb testing.TB) []ports.Store {
		schema := "entitle_test_" + strings.ToLower(rand.Text())
		tb.Cleanup(func() {
			conn, err := pgx.Connect(context.Background(), dsn)
			if err != nil {
				tb.Errorf("dropping schema %s: %v", schema, err)
				return
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
				tb.Errorf("dropping schema %s: %v", schema, err)
			}
		})
		var out []ports.Store
		for range 2 {
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { s.Close() })
			out = append(out, s)
		}
		return out
	}})
}

// servicesOn is a world on the first of stores, with a service on each
// sharing its clock and ids.
func servicesOn(tb testing.TB, stores []ports.Store) (*world, []*accounts.Service) {
	tb.Helper()
	w := newWorldOn(tb, stores[0])
	svcs := []*accounts.Service{w.svc}
	for _, s := range stores[1:] {
		svc, err := accounts.New(accounts.Options{Store: s, Rules: shippedRules(tb), Clock: w.clock, IDs: w.ids})
		if err != nil {
			tb.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	return w, svcs
}

// TestSeedFlowsOnEveryStore: seed 002's add, a provision and a cancel, and
// seed 003's schedule read at its instant, on memory, SQLite and PostgreSQL.
func TestSeedFlowsOnEveryStore(t *testing.T) {
	for _, k := range everyStore(t) {
		t.Run(k.name, func(t *testing.T) {
			w, _ := servicesOn(t, k.open(t))
			ctx := context.Background()
			add, err := w.svc.AddManaged(ctx, w.session("1234567890-00001"), seedAdd(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range add.StatusList {
				if st.Status != "Success" || st.Reason != "Success" {
					t.Errorf("%+v", st)
				}
			}
			req := accounts.LinkRequest{AccountName: "1223334444-00001", PAccountName: "1234567890-00001", ServiceName: "Location", Type: sku, TxID: add.TxID}
			if r, err := w.svc.Provision(ctx, w.session("1223334444-00001"), req); err != nil || r.Status != "Success" {
				t.Fatalf("Provision = %+v, %v", r, err)
			}
			req.AccountName, req.TxID = "2334445555-00001", "wrong"
			if r, err := w.svc.Cancel(ctx, w.session("2334445555-00001"), req); err != nil || r.Reason != "Invalid TxId" {
				t.Fatalf("Cancel with another TxId = %+v, %v", r, err)
			}
			list, err := w.svc.ManagedAccounts(ctx, w.session("1234567890-00001"), "1234567890-00001", "Location", "")
			if err != nil || len(list.Provisioned) != 1 || len(list.Added) != 2 {
				t.Fatalf("list = %+v, %v", list, err)
			}

			gps := partner("gps-partner")
			at := time.Unix(seed003BlockedAt, 0)
			if _, err := w.svc.SetBlockedAt(ctx, gps, 11111, at); err != nil {
				t.Fatal(err)
			}
			w.clock.set(at)
			a, err := w.svc.Account(ctx, gps, 11111)
			if err != nil || !a.BlockedAt(at) || a.BlockedAt(at.Add(-time.Second)) {
				t.Fatalf("at blocked_at: %+v, %v", a.Blocks, err)
			}
			if _, err := w.svc.Account(ctx, gps, 33333); domain.ErrorCode(err) != domain.CodeNotFound {
				t.Errorf("another partner's account: %v", err)
			}
		})
	}
}

// TestRacesOnEveryStore: 64 adds of one account from two primaries, spread
// over the store instances (two PostgreSQL Stores on one schema), leave one
// live link, and the adds that say Success are all of its primary; then 64
// provisions and cancels of another account's link leave it cancelled with
// exactly one cancel answered Success; and 64 block, unblock and schedule
// requests on one account leave at most one scheduled block (each request
// replaced or cancelled the one before under the account's lock).
func TestRacesOnEveryStore(t *testing.T) {
	for _, k := range everyStore(t) {
		t.Run(k.name, func(t *testing.T) {
			w, svcs := servicesOn(t, k.open(t))
			ctx := context.Background()
			primaries := []string{"1234567890-00001", "5556667777-00001"}
			var wg sync.WaitGroup
			var mu sync.Mutex
			winners := map[string]int{}
			for i := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := primaries[i%2]
					res, err := svcs[(i/2)%len(svcs)].AddManaged(ctx, w.session(p), accounts.AddRequest{
						AccountName: p, ServiceName: "Location", Type: sku, ManagedAccList: []string{"1223334444-00001"}})
					if err != nil {
						t.Error(err)
						return
					}
					if res.StatusList[0].Status == "Success" {
						mu.Lock()
						winners[p]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			l, ok := w.live(t, "1223334444-00001")
			if !ok || len(winners) != 1 || winners[l.Primary] != 32 {
				t.Fatalf("after 64 adds: live %+v (%v), successes by primary %v", l, ok, winners)
			}

			add, err := w.svc.AddManaged(ctx, w.session("1234567890-00001"), accounts.AddRequest{
				AccountName: "1234567890-00001", ServiceName: "Location", Type: sku, ManagedAccList: []string{"2334445555-00001"}})
			if err != nil || add.StatusList[0].Status != "Success" {
				t.Fatalf("add = %+v, %v", add, err)
			}
			req := accounts.LinkRequest{AccountName: "2334445555-00001", PAccountName: "1234567890-00001", ServiceName: "Location", Type: sku, TxID: add.TxID}
			cancels := 0
			for i := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					svc := svcs[i%len(svcs)]
					op := svc.Provision
					if i%4 == 3 {
						op = svc.Cancel
					}
					r, err := op(ctx, w.session("2334445555-00001"), req)
					if err != nil {
						t.Error(err)
						return
					}
					if i%4 == 3 && r.Status == "Success" {
						mu.Lock()
						cancels++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if _, ok := w.live(t, "2334445555-00001"); ok || cancels != 1 {
				t.Errorf("after 64 provisions and cancels: live %v, %d cancels succeeded", ok, cancels)
			}

			gps := partner("gps-partner")
			for i := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					svc := svcs[i%len(svcs)]
					var err error
					switch i % 3 {
					case 0:
						_, err = svc.SetBlocked(ctx, gps, 11111, true)
					case 1:
						_, err = svc.SetBlocked(ctx, gps, 11111, false)
					default:
						_, err = svc.SetBlockedAt(ctx, gps, 11111, t0.Add(time.Duration(i)*time.Minute))
					}
					if err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			a, err := w.svc.Account(ctx, gps, 11111)
			if err != nil {
				t.Fatal(err)
			}
			// Every record is at or after t0, and one block replaced any schedule:
			// at most one record lies after now, and it is a block.
			future := 0
			for _, r := range a.Blocks {
				if r.At.After(t0) {
					future++
					if !r.Blocked {
						t.Errorf("a scheduled unblock: %+v", a.Blocks)
					}
				}
			}
			if future > 1 {
				t.Errorf("%d scheduled blocks after 64 racing requests, want at most one: %+v", future, a.Blocks)
			}
		})
	}
}
