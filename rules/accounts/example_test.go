package accounts_test

import (
	"context"
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/accounts"
	"github.com/entitle-rules/entitle/rulesets"
)

// Example runs seed 002's add request and seed 003's scheduled block on a
// memory store: the block takes effect at its instant with nothing run.
func Example() {
	ctx := context.Background()
	lang := accounts.Language() // or rules.NewLanguage(append(seats.Scopes(), accounts.Scopes()...)...)
	set, err := lang.Load(rulesets.FS)
	if err != nil {
		panic(err)
	}
	store := memory.New()
	now := time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC)
	clock := &clock{t: now}
	n := 0
	ids := ports.IDsFunc(func() string { n++; return fmt.Sprintf("tx-%d", n) })
	svc, err := accounts.New(accounts.Options{Store: store, Rules: set, Clock: clock, IDs: ids})
	if err != nil {
		panic(err)
	}
	_ = store.Update(ctx, func(tx ports.Tx) error {
		for _, a := range []domain.Account{
			{PartnerID: "billing-client", Alias: "1234567890-00001", Services: []string{"Location"}, SKUs: []string{"TS-LOC-COARSE-CellID-Aggr"}},
			{PartnerID: "billing-client", Alias: "1223334444-00001", Services: []string{"Location"}},
			{ID: 11111, PartnerID: "gps-partner", Alias: "forguard-11111", Type: domain.AccountManaged, Activated: true,
				RegApps: []string{"b901da51-ce00-4af2-b978-8d0fca8ae1ea"}},
		} {
			if err := tx.Accounts().Create(ctx, &a); err != nil {
				return err
			}
		}
		return nil
	})

	primary := domain.Principal{Partner: "billing-client", Account: "1", Credential: domain.Session}
	res, err := svc.AddManaged(ctx, primary, accounts.AddRequest{AccountName: "1234567890-00001", ServiceName: "Location",
		Type: "TS-LOC-COARSE-CellID-Aggr", ManagedAccList: []string{"1223334444-00001", "1223334444-0001"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.TxID, res.StatusList)

	gps := domain.Principal{Partner: "gps-partner", Credential: domain.AccessToken}
	a, err := svc.SetBlockedAt(ctx, gps, 11111, time.Unix(1748120400, 0))
	if err != nil {
		panic(err)
	}
	at, _ := a.ScheduledBlock(now)
	fmt.Println("blocked now:", a.BlockedAt(now), "blocked_at:", at.Unix())
	clock.set(at)
	a, _ = svc.Account(ctx, gps, 11111)
	fmt.Println("blocked at 1748120400:", a.BlockedAt(clock.Now()))
	// Output:
	// tx-1 [{1223334444-00001 Success Success} {1223334444-0001 Fail Invalid account name}]
	// blocked now: false blocked_at: 1748120400
	// blocked at 1748120400: true
}
