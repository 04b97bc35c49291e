package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
	"github.com/entitle-rules/entitle/rules/orders"
	"github.com/entitle-rules/entitle/rulesets"
)

// raceNow is 2025-04-24 10:00 PDT, the seed's sample service start.
var raceNow = time.Date(2025, 4, 24, 17, 0, 0, 0, time.UTC)

// raceDataset is the least the orders below need: a reseller of client c1
// with the seed's bill-to and ship-to sites, a price list, a one-year RTX
// part and a 30-day trial part of CENTERPOINT, and the R12 model.
func raceDataset() *dataset.Dataset {
	return &dataset.Dataset{
		Customers: []dataset.CustomerData{{ID: "reseller-1", ClientID: "c1", Name: "Trimble Reseller Americas",
			Region: "AMERICA", Country: "US", Sites: []dataset.SiteData{
				{SiteUseID: 531807, Use: "BILL_TO", Address: "10368 Westmoor Dr, Westminster CO"},
				{SiteUseID: 1912956, Use: "SHIP_TO", Address: "935 Stewart Dr, Sunnyvale CA"},
			}}},
		PriceLists: []dataset.PriceListData{{ID: "usd-na", Currency: "USD", Countries: []string{"US"},
			Items: []dataset.PriceItemData{{PartNumber: "132001-10", ListPrice: "1500.00"}, {PartNumber: "CP-TRIAL-30", ListPrice: "0.00"}}}},
		Parts: []dataset.PartData{
			{PartNumber: "132001-10", Description: "CenterPoint RTX 1 Year", ServiceType: "RTX", ProductLine: "CENTERPOINT",
				Duration: "1 YEAR", Models: []string{"R12"}},
			{PartNumber: "CP-TRIAL-30", Description: "CenterPoint RTX 30 Day Trial", ServiceType: "RTX", ProductLine: "CENTERPOINT",
				Duration: "30 DAY", Trial: true},
		},
		Models: []dataset.ModelData{{Manufacturer: "Trimble", Model: "R12", SerialPattern: "[0-9]{10}"}},
	}
}

// raceOrder is a one-line order of part for serial.
func raceOrder(po, serial, part string) domain.OrderRequest {
	start, _ := domain.ParseDate("2025-04-24")
	return domain.OrderRequest{CustomerPONumber: po, CurrencyCode: "USD", BillToSiteUseID: 531807, ShipToSiteUseID: 1912956,
		BillToContactEmail: "test123@gmail.com", ShipToContactEmail: "test456@gmail.com",
		Lines: []domain.LineRequest{{LineNumber: 1, ServiceStartDate: start, PartNumber: part, SerialNumber: serial,
			ServiceType: "RTX", ManufacturerModel: "R12", AutoRenewal: "Y", ActivationType: "IMMEDIATE"}}}
}

