package seats_test

import (
	"context"
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/adapters/memory"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rules/seats"
	"github.com/entitle-rules/entitle/rulesets"
)

// A partner sets up a company with two seats of CoPilot, and the company
// gives them to its drivers: the third finds none free.
func Example() {
	ctx := context.Background()
	lang, err := rules.NewLanguage(append(orders.Scopes(), seats.Scopes()...)...)
	if err != nil {
		panic(err)
	}
	set, err := lang.Load(rulesets.FS) // 50-seats.yaml declares `context: seats`
	if err != nil {
		panic(err)
	}
	store := memory.New()
	defer store.Close()
	now := time.Date(2018, 6, 11, 12, 0, 0, 0, time.UTC)
	svc, err := seats.New(seats.Options{Store: store, Rules: set, Clock: ports.ClockFunc(func() time.Time { return now })})
	if err != nil {
		panic(err)
	}

	// The partner's token (apiKey alone) creates the company and its seats.
	partner := domain.Principal{Partner: "fleet-partner", Credential: domain.APIKey}
	acct, _ := svc.CreateCompany(ctx, partner, seats.CompanyRequest{Name: "Acme Fleet"})
	_, _ = svc.SetSeats(ctx, partner, seats.SeatsRequest{Alias: acct.Alias, ProductID: "CoPilot", Seats: 2})

	// The company's token (apiKey + alias) adds users and assigns seats.
	company := domain.Principal{Partner: "fleet-partner", Account: fmt.Sprint(acct.ID), Credential: domain.APIKey}
	for _, id := range []string{"driver-1", "driver-2", "driver-3"} {
		_, _ = svc.AddUser(ctx, company, seats.UserInput{ExternalID: id})
	}
	results, _ := svc.Assign(ctx, company, "CoPilot", []string{"driver-1", "driver-2", "driver-3"})
	for _, r := range results {
		if r.OK {
			fmt.Println(r.ExternalID, "Success")
		} else {
			fmt.Println(r.ExternalID, "Fail:", r.Reason, r.Code)
		}
	}
	pool, _ := svc.Pool(ctx, company, "CoPilot")
	fmt.Printf("%s: %d owned, %d assigned\n", acct.Alias, pool.Owned, pool.Assigned)
	// Output:
	// driver-1 Success
	// driver-2 Success
	// driver-3 Fail: no free seat of CoPilot NO_FREE_SEAT
	// acme-fleet: 2 owned, 2 assigned
}
