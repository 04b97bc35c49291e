package accounts_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/accounts"
)

// TestAddRaceLeavesOneLink: 64 adds of one account from two primaries at
// once; the account ends with exactly one live link, and every add that
// says Success is of the primary holding it.
func TestAddRaceLeavesOneLink(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	primaries := []string{"1234567890-00001", "5556667777-00001"}
	var wg sync.WaitGroup
	results := make([]accounts.AddResult, 64)
	errs := make([]error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := primaries[i%2]
			results[i], errs[i] = w.svc.AddManaged(ctx, w.session(p), accounts.AddRequest{
				AccountName: p, ServiceName: "Location", Type: sku, ManagedAccList: []string{"1223334444-00001"}})
		}()
	}
	wg.Wait()
	l, ok := w.live(t, "1223334444-00001")
	if !ok {
		t.Fatal("no live link after 64 adds")
	}
	var all []domain.ManagedLink
	err := w.store.View(ctx, func(tx ports.Tx) error {
		for _, p := range primaries {
			ls, err := tx.ManagedLinks().ByPrimary(ctx, p, "Location")
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
	if len(all) != 1 {
		t.Errorf("%d links were made, want 1: %+v", len(all), all)
	}
	wins := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("add %d: %v", i, errs[i])
		}
		st := r.StatusList[0]
		if st.Status == "Success" {
			wins++
			if primaries[i%2] != l.Primary {
				t.Errorf("add %d by %s says %+v but %s holds the account", i, primaries[i%2], st, l.Primary)
			}
		} else if st.Reason != "Account is managed by another primary account" {
			t.Errorf("add %d: %+v", i, st)
		}
	}
	if wins != 32 {
		t.Errorf("%d adds succeeded, want the 32 of the winning primary", wins)
	}
}

// TestProvisionRace: 64 provisions and cancels of one link at once leave it
// in one state, and at most one cancel succeeds.
func TestProvisionRace(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	add, err := w.svc.AddManaged(ctx, w.session("1234567890-00001"), seedAdd(t))
	if err != nil {
		t.Fatal(err)
	}
	m := w.session("2334445555-00001")
	req := accounts.LinkRequest{AccountName: "2334445555-00001", PAccountName: "1234567890-00001", ServiceName: "Location", Type: sku, TxID: add.TxID}
	var wg sync.WaitGroup
	var mu sync.Mutex
	cancels := 0
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op := w.svc.Provision
			if i%8 == 7 {
				op = w.svc.Cancel
			}
			r, err := op(ctx, m, req)
			if err != nil {
				t.Error(err)
				return
			}
			if i%8 == 7 && r.Status == "Success" {
				mu.Lock()
				cancels++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if cancels != 1 {
		t.Errorf("%d cancels succeeded, want 1", cancels)
	}
	if _, ok := w.live(t, "2334445555-00001"); ok {
		t.Error("the link is live after a successful cancel")
	}
}

// BenchmarkAddManaged adds 3 (seed 002's request) and 1,000 accounts per
// call on the memory store; each iteration's links are cancelled outside
// the timer so the next adds them again.
func BenchmarkAddManaged(b *testing.B) {
	for _, n := range []int{3, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			w := newWorld(b)
			ctx := context.Background()
			names := make([]string, n)
			err := w.store.Update(ctx, func(tx ports.Tx) error {
				for i := range names {
					names[i] = fmt.Sprintf("8%09d-00001", i)
					a := domain.Account{PartnerID: "billing-client", Alias: names[i], Services: []string{"Location"}, Activated: true}
					if err := tx.Accounts().Create(ctx, &a); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			p := w.session("1234567890-00001")
			r := accounts.AddRequest{AccountName: "1234567890-00001", ServiceName: "Location", Type: sku, ManagedAccList: names}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := w.svc.AddManaged(ctx, p, r)
				if err != nil || res.StatusList[n-1].Reason != "Success" {
					b.Fatalf("%+v %v", res.StatusList[n-1], err)
				}
				b.StopTimer()
				err = w.store.Update(ctx, func(tx ports.Tx) error {
					ls, err := tx.ManagedLinks().ByTxID(ctx, res.TxID)
					for _, l := range ls {
						if err == nil {
							err = tx.ManagedLinks().SetState(ctx, l.ID, domain.LinkCanceled, t0)
						}
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