// newEngine is what one `entitle serve` instance runs: its own engine over
// its own Store, with a fixed clock and random ids.
func newEngine(tb testing.TB, s ports.Store) *orders.Service {
	tb.Helper()
	set, err := orders.Language().Load(rulesets.FS)
	if err != nil {
		tb.Fatalf("loading the shipped rulesets: %v", err)
	}
	eng, err := orders.New(orders.Options{Store: s, Rules: set,
		Clock: ports.ClockFunc(func() time.Time { return raceNow }),
		IDs:   ports.IDsFunc(rand.Text)})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// refusedFor reports whether err is a refusal whose every violation has one
// of codes (a *domain.Error of CodeInvalid). A conflict is not: racing
// orders for one serial wait for each other (lock.go), so a client never
// sees one.
func refusedFor(err error, codes ...string) bool {
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalid || len(de.Violations) == 0 {
		return false
	}
	for _, v := range de.Violations {
		ok := false
		for _, c := range codes {
			ok = ok || v.Code == c
		}
		if !ok {
			return false
		}
	}
	return true
}

// TestEngineRacesOnSharedDatabase runs two engines over two Stores on one
// schema, as two `entitle serve` instances share a database, and has 64
// goroutines split across them order the same thing at once: concurrent
// duplicates never double-grant, and concurrent renewals chain.
func TestEngineRacesOnSharedDatabase(t *testing.T) {
	dsn := testDSN(t)
	ctx := t.Context()
	schema := freshSchema(t, dsn)
	engines := []*orders.Service{
		newEngine(t, openStore(t, dsn, postgres.Options{Schema: schema})),
		newEngine(t, openStore(t, dsn, postgres.Options{Schema: schema})),
	}
	if err := seedData(ctx, engines[0], raceDataset()); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	const racers = 64
	// race has racers order part for serial at once, alternating engines,
	// and returns each one's last error. A persistent racer does what the
	// refusal asks ("please try after some time") up to 50 times.
	race := func(serial, part string, persistent bool) []error {
		errs := make([]error, racers)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range racers {
			wg.Go(func() {
				start.Wait()
				for try := 0; ; try++ {
					_, errs[i] = engines[i%2].CreateOrder(ctx, domain.PartnerPrincipal("c1", domain.ClientCredentials), raceOrder(fmt.Sprintf("PO-%s-%d", part, i), serial, part))
					if errs[i] == nil || !persistent || try == 50 || !refusedFor(errs[i], "ORDER_IN_PROGRESS") {
						return
					}
					time.Sleep(time.Duration(1+mrand.IntN(5)) * time.Millisecond)
				}
			})
		}
		start.Done()
		wg.Wait()
		return errs
	}
	timeline := func(serial string) domain.Timeline {
		t.Helper()
		var tl domain.Timeline
		if err := engines[1].Store().View(ctx, func(tx ports.Tx) (err error) {
			tl, err = tx.Subscriptions().BySerial(ctx, serial)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return tl
	}

	t.Run("one trial", func(t *testing.T) {
		const serial = "1234567890"
		accepted := 0
		for i, err := range race(serial, "CP-TRIAL-30", false) {
			switch {
			case err == nil:
				accepted++
			case !refusedFor(err, "ORDER_IN_PROGRESS", "TRIAL_ALREADY_USED"):
				t.Errorf("racer %d: %v (code %q), want ORDER_IN_PROGRESS or TRIAL_ALREADY_USED", i, err, domain.ErrorCode(err))
			}
		}
		if accepted != 1 {
			t.Errorf("%d racing trial orders were accepted, want 1", accepted)
		}
		var grants []domain.TrialGrant
		if err := engines[0].Store().View(ctx, func(tx ports.Tx) (err error) {
			grants, err = tx.Trials().BySerial(ctx, serial)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(grants) != 1 {
			t.Errorf("the trial ledger holds %d grants, want 1: %+v", len(grants), grants)
		}
		if tl := timeline(serial); len(tl) != 1 || tl[0].Kind != domain.Trial {
			t.Errorf("the serial has subscriptions %+v, want one trial", tl)
		}
	})

	t.Run("renewals chain", func(t *testing.T) {
		const serial = "2234567890"
		if _, err := engines[0].CreateOrder(ctx, domain.PartnerPrincipal("c1", domain.ClientCredentials), raceOrder("PO-FIRST", serial, "132001-10")); err != nil {
			t.Fatalf("the first order: %v", err)
		}
		accepted := 0
		for i, err := range race(serial, "132001-10", true) {
			switch {
			case err == nil:
				accepted++
			case !refusedFor(err, "ORDER_IN_PROGRESS"):
				t.Errorf("racer %d: %v (code %q), want ORDER_IN_PROGRESS", i, err, domain.ErrorCode(err))
			}
		}
		if accepted < 2 {
			t.Errorf("%d racing renewals were accepted, want at least 2 to see them chain", accepted)
		}
		tl := timeline(serial)
		if len(tl) != 1+accepted {
			t.Errorf("the serial has %d subscriptions, want the first and %d renewals", len(tl), accepted)
		}
		if a, b := tl.Overlapping(); a != nil {
			t.Fatalf("renewals overlap: %s %s and %s %s", a.ID, a.Period(), b.ID, b.Period())
		}
		for i := 1; i < len(tl); i++ {
			if want := tl[i-1].End.AddDays(1); tl[i].Start != want {
				t.Errorf("subscription %d starts %s, want %s, the day after the one before ends", i, tl[i].Start, want)
			}
		}
		t.Logf("%d of %d racing renewals accepted", accepted, racers)
	})
}

// seedData loads ds into the service's store.
func seedData(ctx context.Context, svc *orders.Service, ds *dataset.Dataset) error {
	_, err := ds.Load(ctx, svc.Store())
	return err
}
